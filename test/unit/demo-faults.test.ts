import { describe, expect, it } from 'vitest';
import { demoFaults } from '../../sim/demo-faults.js';

describe('the demo county’s faults', () => {
  const ids = Array.from({ length: 383 }, (_, i) => `cam-${i}`);

  it('are the same on every run and fall on distinct cameras', () => {
    expect([...demoFaults(ids)]).toEqual([...demoFaults(ids)]);
    expect(demoFaults(ids).size).toBe(16);
  });

  it('leave the county between 95% and 97% effective', () => {
    const picture = ['offline', 'black', 'frozen', 'noise', 'streamStall', 'authFails'];
    const ineffective = [...demoFaults(ids).values()].filter((f) => picture.some((k) => k in f)).length;
    const effective = (ids.length - ineffective) / ids.length;
    expect(effective).toBeGreaterThanOrEqual(0.95);
    expect(effective).toBeLessThanOrEqual(0.97);
  });

  it('include compliance faults that do not make a camera ineffective', () => {
    const faults = [...demoFaults(ids).values()];
    expect(faults.filter((f) => 'clockDriftSeconds' in f)).toHaveLength(2);
    expect(faults.filter((f) => 'osdLabel' in f)).toHaveLength(1);
  });
});
