import type { Redis } from 'ioredis';
import type { Logger } from 'pino';

type Closer = (reason: string) => void;

/**
 * Cuts a user's open connections (console sockets, video) on every API instance when the user is disabled or
 * changes password. Tokens are already refused by then (sessions are revoked in Postgres); this ends what was
 * opened with them. Redis pub/sub is enough here: a missed message only matters to a process that was down,
 * and a restarted process has no connections left to cut.
 */
export class Revocations {
  private readonly open = new Map<string, Set<Closer>>();

  constructor(
    private readonly publisher: Redis,
    private readonly subscriber: Redis,
    private readonly channel: string,
    private readonly log: Logger,
  ) {}

  /**
   * Subscribes now and again on every reconnect, so a process that started while Redis was down still hears
   * revocations once Redis is back. Resolves when the first attempt succeeded or failed (logged), never throws.
   */
  async start(): Promise<void> {
    this.subscriber.on('message', (channel: string, userId: string) => {
      if (channel === this.channel) this.closeLocal(userId);
    });
    const subscribe = () =>
      this.subscriber.subscribe(this.channel).then(
        () => undefined,
        (err: Error) => this.log.warn({ err: { message: err.message } }, 'revocations: not subscribed yet'),
      );
    this.subscriber.on('ready', () => void subscribe());
    await subscribe();
  }

  /** Registers a connection of a user; returns the function that forgets it when it closes by itself. */
  track(userId: string, close: Closer): () => void {
    let set = this.open.get(userId);
    if (!set) {
      set = new Set();
      this.open.set(userId, set);
    }
    set.add(close);
    return () => {
      set.delete(close);
      if (set.size === 0) this.open.delete(userId);
    };
  }

  async revoke(userId: string): Promise<void> {
    this.closeLocal(userId);
    try {
      await this.publisher.publish(this.channel, userId);
    } catch (err) {
      this.log.error(
        { err, userId },
        'revocations: could not tell other instances; their sockets expire on next use',
      );
    }
  }

  connectionsOf(userId: string): number {
    return this.open.get(userId)?.size ?? 0;
  }

  private closeLocal(userId: string): void {
    const set = this.open.get(userId);
    if (!set) return;
    this.open.delete(userId);
    for (const close of set) close('credentials revoked');
  }
}
