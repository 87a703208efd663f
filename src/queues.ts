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

export function createQueue<T>(config: Config, name: string, connection: Redis, log: Logger): Queue<T> {
  const queue = new Queue<T>(name, queueOptions(config, connection));
  queue.on('error', (err) => log.warn({ err: { message: err.message } }, `queue(${name}): ${err.message}`));
  return queue;
}
