import { DelayedError, type Job, type Queue, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { nudgeHealthEvents } from '../alerting/health-events.js';
import type { Applied } from '../health/ledger-repo.js';
import { rollupJob } from '../health/rollup-repo.js';
import { bullPrefix, leaseConnection, type ProbeJob, QUEUES } from '../queues.js';
import type { WorkerContext } from '../worker-context.js';
import { maintainPartitions } from './partitions.js';
import { ProbeLeases } from './probe-leases.js';
import { type ProbeContext, probeShard, reprobeCamera } from './probe-service.js';
import { relayStatsReader } from './relay-stats.js';
import { slotIndex } from './slots.js';

const MAINTAIN_EVERY_MS = 3_600_000;
const ROLLUP_EVERY_MS = 600_000;
const SHARD_BUSY_RETRY_MS = 500;
const shardJobId = (shard: number, slot: number) => `probe-${shard}-${slot}`;
const PENDING = new Set(['waiting', 'active', 'delayed', 'prioritized', 'waiting-children']);

/**
 * The probe queue's worker. A single scheduler kept in Redis fires a 'tick' every probe interval; the tick
 * enqueues one job per shard for the current slot, with a job id naming shard and slot, so however many
 * workers tick, each shard is probed once per slot. A failure asks for a fast re-probe a couple of seconds
 * later, so an outage is confirmed (K failures) well within one interval.
 */
export async function createProbeWorker(
  ctx: WorkerContext,
  queue: Queue<ProbeJob>,
  connection: Redis,
  concurrency = 16,
): Promise<Worker<ProbeJob>> {
  const { intervalMs, shards } = ctx.config.probe;
  // a second look soon after a failure, well before the next slot: three failures confirm an outage quickly
  const reprobeDelayMs = Math.min(1000, Math.floor(intervalMs / 4));
  await queue.upsertJobScheduler(
    'probe-tick',
    { every: intervalMs },
    { name: 'tick', data: { kind: 'tick' } },
  );
  await maintainPartitions(ctx.db, new Date(), ctx.config.probe.retentionDays);
  let maintainedAt = Date.now();
  let rolledUpAt = 0;

  // one probe of a camera at a time, whichever process runs it: leases on a connection of their own
  const leaseRedis = leaseConnection(ctx.config, 'probe-leases', ctx.log);
  const probing: ProbeContext = {
    ...ctx,
    leases: new ProbeLeases(leaseRedis, ctx.config.redisPrefix),
    // a camera watched live is not opened a second time by the stream layer: the relay's figures are used
    relayStats: relayStatsReader(leaseRedis, ctx.config.redisPrefix),
  };

  const handle = async (job: Job<ProbeJob>, token?: string) => {
    const data = job.data;
    if (data.kind === 'tick') {
      const slot = slotIndex(new Date(), intervalMs);
      await queue.addBulk(
        Array.from({ length: shards }, (_, shard) => ({
          name: 'shard',
          data: { kind: 'shard' as const, shard, slot },
          opts: { jobId: shardJobId(shard, slot), attempts: 3, backoff: { type: 'fixed', delay: 500 } },
        })),
      );
      if (Date.now() - maintainedAt > MAINTAIN_EVERY_MS) {
        maintainedAt = Date.now();
        await maintainPartitions(ctx.db, new Date(), ctx.config.probe.retentionDays);
      }
      if (Date.now() - rolledUpAt > ROLLUP_EVERY_MS) {
        rolledUpAt = Date.now();
        // days that are over, rolled up for the fast availability queries; one process at a time (a lock
        // inside), and not awaited: a year's catch-up takes minutes, the tick must not
        void rollupJob(ctx.db, ctx.config.timeZone, new Date()).catch((err: Error) =>
          ctx.log.warn({ err: { message: err.message } }, 'availability rollup failed'),
        );
      }
      return;
    }
    const afterBatch = async (applied: Applied[]) => {
      // the alerting stage reads the committed events at once instead of at its next poll
      if (applied.some((a) => a.eventId !== null)) nudgeHealthEvents(leaseRedis, ctx.config);
      const again = applied.filter((a) => a.reprobeSoon);
      if (again.length === 0) return;
      await queue.addBulk(
        again.map((a) => ({
          name: 'reprobe',
          data: { kind: 'reprobe' as const, cameraId: a.cameraId },
          opts: {
            jobId: `reprobe-${a.cameraId}-${a.health.lastResultAt?.getTime() ?? Date.now()}`,
            delay: reprobeDelayMs,
            attempts: 2,
          },
        })),
      );
    };
    if (data.kind === 'reprobe') return afterBatch(await reprobeCamera(probing, data.cameraId));
    // A shard's slots in order: while the previous slot's job is pending (late, or given to another worker
    // after its own died) this one waits its turn, so the older slot is never starved; and the shard's lease
    // is busy while any of its jobs probes. Waiting is done delayed in Redis, not in one of the job slots.
    const previous = await queue.getJobState(shardJobId(data.shard, data.slot - 1));
    const done = PENDING.has(previous) ? null : await probeShard(probing, data.shard, data.slot, afterBatch);
    if (done === null) {
      await job.moveToDelayed(Date.now() + SHARD_BUSY_RETRY_MS, token);
      throw new DelayedError();
    }
  };

  const worker = new Worker<ProbeJob>(QUEUES.probe, handle, {
    connection,
    prefix: bullPrefix(ctx.config),
    concurrency,
    // a killed worker's shard jobs go to another worker after this long; they still record their own slot
    lockDuration: ctx.config.probe.lockMs,
    stalledInterval: ctx.config.probe.lockMs,
    // a busy event loop may miss a lock renewal: the job is then taken as stalled and given again, and after
    // BullMQ's default of one such stall it would fail and its shard's slot would go unrecorded
    maxStalledCount: 5,
  });
  worker.on('closed', () => leaseRedis.disconnect());
  worker.on('failed', (job, err) =>
    ctx.log.warn({ jobId: job?.id, err: { message: err.message } }, 'probe job failed'),
  );
  worker.on('error', (err) => ctx.log.warn({ err: { message: err.message } }, 'probe worker error'));
  return worker;
}
