/**
 * What an ONVIF inventory read tells about a camera compared with the previous read and with its registration.
 * Pure: changes are what differs from the last good read; flags are compliance findings of this read.
 */

export interface InventorySnapshot {
  firmwareVersion: string | null;
  serialNumber: string | null;
  mainStreamUri: string | null;
  subStreamUri: string | null;
  clockOffsetSeconds: number | null;
  osdTexts: string[] | null;
}

export interface InventoryChange {
  field:
    | 'firmware_version'
    | 'serial_number'
    | 'main_stream_uri'
    | 'sub_stream_uri'
    | 'clock_offset'
    | 'osd_label';
  oldValue: string | null;
  newValue: string | null;
}

export interface InventoryFlags {
  /** |offset| beyond the threshold: evidence would carry a wrong time (校时) */
  clockDrift: boolean;
  /** the on-screen label does not name the camera as registered (OSD 标注) */
  osdMismatch: boolean;
}

const TRACKED: [keyof InventorySnapshot, InventoryChange['field']][] = [
  ['firmwareVersion', 'firmware_version'],
  ['serialNumber', 'serial_number'],
  ['mainStreamUri', 'main_stream_uri'],
  ['subStreamUri', 'sub_stream_uri'],
];

/** The label matches when one OSD text contains the registered name (cameras add dates and coordinates). */
export function osdMatches(osdTexts: readonly string[] | null, cameraName: string): boolean | null {
  if (osdTexts === null || osdTexts.length === 0) return null;
  const wanted = normalise(cameraName);
  return osdTexts.some((t) => normalise(t).includes(wanted));
}

function normalise(text: string): string {
  return text.normalize('NFKC').replace(/\s+/g, '').toLowerCase();
}

export function inventoryFlags(
  current: InventorySnapshot,
  cameraName: string,
  clockThresholdSeconds: number,
): InventoryFlags {
  return {
    clockDrift:
      current.clockOffsetSeconds !== null && Math.abs(current.clockOffsetSeconds) > clockThresholdSeconds,
    osdMismatch: osdMatches(current.osdTexts, cameraName) === false,
  };
}

/**
 * Changes since the previous read. A field this read could not obtain (null) is not a change. The clock and
 * the label are reported when their flag turns on or off, not on every jitter of the offset.
 */
export function inventoryChanges(
  previous: InventorySnapshot | null,
  current: InventorySnapshot,
  previousFlags: InventoryFlags | null,
  flags: InventoryFlags,
): InventoryChange[] {
  const changes: InventoryChange[] = [];
  if (previous) {
    for (const [key, field] of TRACKED) {
      const before = previous[key] as string | null;
      const after = current[key] as string | null;
      if (after !== null && before !== null && before !== after)
        changes.push({ field, oldValue: before, newValue: after });
    }
  }
  if ((previousFlags?.clockDrift ?? false) !== flags.clockDrift) {
    changes.push({
      field: 'clock_offset',
      oldValue: previous?.clockOffsetSeconds?.toFixed(1) ?? null,
      newValue: current.clockOffsetSeconds?.toFixed(1) ?? null,
    });
  }
  if ((previousFlags?.osdMismatch ?? false) !== flags.osdMismatch) {
    changes.push({
      field: 'osd_label',
      oldValue: previous?.osdTexts?.join(' | ') ?? null,
      newValue: current.osdTexts?.join(' | ') ?? null,
    });
  }
  return changes;
}
