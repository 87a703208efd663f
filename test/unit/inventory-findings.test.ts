import { describe, expect, it } from 'vitest';
import {
  type InventorySnapshot,
  inventoryChanges,
  inventoryFlags,
  osdMatches,
} from '../../src/inventory/findings.js';

const base: InventorySnapshot = {
  firmwareVersion: 'V5.7.3',
  serialNumber: 'DS-2CD2143G2-I20230101AACH123456789',
  mainStreamUri: 'rtsp://10.64.1.11:554/Streaming/Channels/101',
  subStreamUri: 'rtsp://10.64.1.11:554/Streaming/Channels/102',
  clockOffsetSeconds: 1.2,
  osdTexts: ['2026-11-29 星期日 18:00:00', '白阳镇 学校门口1号'],
};
const ok = { clockDrift: false, osdMismatch: false };

describe('inventory findings', () => {
  it('the label matches when one OSD text contains the registered name, ignoring width and spaces', () => {
    expect(osdMatches(base.osdTexts, '学校门口1号')).toBe(true);
    expect(osdMatches(['学校门口１号'], '学校门口 1号')).toBe(true);
    expect(osdMatches(['村委会'], '学校门口1号')).toBe(false);
    expect(osdMatches([], '学校门口1号')).toBeNull();
    expect(osdMatches(null, '学校门口1号')).toBeNull();
  });

  it.each([
    [10, false],
    [-10, false],
    [10.5, true],
    [-300, true],
  ])('a clock %s s off against a 10 s threshold: drift %s', (offset, drift) => {
    expect(inventoryFlags({ ...base, clockOffsetSeconds: offset }, '学校门口1号', 10).clockDrift).toBe(drift);
  });

  it('a camera whose label cannot be read is not flagged', () => {
    expect(inventoryFlags({ ...base, osdTexts: null }, '别的名字', 10).osdMismatch).toBe(false);
  });

  it('the first read reports nothing but flags that are on', () => {
    expect(inventoryChanges(null, base, null, ok)).toEqual([]);
    const flags = { clockDrift: true, osdMismatch: false };
    expect(inventoryChanges(null, { ...base, clockOffsetSeconds: 300 }, null, flags)).toEqual([
      { field: 'clock_offset', oldValue: null, newValue: '300.0' },
    ]);
  });

  it('firmware, serial and stream URI changes are reported once, with old and new values', () => {
    const next = { ...base, firmwareVersion: 'V5.8.0', mainStreamUri: 'rtsp://10.64.1.11:554/ch1' };
    expect(inventoryChanges(base, next, ok, ok)).toEqual([
      { field: 'firmware_version', oldValue: 'V5.7.3', newValue: 'V5.8.0' },
      { field: 'main_stream_uri', oldValue: base.mainStreamUri, newValue: 'rtsp://10.64.1.11:554/ch1' },
    ]);
    expect(inventoryChanges(next, next, ok, ok)).toEqual([]);
  });

  it('a part that could not be read this time is not a change', () => {
    expect(inventoryChanges(base, { ...base, serialNumber: null, firmwareVersion: null }, ok, ok)).toEqual(
      [],
    );
  });

  it('clock and label are reported when their flag turns on and when it turns off, not on jitter', () => {
    const drifting = { clockDrift: true, osdMismatch: false };
    expect(inventoryChanges(base, { ...base, clockOffsetSeconds: 40 }, ok, drifting)).toHaveLength(1);
    expect(
      inventoryChanges(
        { ...base, clockOffsetSeconds: 40 },
        { ...base, clockOffsetSeconds: 41 },
        drifting,
        drifting,
      ),
    ).toEqual([]);
    expect(inventoryChanges({ ...base, clockOffsetSeconds: 41 }, base, drifting, ok)).toEqual([
      { field: 'clock_offset', oldValue: '41.0', newValue: '1.2' },
    ]);
    const wrongLabel = { clockDrift: false, osdMismatch: true };
    expect(inventoryChanges(base, { ...base, osdTexts: ['村委会'] }, ok, wrongLabel)).toEqual([
      { field: 'osd_label', oldValue: base.osdTexts?.join(' | '), newValue: '村委会' },
    ]);
  });
});
