import type { Queue } from 'bullmq';
import type { Db } from '../db.js';
import type { InventoryJob } from '../queues.js';

/** The polling slot of an instant: one inventory read per camera per slot, whoever enqueues it. */
export function inventorySlot(at: Date, intervalSeconds: number): number {
  return Math.floor(at.getTime() / (intervalSeconds * 1000));
}

/** A stable spread of start times over the first minute of a slot, so cameras are not all read at once. */
export function startDelayMs(cameraId: string, spreadMs: number): number {
  let hash = 0;
  for (let i = 0; i < cameraId.length; i++) hash = (hash * 31 + cameraId.charCodeAt(i)) >>> 0;
  return hash % Math.max(1, spreadMs);
}

const BATCH = 5000;

/**
 * Enqueues a read for every active ONVIF camera whose last read is older than the interval. The job id names
 * camera and slot, so ticks from several workers, or a late tick, enqueue each read once.
 */
export async function enqueueDueInventory(
  db: Db,
  queue: Queue<InventoryJob>,
  intervalSeconds: number,
  now = new Date(),
): Promise<number> {
  const { rows } = await db.query<{ id: string }>(
    `SELECT c.id FROM cameras c LEFT JOIN camera_inventory i ON i.camera_id = c.id
      WHERE c.retired_at IS NULL AND c.onvif_url IS NOT NULL
        AND (i.polled_at IS NULL OR i.polled_at <= $1::timestamptz - make_interval(secs => $2))
      ORDER BY i.polled_at NULLS FIRST LIMIT $3`,
    [now, intervalSeconds, BATCH],
  );
  const slot = inventorySlot(now, intervalSeconds);
  const spread = Math.min(60_000, intervalSeconds * 500);
  await queue.addBulk(
    rows.map(({ id }) => ({
      name: 'read',
      data: { cameraId: id, slot },
      opts: { jobId: `inv-${id}-${slot}`, delay: startDelayMs(id, spread), attempts: 1 },
    })),
  );
  return rows.length;
}
