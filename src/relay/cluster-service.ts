import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { CredentialVault } from '../cameras/credential-vault.js';
import type { Config } from '../config.js';
import type { Db } from '../db.js';
import { type CredentialHop, startCredentialHop } from '../media/credential-hop.js';
import { RELAY_STATS_MAX_AGE_MS } from '../probing/relay-stats.js';
import { leaseConnection } from '../queues.js';
import { ClusterUpstreams } from './cluster.js';
import { type Admission, RelayRegistry, type ViewerEntry } from './cluster-registry.js';
import { type RelayTokenKeys, relayTokenKeys } from './cluster-token.js';
import { localUpstreamFactory } from './ffmpeg-upstream.js';
import { createRelayMetrics, type RelayMetrics } from './metrics.js';
import { RelayManager } from './relay-manager.js';
import { RelayRefusal, type UpstreamFactory } from './types.js';
import { closeStaleVideoSessions } from './video-sessions.js';

/** Leases, viewer entries and stats are refreshed this often. */
const HEARTBEAT_MS = 2000;
/** An instance silent this long has its camera leases taken over and its viewers no longer counted. */
const LEASE_TTL_MS = 8000;
const VIEWER_TTL_MS = 10_000;
/** How long a closing viewer's socket may take to finish its close handshake at shutdown. */
const CLOSE_GRACE_MS = 2000;

export interface RelayServiceDeps {
  config: Config;
  db: Db;
  vault: CredentialVault;
  log: Logger;
  /** the API's metrics registry: the relay's series are served on /metrics with the rest */
  registry: Registry;
}

/**
 * The live relay of one API instance: the RelayManager over the cluster's upstream factory (the camera's one
 * upstream county-wide), this instance's credential hop for ffmpeg, the county-wide caps in Redis and the
 * heartbeats that keep leases, viewer entries and the probe workers' figures fresh. `start` before serving
 * viewers; `close` ends every viewer and every ffmpeg.
 */
export class RelayService {
  readonly metrics: RelayMetrics;
  readonly manager: RelayManager;
  readonly registry: RelayRegistry;
  readonly tokens: RelayTokenKeys;
  readonly instanceId: string;
  private readonly redis: Redis;
  private readonly cluster: ClusterUpstreams;
  private local: UpstreamFactory = () =>
    Promise.reject(new RelayRefusal('failed', 'the live relay of this server is not running'));
  private internalUrl: string;
  private hop: CredentialHop | null = null;
  private timer: NodeJS.Timeout | null = null;
  private ticking = false;
  /** this instance's open viewers, refreshed in Redis on each heartbeat */
  private readonly viewers = new Map<string, ViewerEntry>();
  /** viewer sessions not yet finished (their audit rows), and how to cut each off at shutdown */
  private readonly sessions = new Map<Promise<void>, () => void>();

  constructor(private readonly deps: RelayServiceDeps) {
    const { config, log } = deps;
    this.instanceId = config.relay.instanceId;
    this.internalUrl = config.relay.internalUrl;
    this.metrics = createRelayMetrics(deps.registry);
    this.tokens = relayTokenKeys(config.credentialKeys);
    this.redis = leaseConnection(config, 'relay', log);
    this.registry = new RelayRegistry(this.redis, config.redisPrefix, this.instanceId);
    this.cluster = new ClusterUpstreams({
      local: (cameraId) => this.local(cameraId),
      registry: this.registry,
      tokens: this.tokens,
      config: config.relay,
      self: () => ({ instanceId: this.instanceId, internalUrl: this.internalUrl }),
      log,
      leaseTtlMs: LEASE_TTL_MS,
      connectTimeoutMs: config.dependencyTimeoutMs,
      stallMs: config.relay.stallMs,
    });
    this.manager = new RelayManager(this.cluster.factory, config, log, this.metrics);
  }

  /** Starts the credential hop and the heartbeats, and closes the audit rows this instance left open. */
  async start(): Promise<void> {
    const { db, vault, config, log } = this.deps;
    this.hop = await startCredentialHop({
      host: '127.0.0.1',
      onError: (err) => log.warn({ err: { message: String((err as Error)?.message ?? err) } }, 'relay: hop'),
    });
    this.local = localUpstreamFactory({ db, vault, hop: this.hop, config, log, metrics: this.metrics });
    const stale = await closeStaleVideoSessions(db, this.instanceId);
    if (stale > 0) log.warn({ stale }, 'relay: closed video sessions left open by the previous run');
    this.timer = setInterval(() => void this.tick(), HEARTBEAT_MS);
    this.timer.unref();
  }

  /** Where other instances reach this one, once known (a test API listens on a port picked at random). */
  listeningAt(internalUrl: string): void {
    this.internalUrl = internalUrl;
  }

  async admit(viewer: ViewerEntry): Promise<Admission> {
    const { countyMaxViewers, maxViewersPerUser } = this.deps.config.relay;
    const admission = await this.registry.admit(viewer, VIEWER_TTL_MS, {
      county: countyMaxViewers,
      user: maxViewersPerUser,
    });
    if (admission === 'ok') this.viewers.set(viewer.viewerId, viewer);
    return admission;
  }

  async leave(viewer: ViewerEntry): Promise<void> {
    this.viewers.delete(viewer.viewerId);
    await this.registry.leave(viewer).catch(() => undefined); // its entry expires by itself
  }

  /** Keeps a viewer session's promise until it settles; `cut` ends it at shutdown. */
  track(session: Promise<void>, cut: () => void): void {
    const settled = session.catch((err: Error) =>
      this.deps.log.warn({ err: { message: err.message } }, 'relay: viewer session failed'),
    );
    this.sessions.set(settled, cut);
    void settled.then(() => this.sessions.delete(settled));
  }

  private async tick(): Promise<void> {
    if (this.ticking) return;
    this.ticking = true;
    try {
      await this.cluster.heartbeat();
      const live = this.cluster.ownedCameras().flatMap((cameraId) => {
        const s = this.manager.stats(cameraId);
        if (s?.status !== 'live' || s.frames === 0) return [];
        const { frames, keyframes, bytes, windowMs } = s;
        const stats = { frames, keyframes, bytes, windowMs, at: Date.now(), instanceId: this.instanceId };
        return [{ cameraId, stats }];
      });
      await this.registry.publishStats(live, RELAY_STATS_MAX_AGE_MS + HEARTBEAT_MS);
      await this.registry.refresh([...this.viewers.values()], VIEWER_TTL_MS);
    } catch (err) {
      this.deps.log.warn({ err: { message: (err as Error).message } }, 'relay: heartbeat failed');
    } finally {
      this.ticking = false;
    }
  }

  /** Ends every viewer (their audit rows closed), stops every upstream (ffmpeg reaped), then the hop. */
  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.manager.close();
    const cutoff = setTimeout(() => {
      for (const cut of this.sessions.values()) cut();
    }, CLOSE_GRACE_MS);
    while (this.sessions.size > 0) await Promise.allSettled([...this.sessions.keys()]);
    clearTimeout(cutoff);
    await this.hop?.close();
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}
