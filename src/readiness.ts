import type { Redis } from 'ioredis';
import type { Queryable } from './db.js';
import { withDeadline } from './deadline.js';

export interface Check {
  ok: boolean;
  error?: string;
}

export interface Readiness {
  ready: boolean;
  checks: { postgres: Check; redis: Check; queues: Check };
}

/**
 * Whether a process can do its work: Postgres answers, Redis answers, and the queues' own Redis connection
 * (BullMQ's, separate from the other) answers. Each check has the dependency deadline; none hangs.
 */
export async function readiness(
  deps: { db: Queryable; redis: Redis; pingQueues: () => Promise<unknown> },
  timeoutMs: number,
): Promise<Readiness> {
  const check = async (fn: () => Promise<unknown>, what: string): Promise<Check> => {
    try {
      await withDeadline(fn(), timeoutMs, what);
      return { ok: true };
    } catch (err) {
      return { ok: false, error: err instanceof Error ? err.message : String(err) };
    }
  };
  const { db, redis, pingQueues } = deps;
  const [postgres, redisCheck, queues] = await Promise.all([
    check(() => db.query('SELECT 1'), 'postgres'),
    check(() => redis.ping(), 'redis'),
    check(pingQueues, 'queues'),
  ]);
  return {
    ready: postgres.ok && redisCheck.ok && queues.ok,
    checks: { postgres, redis: redisCheck, queues },
  };
}
