import { Queue, type QueueOptions } from 'bullmq';
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Config } from './config.js';

/**
 * Queue names, job payloads and producers. Payloads carry ids only — never a credential: a worker reads what
 * it needs from Postgres.
 */
export const QUEUES = {
  discovery: 'discovery',
  inventory: 'inventory',
  probe: 'probe',
  /** outbound notifications, one job per feed entry and route */
  notify: 'notify',
} as const;

export interface DiscoveryJob {
  scanId: string;
}

export interface InventoryJob {
  cameraId: string;
  /** the polling slot (interval index) this read belongs to: one read per camera per slot */
  slot: number;
}

export type ProbeJob =
  | { kind: 'tick' }
  /** one shard of cameras for one slot */
  | { kind: 'shard'; shard: number; slot: number }
  /** a fast second look at one camera after a failure */
  | { kind: 'reprobe'; cameraId: string };

/** One feed entry for one route. The route's URL and secret are read (and opened) by the worker, never carried. */
export interface NotifyJob {
  routeId: string;
  feedId: number;
}

/**
 * BullMQ wants its own connections (no ioredis keyPrefix; its own prefix instead). A worker's connection never
 * gives up, so workers resume by themselves after a Redis restart; a producer's fails fast, so an API request
 * that cannot enqueue answers at once instead of hanging until Redis is back.
 */
export function bullConnection(
  config: Config,
  name: string,
  log: Logger,
  role: 'worker' | 'producer' = 'worker',
): Redis {
  const connection = new Redis(config.redisUrl, {
    connectionName: `xueliang-${name}`,
    retryStrategy: (attempt) => Math.min(attempt * 200, 5000),
    ...(role === 'worker'
      ? { maxRetriesPerRequest: null }
      : { maxRetriesPerRequest: 1, enableOfflineQueue: false }),
  });
  connection.on('error', (err) =>
    log.warn({ err: { message: err.message } }, `redis(${name}): ${err.message}`),
  );
  return connection;
}

/**
 * A connection for many small commands a second (camera leases): auto-pipelined, and failing fast while Redis
 * is away (a command waits at most 2 s) so a probe is skipped rather than held up; it reconnects by itself.
 */
export function leaseConnection(config: Config, name: string, log: Logger): Redis {
  const connection = new Redis(config.redisUrl, {
    connectionName: `xueliang-${name}`,
    enableAutoPipelining: true,
    maxRetriesPerRequest: 1,
    commandTimeout: 2000,
    retryStrategy: (attempt) => Math.min(attempt * 200, 5000),
  });
  connection.on('error', (err) =>
    log.warn({ err: { message: err.message } }, `redis(${name}): ${err.message}`),
  );
  return connection;
}

export function bullPrefix(config: Config): string {
  return `${config.redisPrefix}bull`;
}

export function queueOptions(config: Config, connection: Redis): QueueOptions {
  return {
    connection,
    prefix: bullPrefix(config),
    defaultJobOptions: {
      attempts: 3,
      backoff: { type: 'exponential', delay: 2000 },
      removeOnComplete: { age: 86400, count: 10000 },
      removeOnFail: { age: 7 * 86400 },
    },
  };
}

type SchedulerArgs<T> = Parameters<Queue<T>['upsertJobScheduler']>;

/**
 * A queue that keeps its job schedulers. A scheduler lives in Redis only, so a Redis that comes back empty (it
 * was restarted without persistence, or failed over to a replica that never had it) has lost it, and no worker
 * would ever tick again. This queue remembers each scheduler it upserted and upserts it again every time its
 * connection is ready after losing Redis. Upserting a scheduler that is still there only replaces its next run.
 */
class SchedulerKeepingQueue<T> extends Queue<T> {
  private readonly schedulers = new Map<string, SchedulerArgs<T>>();
  private lost = false;
  private readonly onClose = () => {
    this.lost = true;
  };
  private readonly onReady = () => {
    if (!this.lost || this.closing) return;
    this.lost = false;
    for (const args of this.schedulers.values()) {
      super.upsertJobScheduler(...args).then(
        () =>
          this.log.info(
            `queue(${this.name}): job scheduler ${args[0]} upserted again after a Redis reconnect`,
          ),
        (err: Error) => {
          // try again at the next reconnect
          this.lost = true;
          this.log.warn(
            { err: { message: err.message } },
            `queue(${this.name}): job scheduler ${args[0]} not upserted again: ${err.message}`,
          );
        },
      );
    }
  };

  constructor(
    name: string,
    opts: QueueOptions,
    private readonly redis: Redis,
    private readonly log: Logger,
  ) {
    super(name, opts);
    redis.on('close', this.onClose);
    redis.on('ready', this.onReady);
  }

  override upsertJobScheduler(...args: SchedulerArgs<T>): ReturnType<Queue<T>['upsertJobScheduler']> {
    this.schedulers.set(args[0], args);
    return super.upsertJobScheduler(...args);
  }

  override removeJobScheduler(id: string): Promise<boolean> {
    this.schedulers.delete(id);
    return super.removeJobScheduler(id);
  }

  override close(): Promise<void> {
    this.redis.off('close', this.onClose);
    this.redis.off('ready', this.onReady);
    return super.close();
  }
}

export function createQueue<T>(config: Config, name: string, connection: Redis, log: Logger): Queue<T> {
  const queue = new SchedulerKeepingQueue<T>(name, queueOptions(config, connection), connection, log);
  queue.on('error', (err) => log.warn({ err: { message: err.message } }, `queue(${name}): ${err.message}`));
  return queue;
}
