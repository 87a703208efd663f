import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { Gauge, type Registry } from 'prom-client';
import type { Config } from './config.js';
import type { ScrapeReads } from './metrics-read.js';
import { QUEUES, queueOptions } from './queues.js';

interface QueueFigures {
  queue: string;
  counts: { waiting: number; active: number; delayed: number; failed: number };
  /** seconds the oldest waiting job has been ready to run; 0 when none waits */
  oldestWaitingSeconds: number;
}

/**
 * Depth and lag of every BullMQ queue, read from Redis at each scrape (any API instance can answer: the
 * queues live in Redis, not in a process). Returns a close for the read-only queue handles it opened.
 */
export function registerQueueGauges(
  registry: Registry,
  reads: ScrapeReads,
  config: Config,
  connection: Redis,
  log: Logger,
): () => Promise<void> {
  const queues = Object.values(QUEUES).map((name) => {
    const queue = new Queue(name, queueOptions(config, connection));
    // the shared connection reports an outage already; unheard, BullMQ would print each error to stderr
    queue.on('error', (err) =>
      log.debug({ err: { message: err.message } }, `queue(${name}) gauges: ${err.message}`),
    );
    return queue;
  });
  const read = reads.shared('queues', () => Promise.all(queues.map(figuresOf)));

  new Gauge({
    name: 'xueliang_queue_jobs',
    help: 'Jobs in each BullMQ queue by state (waiting, active, delayed, failed)',
    labelNames: ['queue', 'state'] as const,
    registers: [registry],
    async collect() {
      const all = await read();
      this.reset();
      for (const q of all ?? []) {
        for (const [state, n] of Object.entries(q.counts)) this.set({ queue: q.queue, state }, n);
      }
    },
  });
  new Gauge({
    name: 'xueliang_queue_oldest_waiting_seconds',
    help: 'How long the oldest waiting job of each queue has been ready to run (0: none waits)',
    labelNames: ['queue'] as const,
    registers: [registry],
    async collect() {
      const all = await read();
      this.reset();
      for (const q of all ?? []) this.set({ queue: q.queue }, q.oldestWaitingSeconds);
    },
  });

  return async () => {
    await Promise.allSettled(queues.map((q) => q.close()));
  };
}

async function figuresOf(queue: Queue): Promise<QueueFigures> {
  const c = await queue.getJobCounts('wait', 'prioritized', 'active', 'delayed', 'failed');
  const [oldest] = await queue.getJobs(['wait'], 0, 0, true);
  const readyAt = oldest ? oldest.timestamp + (oldest.delay ?? 0) : null;
  return {
    queue: queue.name,
    counts: {
      waiting: (c.wait ?? 0) + (c.prioritized ?? 0),
      active: c.active ?? 0,
      delayed: c.delayed ?? 0,
      failed: c.failed ?? 0,
    },
    oldestWaitingSeconds: readyAt === null ? 0 : Math.max(0, (Date.now() - readyAt) / 1000),
  };
}
