import type { Queryable } from '../db.js';
import type { InventoryChange, InventoryFlags, InventorySnapshot } from './findings.js';

export interface StoredInventory extends InventorySnapshot {
  cameraId: string;
  polledAt: Date;
  ok: boolean;
  errorKind: string | null;
  error: string | null;
  manufacturer: string | null;
  model: string | null;
  hardwareId: string | null;
  snapshotUri: string | null;
  partErrors: Record<string, string>;
}

interface InventoryRow {
  camera_id: string;
  polled_at: Date;
  ok: boolean;
  error_kind: string | null;
  error: string | null;
  manufacturer: string | null;
  model: string | null;
  firmware_version: string | null;
  serial_number: string | null;
  hardware_id: string | null;
  main_stream_uri: string | null;
  sub_stream_uri: string | null;
  snapshot_uri: string | null;
  clock_offset_seconds: number | null;
  osd_texts: string[] | null;
  part_errors: Record<string, string>;
}

const toStored = (r: InventoryRow): StoredInventory => ({
  cameraId: r.camera_id,
  polledAt: r.polled_at,
  ok: r.ok,
  errorKind: r.error_kind,
  error: r.error,
  manufacturer: r.manufacturer,
  model: r.model,
  firmwareVersion: r.firmware_version,
  serialNumber: r.serial_number,
  hardwareId: r.hardware_id,
  mainStreamUri: r.main_stream_uri,
  subStreamUri: r.sub_stream_uri,
  snapshotUri: r.snapshot_uri,
  clockOffsetSeconds: r.clock_offset_seconds,
  osdTexts: r.osd_texts,
  partErrors: r.part_errors,
});

export async function lastInventory(db: Queryable, cameraId: string): Promise<StoredInventory | null> {
  const { rows } = await db.query<InventoryRow>('SELECT * FROM camera_inventory WHERE camera_id = $1', [
    cameraId,
  ]);
  return rows[0] ? toStored(rows[0]) : null;
}

export async function saveInventory(db: Queryable, inv: StoredInventory): Promise<void> {
  await db.query(
    `INSERT INTO camera_inventory (camera_id, polled_at, ok, error_kind, error, manufacturer, model, firmware_version,
       serial_number, hardware_id, main_stream_uri, sub_stream_uri, snapshot_uri, clock_offset_seconds, osd_texts,
       part_errors)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)
     ON CONFLICT (camera_id) DO UPDATE SET polled_at = EXCLUDED.polled_at, ok = EXCLUDED.ok,
       error_kind = EXCLUDED.error_kind, error = EXCLUDED.error, manufacturer = EXCLUDED.manufacturer,
       model = EXCLUDED.model, firmware_version = EXCLUDED.firmware_version, serial_number = EXCLUDED.serial_number,
       hardware_id = EXCLUDED.hardware_id, main_stream_uri = EXCLUDED.main_stream_uri,
       sub_stream_uri = EXCLUDED.sub_stream_uri, snapshot_uri = EXCLUDED.snapshot_uri,
       clock_offset_seconds = EXCLUDED.clock_offset_seconds, osd_texts = EXCLUDED.osd_texts,
       part_errors = EXCLUDED.part_errors`,
    [
      inv.cameraId,
      inv.polledAt,
      inv.ok,
      inv.errorKind,
      inv.error,
      inv.manufacturer,
      inv.model,
      inv.firmwareVersion,
      inv.serialNumber,
      inv.hardwareId,
      inv.mainStreamUri,
      inv.subStreamUri,
      inv.snapshotUri,
      inv.clockOffsetSeconds,
      inv.osdTexts,
      inv.partErrors,
    ],
  );
}

export async function recordChanges(db: Queryable, cameraId: string, changes: readonly InventoryChange[]) {
  for (const c of changes) {
    await db.query(
      'INSERT INTO inventory_changes (camera_id, field, old_value, new_value) VALUES ($1, $2, $3, $4)',
      [cameraId, c.field, c.oldValue, c.newValue],
    );
  }
}

export interface ChangeEntry extends InventoryChange {
  at: Date;
}

export async function recentChanges(db: Queryable, cameraId: string, limit = 50): Promise<ChangeEntry[]> {
  const { rows } = await db.query<{
    at: Date;
    field: InventoryChange['field'];
    old_value: string;
    new_value: string;
  }>(
    'SELECT at, field, old_value, new_value FROM inventory_changes WHERE camera_id = $1 ORDER BY id DESC LIMIT $2',
    [cameraId, limit],
  );
  return rows.map((r) => ({ at: r.at, field: r.field, oldValue: r.old_value, newValue: r.new_value }));
}

export type { InventoryFlags };
