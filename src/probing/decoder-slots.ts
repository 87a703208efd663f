import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Redis } from 'ioredis';

/**
 * At most N picture decoders at once on this machine, whichever worker processes run here: leases in a Redis
 * sorted set per host, each with an expiry so a killed process frees its lease by itself.
 */
const ACQUIRE = `
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[3]) then
  redis.call('ZADD', KEYS[1], ARGV[2], ARGV[4])
  redis.call('PEXPIRE', KEYS[1], ARGV[5])
  return 1
end
return 0`;

export class DecoderSlots {
  private readonly key: string;

  constructor(
    private readonly redis: Redis,
    prefix: string,
    private readonly max: number,
    private readonly leaseMs: number,
  ) {
    this.key = `${prefix}decoders:${hostname()}`;
  }

  /** A lease token, or null when all slots are taken (the caller skips the picture check this time). */
  async tryAcquire(): Promise<string | null> {
    const token = randomUUID();
    const now = Date.now();
    const got = await this.redis.eval(
      ACQUIRE,
      1,
      this.key,
      now,
      now + this.leaseMs,
      this.max,
      token,
      this.leaseMs,
    );
    return got === 1 ? token : null;
  }

  async release(token: string): Promise<void> {
    await this.redis.zrem(this.key, token);
  }
}
