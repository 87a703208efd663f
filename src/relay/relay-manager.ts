import type { Logger } from 'pino';
import type { Config } from '../config.js';
import { nextAttempt, restartDelay } from './backoff.js';
import { DEFAULT_GIVE_UP_MS, type FlowState, nextFlow, waitingFlow } from './backpressure.js';
import { GopCache } from './gop-cache.js';
import type { RelayMetrics } from './metrics.js';
import { StatsWindow, type WindowFigures } from './stats-window.js';
import { TsScanner } from './ts-packets.js';
import {
  RelayRefusal,
  type RelayStatus,
  type RelayViewer,
  type Upstream,
  type UpstreamFactory,
} from './types.js';

/**
 * The relay of this instance: per camera ONE upstream however many viewers, a keyframe cache so that a new
 * viewer starts decoding at once, fan-out with per-viewer backpressure (backpressure.ts), restarts with
 * jittered backoff after a stall or an exit, and an idle stop after the last viewer leaves.
 *
 * After 'reconnecting' the next bytes a viewer gets are PAT, PMT and a keyframe of the new upstream (its
 * timestamps start afresh: a player should reset its demuxer on that status).
 */

/** WebSocket close codes given to viewers. */
export const CLOSE_SHUTDOWN = 1001;
/** the viewer stayed behind the live stream (too slow a link) */
export const CLOSE_TOO_SLOW = 4001;
/** the upstream was refused or failed for good (the status said why) */
export const CLOSE_REFUSED = 4002;

export interface RelayStats extends WindowFigures {
  status: RelayStatus;
  kind: Upstream['kind'] | null;
  viewers: number;
  /** Since the last bytes from the upstream; null before any came. */
  lastDataMs: number | null;
}

export interface RelayManagerOptions {
  /** A viewer behind for longer than this is closed (default 10 s). */
  giveUpMs?: number;
  /** Seconds covered by stats() (default 10). */
  statsSeconds?: number;
  random?: () => number;
}

interface Viewer {
  viewer: RelayViewer;
  flow: FlowState;
}

interface Channel {
  cameraId: string;
  viewers: Map<RelayViewer, Viewer>;
  upstream: Upstream | null;
  /** Bumped whenever the upstream changes: events of an older one are ignored. */
  generation: number;
  opening: boolean;
  status: RelayStatus;
  message: string;
  scanner: TsScanner;
  gop: GopCache;
  window: StatsWindow;
  attempt: number;
  liveSince: number;
  lastDataAt: number | null;
  restartTimer: NodeJS.Timeout | null;
  idleTimer: NodeJS.Timeout | null;
  closed: boolean;
}

/** A GOP above this is not cached (the joiner waits for the next keyframe instead). */
const MAX_GOP_BYTES = 8 << 20;
const MESSAGES: Record<'starting' | 'live' | 'reconnecting', string> = {
  starting: 'connecting to the camera',
  live: 'live',
  reconnecting: 'the camera stream was interrupted; reconnecting',
};

export class RelayManager {
  private readonly channels = new Map<string, Channel>();
  /** Upstream stops and opens in flight, awaited by close(). */
  private readonly pending = new Set<Promise<unknown>>();
  /** Per camera, the stop of its last upstream: a new one opens only after it (one session per camera). */
  private readonly stopping = new Map<string, Promise<void>>();
  private readonly relay: Config['relay'];
  private readonly giveUpMs: number;
  private readonly statsSeconds: number;
  private readonly random: () => number;
  private closed = false;

  constructor(
    private readonly factory: UpstreamFactory,
    config: Pick<Config, 'relay'>,
    private readonly log: Logger,
    private readonly metrics?: RelayMetrics,
    options: RelayManagerOptions = {},
  ) {
    this.relay = config.relay;
    this.giveUpMs = options.giveUpMs ?? DEFAULT_GIVE_UP_MS;
    this.statsSeconds = options.statsSeconds ?? 10;
    this.random = options.random ?? Math.random;
  }

  /**
   * Adds a viewer of a camera; resolves with its detach function once it is registered. Everything after
   * that (bytes, statuses, a refusal and the close that follows it) reaches the viewer through its methods.
   */
  async attach(cameraId: string, viewer: RelayViewer): Promise<() => void> {
    if (this.closed) throw new Error('relay: the relay manager is closed');
    let ch = this.channels.get(cameraId);
    if (!ch) {
      if (this.channels.size >= this.relay.maxUpstreams) {
        this.metrics?.refusals.inc({ status: 'failed' });
        safely(() => viewer.status('failed', 'too many cameras are being watched through this server'));
        safely(() => viewer.close(CLOSE_REFUSED, 'upstream cap reached'));
        return () => {};
      }
      ch = this.newChannel(cameraId);
    }
    const channel = ch;
    if (channel.idleTimer) clearTimeout(channel.idleTimer);
    channel.idleTimer = null;
    const entry: Viewer = { viewer, flow: waitingFlow() };
    channel.viewers.set(viewer, entry);
    this.metrics?.viewers.inc();
    safely(() => viewer.status(channel.status, channel.message));
    const start = channel.gop.start();
    if (start && channel.status === 'live') {
      entry.flow.mode = 'live';
      for (const chunk of start) this.write(channel, entry, chunk);
    }
    if (!channel.upstream && !channel.opening && !channel.restartTimer) this.open(channel);
    let detached = false;
    return () => {
      if (detached) return;
      detached = true;
      this.removeViewer(channel, viewer);
    };
  }

  /** The upstream's figures over the last seconds; null when this instance relays nothing of the camera. */
  stats(cameraId: string): RelayStats | null {
    const ch = this.channels.get(cameraId);
    if (!ch) return null;
    const now = Date.now();
    return {
      status: ch.status,
      kind: ch.upstream?.kind ?? null,
      viewers: ch.viewers.size,
      lastDataMs: ch.lastDataAt === null ? null : now - ch.lastDataAt,
      ...ch.window.figures(now),
    };
  }

  /** Cameras with a channel (an upstream open, opening, restarting or about to stop). */
  cameras(): string[] {
    return [...this.channels.keys()];
  }

  /** Closes every viewer and stops every upstream (resolves once every ffmpeg is reaped). */
  async close(): Promise<void> {
    this.closed = true;
    for (const ch of [...this.channels.values()]) {
      for (const { viewer } of ch.viewers.values())
        safely(() => viewer.close(CLOSE_SHUTDOWN, 'relay closing'));
      this.metrics?.viewers.dec(ch.viewers.size);
      ch.viewers.clear();
      this.closeChannel(ch);
    }
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
  }

  private newChannel(cameraId: string): Channel {
    const now = Date.now();
    const ch: Channel = {
      cameraId,
      viewers: new Map(),
      upstream: null,
      generation: 0,
      opening: false,
      status: 'starting',
      message: MESSAGES.starting,
      scanner: new TsScanner(),
      gop: new GopCache(MAX_GOP_BYTES),
      window: new StatsWindow(this.statsSeconds, now),
      attempt: 0,
      liveSince: now,
      lastDataAt: null,
      restartTimer: null,
      idleTimer: null,
      closed: false,
    };
    this.channels.set(cameraId, ch);
    return ch;
  }

  private open(ch: Channel): void {
    const generation = ++ch.generation;
    ch.opening = true;
    const current = () => !ch.closed && ch.generation === generation;
    const opened = Promise.resolve(this.stopping.get(ch.cameraId))
      .then(() => (current() ? this.factory(ch.cameraId) : Promise.reject(new Error('superseded'))))
      .then(
        (upstream) => {
          ch.opening = false;
          if (!current()) return this.track(upstream.stop());
          ch.upstream = upstream;
          this.metrics?.upstreams.inc({ kind: upstream.kind });
          upstream.on('data', (chunk) => {
            if (current()) this.onData(ch, chunk);
          });
          upstream.on('end', (reason, restart) => {
            if (current()) this.onEnd(ch, reason, restart);
          });
        },
        (error: unknown) => {
          ch.opening = false;
          if (!current()) return;
          if (error instanceof RelayRefusal) this.refuse(ch, error);
          else this.onEnd(ch, error instanceof Error ? error.message : String(error), true);
        },
      );
    this.track(opened);
  }

  private onData(ch: Channel, chunk: Buffer): void {
    const now = Date.now();
    const scan = ch.scanner.scan(chunk);
    ch.lastDataAt = now;
    ch.window.add(now, scan.frames, scan.keyframes.length, chunk.length);
    ch.gop.push(chunk, scan);
    if (ch.status !== 'live') {
      ch.liveSince = now;
      this.setStatus(ch, 'live', MESSAGES.live);
    }
    const keyframeAt = scan.keyframes[0] ?? -1;
    const input = {
      buffered: 0,
      maxBuffered: this.relay.viewerMaxBufferBytes,
      keyframeAt,
      now,
      giveUpMs: this.giveUpMs,
    };
    for (const entry of ch.viewers.values()) {
      input.buffered = safely(() => entry.viewer.bufferedBytes()) ?? 0;
      const wasLive = entry.flow.mode === 'live';
      const action = nextFlow(entry.flow, input);
      if (action.kind === 'send') this.write(ch, entry, chunk);
      else if (action.kind === 'drop') {
        if (wasLive) this.metrics?.viewerSkips.inc();
      } else if (action.kind === 'close') {
        this.metrics?.viewerDrops.inc();
        safely(() => entry.viewer.close(CLOSE_TOO_SLOW, 'the connection is too slow for live video'));
        this.removeViewer(ch, entry.viewer);
      } else {
        const tables = ch.gop.tables();
        if (!tables) entry.flow.mode = 'waiting';
        else {
          for (const table of tables) this.write(ch, entry, table);
          this.write(ch, entry, action.offset === 0 ? chunk : chunk.subarray(action.offset));
        }
      }
    }
  }

  private write(ch: Channel, entry: Viewer, chunk: Buffer): void {
    try {
      entry.viewer.write(chunk);
      this.metrics?.bytesOut.inc(chunk.length);
    } catch (error) {
      this.log.warn(
        { cameraId: ch.cameraId, viewer: entry.viewer.id, err: error },
        'relay: viewer write failed',
      );
      safely(() => entry.viewer.close(CLOSE_SHUTDOWN, 'write failed'));
      this.removeViewer(ch, entry.viewer);
    }
  }

  private onEnd(ch: Channel, reason: string, restart: boolean): void {
    this.dropUpstream(ch);
    if (!restart) {
      this.refuse(ch, new RelayRefusal('failed', reason));
      return;
    }
    const now = Date.now();
    const liveMs = ch.status === 'live' ? now - ch.liveSince : 0;
    const stableMs = Math.max(10_000, this.relay.restartMaxMs);
    const delay = restartDelay(ch.attempt, this.relay.restartBaseMs, this.relay.restartMaxMs, this.random);
    ch.attempt = nextAttempt(ch.attempt, liveMs, stableMs);
    this.log.info({ cameraId: ch.cameraId, reason, delay }, 'relay: upstream ended; restarting');
    this.metrics?.restarts.inc();
    ch.gop.clear();
    ch.scanner = new TsScanner();
    ch.window.reset(now);
    for (const entry of ch.viewers.values()) entry.flow = waitingFlow();
    this.setStatus(ch, 'reconnecting', MESSAGES.reconnecting);
    ch.restartTimer = setTimeout(() => {
      ch.restartTimer = null;
      if (!ch.closed && ch.viewers.size > 0) this.open(ch);
    }, delay);
  }

  /** Forgets the current upstream and stops it (its stop is awaited by close()). */
  private dropUpstream(ch: Channel): void {
    ch.generation++;
    const upstream = ch.upstream;
    ch.upstream = null;
    if (!upstream) return;
    this.metrics?.upstreams.dec({ kind: upstream.kind });
    const stopped = upstream.stop();
    this.stopping.set(ch.cameraId, stopped);
    void stopped.finally(() => {
      if (this.stopping.get(ch.cameraId) === stopped) this.stopping.delete(ch.cameraId);
    });
    this.track(stopped);
  }

  private refuse(ch: Channel, refusal: RelayRefusal): void {
    this.log.info(
      { cameraId: ch.cameraId, status: refusal.status, reason: refusal.message },
      'relay: refused',
    );
    this.metrics?.refusals.inc({ status: refusal.status });
    for (const { viewer } of ch.viewers.values()) {
      safely(() => viewer.status(refusal.status, refusal.message));
      safely(() => viewer.close(CLOSE_REFUSED, refusal.status));
    }
    this.metrics?.viewers.dec(ch.viewers.size);
    ch.viewers.clear();
    this.closeChannel(ch);
  }

  private setStatus(ch: Channel, status: RelayStatus, message: string): void {
    ch.status = status;
    ch.message = message;
    for (const { viewer } of ch.viewers.values()) safely(() => viewer.status(status, message));
  }

  private removeViewer(ch: Channel, viewer: RelayViewer): void {
    if (!ch.viewers.delete(viewer)) return;
    this.metrics?.viewers.dec();
    if (ch.viewers.size > 0 || ch.closed) return;
    ch.idleTimer = setTimeout(() => this.closeChannel(ch), this.relay.idleStopMs);
  }

  private closeChannel(ch: Channel): void {
    ch.closed = true;
    if (this.channels.get(ch.cameraId) === ch) this.channels.delete(ch.cameraId);
    if (ch.restartTimer) clearTimeout(ch.restartTimer);
    if (ch.idleTimer) clearTimeout(ch.idleTimer);
    ch.restartTimer = null;
    ch.idleTimer = null;
    this.dropUpstream(ch);
    this.log.debug({ cameraId: ch.cameraId }, 'relay: channel closed');
  }

  private track(promise: Promise<unknown>): void {
    const settled = promise.catch(() => {});
    this.pending.add(settled);
    void settled.then(() => this.pending.delete(settled));
  }
}

function safely<T>(fn: () => T): T | undefined {
  try {
    return fn();
  } catch {
    return undefined;
  }
}
