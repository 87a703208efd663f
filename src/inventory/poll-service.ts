import { openCameraCredentials } from '../cameras/registry.js';
import { withTransaction } from '../db.js';
import { readInventory } from '../onvif/client.js';
import type { Inventory } from '../onvif/types.js';
import type { WorkerContext } from '../worker-context.js';
import { type InventorySnapshot, inventoryChanges, inventoryFlags } from './findings.js';
import { lastInventory, recordChanges, type StoredInventory, saveInventory } from './inventory-repo.js';

export type PollContext = WorkerContext;

function snapshotOf(inv: Inventory): InventorySnapshot {
  return {
    firmwareVersion: inv.deviceInformation?.firmwareVersion ?? null,
    serialNumber: inv.deviceInformation?.serialNumber ?? null,
    mainStreamUri: inv.mainStreamUri,
    subStreamUri: inv.subStreamUri,
    clockOffsetSeconds: inv.clock?.offsetSeconds ?? null,
    osdTexts: inv.osds?.map((o) => o.text) ?? null,
  };
}

/**
 * Reads one camera's ONVIF inventory and stores it with what changed since the last good read. A camera that
 * does not answer, refuses the credentials or replies nonsense yields a stored failed read, never a throw.
 */
export async function pollCamera(ctx: PollContext, cameraId: string): Promise<StoredInventory | null> {
  const { rows } = await ctx.db.query<{
    name: string;
    onvif_url: string | null;
    serial_number: string | null;
  }>('SELECT name, onvif_url, serial_number FROM cameras WHERE id = $1 AND retired_at IS NULL', [cameraId]);
  const camera = rows[0];
  if (!camera?.onvif_url) return null;
  const credentials = await openCameraCredentials(ctx.db, ctx.vault, cameraId);
  const inv = await readInventory({
    deviceUrl: camera.onvif_url,
    username: credentials?.username,
    password: credentials?.password,
    timeoutMs: ctx.config.onvif.timeoutMs,
  });
  const current = snapshotOf(inv);
  const firstError = Object.values(inv.errors)[0] ?? null;
  const stored: StoredInventory = {
    cameraId,
    polledAt: new Date(),
    ok: inv.deviceInformation !== null,
    errorKind: inv.deviceInformation ? null : (firstError?.kind ?? 'malformed'),
    error: inv.deviceInformation ? null : (firstError?.message ?? 'no device information'),
    manufacturer: inv.deviceInformation?.manufacturer ?? null,
    model: inv.deviceInformation?.model ?? null,
    hardwareId: inv.deviceInformation?.hardwareId ?? null,
    snapshotUri: inv.snapshotUri,
    partErrors: Object.fromEntries(
      Object.entries(inv.errors).map(([part, err]) => [part, `${err.kind}: ${err.message}`]),
    ),
    ...current,
  };
  const threshold = ctx.config.onvif.clockDriftThresholdSeconds;
  await withTransaction(ctx.db, async (tx) => {
    const previous = await lastInventory(tx, cameraId);
    if (stored.ok) {
      // a failed read keeps the identity of the last good one, so the stored row is always the last good state
      const lastGood = previous;
      const flags = inventoryFlags(current, camera.name, threshold);
      const previousFlags = lastGood ? inventoryFlags(lastGood, camera.name, threshold) : null;
      await recordChanges(tx, cameraId, inventoryChanges(lastGood, current, previousFlags, flags));
      if (!camera.serial_number && current.serialNumber) {
        await tx.query('UPDATE cameras SET serial_number = $2 WHERE id = $1', [
          cameraId,
          current.serialNumber,
        ]);
      }
      await saveInventory(tx, stored);
    } else if (previous) {
      // keep the last good identity; record that this read failed
      await saveInventory(tx, {
        ...previous,
        polledAt: stored.polledAt,
        ok: false,
        errorKind: stored.errorKind,
        error: stored.error,
      });
    } else {
      await saveInventory(tx, stored);
    }
  });
  return stored;
}
