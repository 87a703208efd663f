import { describe, expect, it } from 'vitest';
import { layersDue, offsetInSlot, slotIndex, slotStart, stableHash } from '../../src/probing/slots.js';

describe('probe slots', () => {
  it('every process computes the same slot for the same instant', () => {
    const at = new Date('2026-11-29T10:00:07.500Z');
    expect(slotIndex(at, 10_000)).toBe(Math.floor(at.getTime() / 10_000));
    expect(slotStart(slotIndex(at, 10_000), 10_000).toISOString()).toBe('2026-11-29T10:00:00.000Z');
    expect(slotIndex(new Date('2026-11-29T10:00:09.999Z'), 10_000)).toBe(slotIndex(at, 10_000));
    expect(slotIndex(new Date('2026-11-29T10:00:10.000Z'), 10_000)).toBe(slotIndex(at, 10_000) + 1);
  });

  const ids = Array.from(
    { length: 10_000 },
    (_, i) => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
  );

  it('hashes ids the same way in every process', () => {
    expect(stableHash('abc')).toBe(0x1a47e90b);
    expect(stableHash(ids[5] as string)).toBe(stableHash(String(ids[5])));
  });

  it('jitters start times across the slot so no second carries more than a few percent of the cameras', () => {
    const perSecond = new Array(10).fill(0);
    for (const id of ids) {
      const offset = offsetInSlot(id, 10_000);
      expect(offset).toBeGreaterThanOrEqual(0);
      expect(offset).toBeLessThan(8_000);
      perSecond[Math.floor(offset / 1000)]++;
    }
    expect(Math.max(...perSecond)).toBeLessThan(ids.length * 0.15);
    expect(perSecond.slice(8)).toEqual([0, 0]);
  });

  it('runs the heavier layers on their cadence, staggered by camera', () => {
    const cadence = { streamEvery: 6, pictureEvery: 60 };
    const id = ids[0] as string;
    const streams = Array.from({ length: 60 }, (_, i) => layersDue(id, i, cadence).stream).filter(Boolean);
    const pictures = Array.from({ length: 60 }, (_, i) => layersDue(id, i, cadence).picture).filter(Boolean);
    expect([streams.length, pictures.length]).toEqual([10, 1]);
    const firstSlotPictures = ids.filter((c) => layersDue(c, 0, cadence).picture).length;
    expect(firstSlotPictures).toBeLessThan(ids.length / 30);
  });
});
