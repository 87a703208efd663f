import { type Queue, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { bullPrefix, type InventoryJob, QUEUES } from '../queues.js';
import { type PollContext, pollCamera } from './poll-service.js';
import { enqueueDueInventory } from './schedule.js';

const TICK_EVERY_MS = 60_000;

/**
 * The inventory queue's worker. One scheduler (kept in Redis, so one for the whole county however many workers
 * run) fires a 'tick' every minute that enqueues the cameras due; 'read' jobs poll one camera each.
 */
export async function createInventoryWorker(
  ctx: PollContext,
  queue: Queue<InventoryJob>,
  connection: Redis,
  concurrency = 16,
): Promise<Worker<InventoryJob>> {
  await queue.upsertJobScheduler('inventory-tick', { every: TICK_EVERY_MS }, { name: 'tick' });
  const worker = new Worker<InventoryJob>(
    QUEUES.inventory,
    async (job) => {
      if (job.name === 'tick') {
        await enqueueDueInventory(ctx.db, queue, ctx.config.onvif.inventoryIntervalSeconds);
        return;
      }
      await pollCamera(ctx, job.data.cameraId);
    },
    { connection, prefix: bullPrefix(ctx.config), concurrency },
  );
  worker.on('failed', (job, err) =>
    ctx.log.warn({ jobId: job?.id, err: { message: err.message } }, 'inventory job failed'),
  );
  worker.on('error', (err) => ctx.log.warn({ err: { message: err.message } }, 'inventory worker error'));
  return worker;
}
