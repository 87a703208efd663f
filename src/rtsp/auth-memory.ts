import type { DigestChallenge } from '../onvif/http-digest.js';

/** What a camera asked for last time: its Digest challenge (with the nonce count used so far), or Basic. */
export type RememberedAuth = { kind: 'digest'; challenge: DigestChallenge; nc: number } | { kind: 'basic' };

const DEFAULT_MAX_ENTRIES = 100_000;

/**
 * The authentication each camera asked for, kept between probes so the next probe answers at once instead of
 * first being refused with a 401: one request and one round trip fewer per probe. It holds challenges and
 * nonces, never a credential. Bounded: past `maxEntries` the oldest entry goes.
 */
export class AuthMemory {
  private readonly entries = new Map<string, RememberedAuth>();

  constructor(private readonly maxEntries = DEFAULT_MAX_ENTRIES) {}

  static key(username: string | null, host: string, port: number): string {
    return `${username ?? ''}@${host}:${port}`;
  }

  get(key: string): RememberedAuth | undefined {
    return this.entries.get(key);
  }

  set(key: string, auth: RememberedAuth): void {
    this.entries.delete(key);
    if (this.entries.size >= this.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
    this.entries.set(key, auth);
  }

  forget(key: string): void {
    this.entries.delete(key);
  }

  get size(): number {
    return this.entries.size;
  }
}
