import { Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { bullPrefix, type DiscoveryJob, QUEUES } from '../queues.js';
import { runScan, type ScanContext } from './scan-service.js';

/** The discovery queue's worker: a job is one scan, run by the scan service. */
export function createDiscoveryWorker(
  ctx: ScanContext,
  connection: Redis,
  concurrency = 2,
): Worker<DiscoveryJob> {
  const worker = new Worker<DiscoveryJob>(QUEUES.discovery, (job) => runScan(ctx, job.data.scanId), {
    connection,
    prefix: bullPrefix(ctx.config),
    concurrency,
    // a scan of a /16 takes minutes: keep the lock alive well past a stall
    lockDuration: 60_000,
  });
  worker.on('failed', (job, err) =>
    ctx.log.warn({ jobId: job?.id, err: { message: err.message } }, 'discovery job failed'),
  );
  worker.on('error', (err) => ctx.log.warn({ err: { message: err.message } }, 'discovery worker error'));
  return worker;
}
