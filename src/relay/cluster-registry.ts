import type { Redis } from 'ioredis';
import { type RelayStreamStats, relayStatsKey } from '../probing/relay-stats.js';

/**
 * The county-wide state of the relay in Redis, each part robust to an instance that crashed without a word:
 *
 *   relay:lease:<camera>        which instance owns the camera's upstream (value: its id and internal URL),
 *                               SET NX PX, renewed while the upstream runs, released on stop
 *   relay:upstreams             sorted set, one member per owned camera, score = when its lease runs out
 *   relay:viewers               sorted set, one member per open viewer (`<instance>/<viewer>`), score = expiry
 *   relay:viewers:user:<user>   the same, per user, for the per-user limit
 *   relay:stats:<camera>        the figures of a live upstream, for the probe workers (see probing/relay-stats)
 *
 * Counts drop expired members first, so a dead instance's upstreams and viewers stop counting once their
 * heartbeats lapse. Scripts read the time from Redis, so instances' clocks do not have to agree.
 */

const NOW = `local t = redis.call('TIME') local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)`;

// KEYS: lease, upstreams. ARGV: owner value, ttl ms, county cap, camera id.
// → {1} ours now; {0, value} another's; {2} county cap reached
const CLAIM = `${NOW}
local cur = redis.call('GET', KEYS[1])
if cur and cur ~= ARGV[1] then return {0, cur} end
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
if not cur and not redis.call('ZSCORE', KEYS[2], ARGV[4])
   and redis.call('ZCARD', KEYS[2]) >= tonumber(ARGV[3]) then return {2} end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
redis.call('ZADD', KEYS[2], now + tonumber(ARGV[2]), ARGV[4])
return {1}`;

// KEYS: lease, upstreams, stats. ARGV: owner value, camera id. The figures go with the upstream.
const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('DEL', KEYS[1], KEYS[3])
  redis.call('ZREM', KEYS[2], ARGV[2])
end
return 0`;

// KEYS: viewers, user's viewers. ARGV: member, ttl ms, county cap, user cap. → 1 admitted, 2 county full, 3 user full
const ADMIT = `${NOW}
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[3]) then return 2 end
if redis.call('ZCARD', KEYS[2]) >= tonumber(ARGV[4]) then return 3 end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[1])
redis.call('ZADD', KEYS[2], now + tonumber(ARGV[2]), ARGV[1])
redis.call('PEXPIRE', KEYS[2], ARGV[2])
return 1`;

// KEYS: viewers, then one user key per viewer. ARGV: ttl ms, then the members in the order of their user keys.
const REFRESH = `${NOW}
local ttl = tonumber(ARGV[1])
for i = 2, #KEYS do
  redis.call('ZADD', KEYS[1], now + ttl, ARGV[i])
  redis.call('ZADD', KEYS[i], now + ttl, ARGV[i])
  redis.call('PEXPIRE', KEYS[i], ttl)
end
return 0`;

// KEYS: a sorted set. → members not yet expired
const LIVE = `${NOW}
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
return redis.call('ZCARD', KEYS[1])`;

type Commands = Redis & {
  xlRelayClaim(lease: string, upstreams: string, ...argv: string[]): Promise<[number, string?]>;
  xlRelayRelease(
    lease: string,
    upstreams: string,
    stats: string,
    owner: string,
    cameraId: string,
  ): Promise<number>;
  xlRelayAdmit(viewers: string, user: string, ...argv: string[]): Promise<number>;
  xlRelayRefresh(numKeys: number, ...keysAndArgs: string[]): Promise<number>;
  xlRelayLive(key: string): Promise<number>;
};

export interface LeaseOwner {
  instanceId: string;
  internalUrl: string;
}

export type Claim = { kind: 'ours' } | { kind: 'owner'; owner: LeaseOwner } | { kind: 'full' };
export type Admission = 'ok' | 'county_full' | 'user_full';

export interface ViewerEntry {
  viewerId: string;
  userId: string;
}

export function encodeOwner(owner: LeaseOwner): string {
  return JSON.stringify({ i: owner.instanceId, u: owner.internalUrl });
}

export function decodeOwner(value: string): LeaseOwner | null {
  try {
    const parsed = JSON.parse(value) as { i?: unknown; u?: unknown };
    if (typeof parsed.i !== 'string' || typeof parsed.u !== 'string') return null;
    return { instanceId: parsed.i, internalUrl: parsed.u };
  } catch {
    return null;
  }
}

export class RelayRegistry {
  private readonly redis: Commands;

  constructor(
    redis: Redis,
    private readonly prefix: string,
    private readonly instanceId: string,
  ) {
    redis.defineCommand('xlRelayClaim', { numberOfKeys: 2, lua: CLAIM });
    redis.defineCommand('xlRelayRelease', { numberOfKeys: 3, lua: RELEASE });
    redis.defineCommand('xlRelayAdmit', { numberOfKeys: 2, lua: ADMIT });
    redis.defineCommand('xlRelayRefresh', { lua: REFRESH });
    redis.defineCommand('xlRelayLive', { numberOfKeys: 1, lua: LIVE });
    this.redis = redis as Commands;
  }

  private leaseKey(cameraId: string): string {
    return `${this.prefix}relay:lease:${cameraId}`;
  }
  private get upstreamsKey(): string {
    return `${this.prefix}relay:upstreams`;
  }
  private get viewersKey(): string {
    return `${this.prefix}relay:viewers`;
  }
  private userKey(userId: string): string {
    return `${this.prefix}relay:viewers:user:${userId}`;
  }
  private member(viewerId: string): string {
    return `${this.instanceId}/${viewerId}`;
  }

  /** Takes (or renews) the camera's lease for `me`, unless another instance holds it or the county is full. */
  async claim(cameraId: string, me: LeaseOwner, ttlMs: number, countyCap: number): Promise<Claim> {
    const [code, value] = await this.redis.xlRelayClaim(
      this.leaseKey(cameraId),
      this.upstreamsKey,
      encodeOwner(me),
      String(ttlMs),
      String(countyCap),
      cameraId,
    );
    if (code === 1) return { kind: 'ours' };
    if (code === 2) return { kind: 'full' };
    const owner = decodeOwner(value ?? '');
    if (!owner) throw new Error(`relay: unreadable lease of camera ${cameraId}`);
    return { kind: 'owner', owner };
  }

  /** Gives the lease back if it is still `me`'s. */
  async release(cameraId: string, me: LeaseOwner): Promise<void> {
    await this.redis.xlRelayRelease(
      this.leaseKey(cameraId),
      this.upstreamsKey,
      relayStatsKey(this.prefix, cameraId),
      encodeOwner(me),
      cameraId,
    );
  }

  async owner(cameraId: string): Promise<LeaseOwner | null> {
    const value = await this.redis.get(this.leaseKey(cameraId));
    return value === null ? null : decodeOwner(value);
  }

  async admit(
    viewer: ViewerEntry,
    ttlMs: number,
    caps: { county: number; user: number },
  ): Promise<Admission> {
    const code = await this.redis.xlRelayAdmit(
      this.viewersKey,
      this.userKey(viewer.userId),
      this.member(viewer.viewerId),
      String(ttlMs),
      String(caps.county),
      String(caps.user),
    );
    return code === 1 ? 'ok' : code === 2 ? 'county_full' : 'user_full';
  }

  /** The heartbeat of this instance's open viewers: their entries live another `ttlMs`. */
  async refresh(viewers: readonly ViewerEntry[], ttlMs: number): Promise<void> {
    const batch = 500; // bounded script size however many viewers are open
    for (let i = 0; i < viewers.length; i += batch) {
      const part = viewers.slice(i, i + batch);
      await this.redis.xlRelayRefresh(
        part.length + 1,
        this.viewersKey,
        ...part.map((v) => this.userKey(v.userId)),
        String(ttlMs),
        ...part.map((v) => this.member(v.viewerId)),
      );
    }
  }

  async leave(viewer: ViewerEntry): Promise<void> {
    const member = this.member(viewer.viewerId);
    await this.redis.multi().zrem(this.viewersKey, member).zrem(this.userKey(viewer.userId), member).exec();
  }

  /** Viewers open county-wide, or of one user. */
  async viewers(userId?: string): Promise<number> {
    return this.redis.xlRelayLive(userId ? this.userKey(userId) : this.viewersKey);
  }

  /** Upstreams (cameras pulled) county-wide. */
  async upstreams(): Promise<number> {
    return this.redis.xlRelayLive(this.upstreamsKey);
  }

  /** Figures of upstreams pulled here; each key expires by itself when no longer refreshed. */
  async publishStats(entries: readonly { cameraId: string; stats: RelayStreamStats }[], ttlMs: number) {
    if (entries.length === 0) return;
    const multi = this.redis.multi();
    for (const { cameraId, stats } of entries) {
      multi.set(relayStatsKey(this.prefix, cameraId), JSON.stringify(stats), 'PX', ttlMs);
    }
    await multi.exec();
  }
}
