import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import type { Config } from '../config.js';
import type { LeaseOwner, RelayRegistry } from './cluster-registry.js';
import { openRemoteUpstream } from './cluster-remote.js';
import { type RelayTokenKeys, signRelayToken } from './cluster-token.js';
import { RelayRefusal, type Upstream, type UpstreamEvents, type UpstreamFactory } from './types.js';

export interface ClusterOptions {
  /** the upstream of a camera this instance owns (ffmpeg through the credential hop) */
  local: UpstreamFactory;
  registry: RelayRegistry;
  tokens: RelayTokenKeys;
  config: Pick<Config['relay'], 'maxUpstreams' | 'countyMaxUpstreams'>;
  /** this instance as other instances reach it; read at each claim (known once the API listens) */
  self: () => LeaseOwner;
  log: Logger;
  /** a lease not renewed for this long frees itself (an instance that died) */
  leaseTtlMs: number;
  connectTimeoutMs: number;
  /** a remote upstream silent this long ends (restart): the owner's camera stalled or the owner hangs */
  stallMs: number;
}

/** One camera's upstream pulled here, under its lease. */
interface Owned {
  cameraId: string;
  events: EventEmitter;
  /** set once it is being stopped: settles when ffmpeg is gone and the lease given back */
  retired: Promise<void> | null;
}

/**
 * The relay's UpstreamFactory across API instances, wrapping the local one: a camera has ONE upstream
 * county-wide. The first instance to claim the camera's lease in Redis pulls it (within its own cap and the
 * county's); every other instance reads the owner's internal stream. When the owner goes away that remote
 * upstream ends with restart=true, and the retry takes the lease over once it is free. Heartbeats renew the
 * leases of the upstreams owned here.
 */
export class ClusterUpstreams {
  private readonly owned = new Map<string, Owned>();
  readonly factory: UpstreamFactory = (cameraId) => this.open(cameraId);

  constructor(private readonly o: ClusterOptions) {}

  /** The cameras this instance pulls itself. */
  ownedCameras(): string[] {
    return [...this.owned.keys()];
  }

  private async open(cameraId: string): Promise<Upstream> {
    const me = this.o.self();
    const claim = await this.o.registry.claim(
      cameraId,
      me,
      this.o.leaseTtlMs,
      this.o.config.countyMaxUpstreams,
    );
    if (claim.kind === 'full') {
      throw new RelayRefusal('failed', 'every live stream the county allows is in use; try again later');
    }
    if (claim.kind === 'owner') {
      return openRemoteUpstream({
        ownerUrl: claim.owner.internalUrl,
        cameraId,
        token: signRelayToken(this.o.tokens, cameraId),
        connectTimeoutMs: this.o.connectTimeoutMs,
        stallMs: this.o.stallMs,
      });
    }
    if (!this.owned.has(cameraId) && this.owned.size >= this.o.config.maxUpstreams) {
      await this.o.registry.release(cameraId, me).catch(() => undefined);
      throw new RelayRefusal('failed', 'this server streams as many cameras as it may; try again later');
    }
    let upstream: Upstream;
    try {
      upstream = await this.o.local(cameraId);
    } catch (err) {
      if (!this.owned.has(cameraId)) await this.o.registry.release(cameraId, me).catch(() => undefined);
      throw err;
    }
    return this.own(cameraId, upstream, me);
  }

  private own(cameraId: string, upstream: Upstream, me: LeaseOwner): Upstream {
    const entry: Owned = { cameraId, events: new EventEmitter(), retired: null };
    this.owned.set(cameraId, entry);
    // The lease is given back only once ffmpeg is gone (and renewed until then): never two sessions on the
    // camera, even while a stalled ffmpeg takes its time to die.
    const retire = () => {
      entry.retired ??= upstream
        .stop()
        .catch(() => undefined)
        .then(() => this.release(entry, me));
      return entry.retired;
    };
    upstream.on('data', (chunk) => entry.events.emit('data', chunk));
    upstream.on('end', (reason, restart) => {
      void retire();
      entry.events.emit('end', reason, restart);
    });
    entry.events.on('lost', (reason: string) => {
      if (entry.retired) return;
      void retire().then(() => entry.events.emit('end', reason, true));
    });
    return {
      kind: upstream.kind,
      on<E extends keyof UpstreamEvents>(event: E, listener: UpstreamEvents[E]) {
        entry.events.on(event, listener);
        return this;
      },
      stop: retire,
    };
  }

  /** Forgets the entry and gives the lease back, unless a newer upstream of the camera took over here. */
  private async release(entry: Owned, me: LeaseOwner): Promise<void> {
    if (this.owned.get(entry.cameraId) !== entry) return;
    this.owned.delete(entry.cameraId);
    await this.o.registry.release(entry.cameraId, me).catch((err: Error) => {
      this.o.log.warn(
        { cameraId: entry.cameraId, err: { message: err.message } },
        'relay: lease not released',
      );
    });
  }

  /**
   * Renews the lease of every upstream pulled here; one whose lease went to another instance (this one was cut
   * off from Redis for longer than the lease) ends, to be served from the new owner.
   */
  async heartbeat(): Promise<void> {
    const me = this.o.self();
    for (const entry of [...this.owned.values()]) {
      const claim = await this.o.registry
        .claim(entry.cameraId, me, this.o.leaseTtlMs, this.o.config.countyMaxUpstreams)
        .catch((err: Error) => {
          // Redis away: keep streaming; a lease lost meanwhile is noticed on the next renewal that answers
          this.o.log.warn({ err: { message: err.message } }, 'relay: lease not renewed');
          return null;
        });
      if (claim && claim.kind !== 'ours' && !entry.retired) {
        this.o.log.warn({ cameraId: entry.cameraId, claim: claim.kind }, 'relay: lease lost; handing over');
        entry.events.emit('lost', 'this server lost the camera to another; switching over');
      }
    }
  }
}
