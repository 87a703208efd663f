import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';

const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0`;

const RENEW = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0`;

type LeaseCommands = Redis & {
  xlReleaseLease(key: string, token: string): Promise<number>;
  xlRenewLease(key: string, token: string, ttlMs: number): Promise<number>;
};

/**
 * Leases in Redis that keep probes from overlapping, whichever worker process on whichever host runs them:
 * one per shard (a shard's slot jobs run one after another, even a late one or one delivered twice) and one
 * per camera (a re-probe and the camera's slot probe never at once). Each expires by itself, so one that a
 * killed process never gave back frees itself. While Redis cannot be reached no lease is granted: better a
 * probe late or missed than two sessions on one camera.
 */
export class ProbeLeases {
  private readonly owner = randomUUID();
  private serial = 0;
  private readonly redis: LeaseCommands;

  constructor(
    /** a connection of its own, with auto-pipelining */
    redis: Redis,
    private readonly prefix: string,
  ) {
    redis.defineCommand('xlReleaseLease', { numberOfKeys: 1, lua: RELEASE });
    redis.defineCommand('xlRenewLease', { numberOfKeys: 1, lua: RENEW });
    this.redis = redis as LeaseCommands;
  }

  cameraKey(cameraId: string): string {
    return `${this.prefix}probe-lease:camera:${cameraId}`;
  }

  shardKey(shard: number): string {
    return `${this.prefix}probe-lease:shard:${shard}`;
  }

  /** A token to give back, or null when the lease is held (or Redis is away). */
  async tryAcquire(key: string, ttlMs: number): Promise<string | null> {
    const token = `${this.owner}:${this.serial++}`;
    try {
      const ok = await this.redis.set(key, token, 'PX', ttlMs, 'NX');
      return ok === 'OK' ? token : null;
    } catch {
      return null;
    }
  }

  /** Extends a lease still held by `token`; false when it is not (expired, or another's by now). */
  async renew(key: string, token: string, ttlMs: number): Promise<boolean> {
    return (await this.redis.xlRenewLease(key, token, ttlMs).catch(() => 0)) === 1;
  }

  /** Gives the lease back, only if it is still this holder's (an expired one may be another's by now). */
  async release(key: string, token: string): Promise<void> {
    await this.redis.xlReleaseLease(key, token).catch(() => undefined);
  }
}

export interface LeaseTerms {
  ttlMs: number;
  /** how long to wait for the holder of the lease to give it back before giving up */
  waitMs: number;
  /** for long holders: the lease is renewed this often, so a short ttl still covers a long run */
  renewEveryMs?: number;
}

/** Runs `work` under the lease `key` (none when `leases` is absent); null when the lease was not had in time. */
export async function underLease<T>(
  leases: ProbeLeases | undefined,
  key: string,
  terms: LeaseTerms,
  work: () => Promise<T>,
): Promise<T | null> {
  if (!leases) return work();
  const giveUpAt = Date.now() + terms.waitMs;
  let token = await leases.tryAcquire(key, terms.ttlMs);
  while (!token && Date.now() < giveUpAt) {
    await new Promise((r) => setTimeout(r, 250));
    token = await leases.tryAcquire(key, terms.ttlMs);
  }
  if (!token) return null;
  const held = token;
  const renewal = terms.renewEveryMs
    ? setInterval(() => void leases.renew(key, held, terms.ttlMs), terms.renewEveryMs)
    : null;
  try {
    return await work();
  } finally {
    if (renewal) clearInterval(renewal);
    await leases.release(key, held);
  }
}
