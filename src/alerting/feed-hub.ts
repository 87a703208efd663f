/**
 * The API side of the alert feed. One hub per API instance follows alert_feed (a Redis nudge, or a fallback poll
 * when a nudge is lost) and hands each new entry to the console sockets of that instance. A socket that
 * connects with the last id it saw first gets what it missed from Postgres, then follows the hub: the feed's
 * ordered ids make that switch exact across reconnects, API instances and restarts.
 */
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Principal } from '../auth/policy.js';
import type { Queryable } from '../db.js';
import { type FeedEntry, feedVisibleTo, lastFeedId, readFeed } from './feed-repo.js';

/** An entry and its console message, serialised once for every socket. */
export interface FeedDelivery {
  entry: FeedEntry;
  message: string;
}

/** `{type:'alert', id, kind, at, severity, ...payload}` */
export function consoleMessage(entry: FeedEntry): string {
  return JSON.stringify({
    ...entry.payload,
    type: 'alert',
    id: entry.id,
    kind: entry.kind,
    at: entry.at.toISOString(),
    severity: entry.severity,
  });
}

const delivery = (entry: FeedEntry): FeedDelivery => ({ entry, message: consoleMessage(entry) });

export interface FeedHubOptions {
  /** fallback read when no nudge arrives */
  pollMs?: number;
  pageSize?: number;
}

type Listener = (d: FeedDelivery) => void;

export class FeedHub {
  private cursor: number | null = null;
  private readonly listeners = new Set<Listener>();
  private pulling: Promise<void> | null = null;
  private again = false;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  readonly pollMs: number;
  readonly pageSize: number;

  constructor(
    private readonly db: Queryable,
    private readonly subscriber: Redis,
    private readonly channel: string,
    private readonly log: Logger,
    opts: FeedHubOptions = {},
  ) {
    this.pollMs = opts.pollMs ?? 2000;
    this.pageSize = opts.pageSize ?? 500;
  }

  /**
   * Starts at the feed's current last id, subscribes (again on every Redis reconnect) and polls. Never throws:
   * a database or Redis that is down is retried by the poll.
   */
  async start(): Promise<void> {
    this.subscriber.on('message', (channel: string) => {
      if (channel === this.channel) this.poke();
    });
    const subscribe = () =>
      this.subscriber.subscribe(this.channel).then(
        () => undefined,
        (err: Error) => this.log.warn({ err: { message: err.message } }, 'alert feed: not subscribed yet'),
      );
    this.subscriber.on('ready', () => {
      void subscribe();
      this.poke(); // nudges sent while Redis was away are lost: read now
    });
    await subscribe();
    this.poke();
    await this.pulling;
    this.timer = setInterval(() => this.poke(), this.pollMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    this.listeners.clear();
    await this.pulling;
  }

  /** The last id this instance has handed to its sockets (null until the feed could be read once). */
  get lastId(): number | null {
    return this.cursor;
  }

  /** Every entry from now on, in id order; returns the function that stops listening. */
  listen(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Reads the feed now (one read at a time; a poke during a read reads again after it). */
  poke(): void {
    if (this.stopped) return;
    if (this.pulling) {
      this.again = true;
      return;
    }
    this.pulling = this.drain().finally(() => {
      this.pulling = null;
      if (this.again) {
        this.again = false;
        this.poke();
      }
    });
  }

  private async drain(): Promise<void> {
    try {
      if (this.cursor === null) {
        this.cursor = await lastFeedId(this.db);
        return;
      }
      for (;;) {
        const page = await readFeed(this.db, this.cursor, this.pageSize);
        for (const entry of page) {
          this.cursor = entry.id;
          const d = delivery(entry);
          for (const listener of this.listeners) {
            try {
              listener(d);
            } catch (err) {
              this.log.warn({ err }, 'alert feed: a listener failed');
            }
          }
        }
        if (page.length < this.pageSize || this.stopped) return;
      }
    } catch (err) {
      this.log.warn({ err: { message: (err as Error).message } }, 'alert feed: read failed, retrying');
    }
  }
}

/** What a console feed needs of a WebSocket (the `ws` socket fits). */
export interface ConsoleSocket {
  send(data: string, cb?: (err?: Error) => void): void;
  readonly bufferedAmount: number;
  close(code?: number, reason?: string): void;
  terminate(): void;
}

/** Close code for a console that does not read fast enough; it reconnects with the last id it received. */
export const CLOSE_TOO_SLOW = 4408;

export interface ConsoleFeedOptions {
  /** a socket with more than this many bytes waiting to be sent is closed (CLOSE_TOO_SLOW) */
  maxBufferedBytes?: number;
  /** live entries kept while replaying; past this they are dropped and read again from Postgres */
  maxPending?: number;
}

/**
 * One console socket's view of the feed. `start(since)` replays the visible entries after `since` from
 * Postgres, then switches to the hub's live entries; live entries that arrive during the replay wait in
 * `pending`, and only ids above the last one looked at are sent, so nothing is missed or sent twice. After the
 * replay it sends `{type:'synced', lastId}`: the id to resume from if nothing newer arrives.
 */
export class ConsoleFeed {
  private cursor = 0;
  private pending: FeedDelivery[] | null = null;
  private overflowed = false;
  private stopped = false;
  private unlisten: () => void = () => undefined;
  /** ends a replay waiting for its socket to take a page */
  private wake: () => void = () => undefined;
  private readonly maxBufferedBytes: number;
  private readonly maxPending: number;

  constructor(
    private readonly hub: FeedHub,
    private readonly db: Queryable,
    private readonly viewer: Pick<Principal, 'role' | 'scopeDistrictId'>,
    private readonly socket: ConsoleSocket,
    opts: ConsoleFeedOptions = {},
  ) {
    this.maxBufferedBytes = opts.maxBufferedBytes ?? 1024 * 1024;
    this.maxPending = opts.maxPending ?? 10_000;
  }

  /** `since` null: from now on. Rejects when the feed cannot be read. */
  async start(since: number | null): Promise<void> {
    this.pending = [];
    this.unlisten = this.hub.listen((d) => this.live(d));
    // synchronously with listening: whatever the hub hands out later is above this id, or read below
    const from = since ?? this.hub.lastId;
    this.cursor = from ?? (await lastFeedId(this.db));
    for (;;) {
      await this.replay();
      if (this.stopped) return;
      if (this.overflowed) {
        this.overflowed = false;
        this.pending = [];
        continue;
      }
      // no await from the last read to here: no live entry can slip between the replay and the switch
      const pending = this.pending ?? [];
      this.pending = null;
      for (const d of pending) this.deliver(d);
      if (!this.stopped) this.socket.send(JSON.stringify({ type: 'synced', lastId: this.cursor }));
      return;
    }
  }

  stop(): void {
    this.stopped = true;
    this.pending = null;
    this.unlisten();
    this.wake();
  }

  private live(d: FeedDelivery): void {
    if (this.stopped) return;
    if (this.pending === null) {
      this.deliver(d);
    } else if (!this.overflowed) {
      if (this.pending.length < this.maxPending) this.pending.push(d);
      else {
        this.overflowed = true;
        this.pending = [];
      }
    }
  }

  private deliver(d: FeedDelivery): void {
    if (this.stopped || d.entry.id <= this.cursor) return;
    this.cursor = d.entry.id;
    if (!feedVisibleTo(this.viewer, d.entry)) return;
    this.socket.send(d.message);
    if (this.socket.bufferedAmount > this.maxBufferedBytes) this.tooSlow();
  }

  /** Pages from Postgres until the end, each page sent before the next is read (flow control). */
  private async replay(): Promise<void> {
    for (;;) {
      const page = await readFeed(this.db, this.cursor, this.hub.pageSize);
      if (this.stopped) return;
      const visible = page.filter((e) => feedVisibleTo(this.viewer, e));
      this.cursor = page.at(-1)?.id ?? this.cursor;
      const last = visible.pop();
      for (const entry of visible) this.socket.send(consoleMessage(entry));
      if (last) {
        await new Promise<void>((resolve) => {
          this.wake = resolve;
          this.socket.send(consoleMessage(last), () => resolve());
        });
      }
      if (page.length < this.hub.pageSize || this.stopped) return;
    }
  }

  private tooSlow(): void {
    this.stop();
    this.socket.close(CLOSE_TOO_SLOW, 'console too slow: reconnect with since=<last id received>');
    // a reader that has stopped never takes the close frame either
    setTimeout(() => this.socket.terminate(), 5000).unref();
  }
}
