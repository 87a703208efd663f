import { Redis } from 'ioredis';
import type { Logger } from 'pino';

/**
 * A Redis connection. `keyPrefix` keeps every key of one deployment (or one test run) apart.
 * Commands fail fast while Redis is down instead of queueing without bound.
 */
export function createRedis(url: string, prefix: string, log: Logger, name: string): Redis {
  const redis = new Redis(url, {
    keyPrefix: prefix,
    connectionName: `xueliang-${name}`,
    connectTimeout: 5000,
    commandTimeout: 5000,
    maxRetriesPerRequest: 2,
    enableOfflineQueue: true,
    retryStrategy: (attempt) => Math.min(attempt * 200, 5000),
  });
  redis.on('error', (err) => log.warn({ err: { message: err.message } }, `redis(${name}): ${err.message}`));
  return redis;
}
