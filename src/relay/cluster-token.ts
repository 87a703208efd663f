import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';
import type { CredentialKey } from '../config.js';

/**
 * The token one API instance shows another to read a camera's internal relay stream: an HMAC of the camera id
 * and a time window, keyed from the credential key ring (HKDF, so the relay key is never the key that seals
 * camera credentials). The first key of the ring signs; every key verifies, so a key rotation rolled out one
 * instance at a time keeps the instances talking. Never a user's token: the internal route serves instances.
 */

const WINDOW_MS = 30_000;
const INFO = 'xueliang relay internal stream v1';

export type RelayTokenKeys = readonly Buffer[];

export function relayTokenKeys(ring: readonly CredentialKey[]): RelayTokenKeys {
  if (ring.length === 0) throw new Error('relay: the credential key ring is empty');
  return ring.map((k) => Buffer.from(hkdfSync('sha256', k.key, Buffer.alloc(0), INFO, 32)));
}

function mac(key: Buffer, cameraId: string, window: number): Buffer {
  return createHmac('sha256', key).update(`${cameraId}\n${window}`).digest();
}

export function signRelayToken(keys: RelayTokenKeys, cameraId: string, now = Date.now()): string {
  const window = Math.floor(now / WINDOW_MS);
  return `${window}.${mac(keys[0] as Buffer, cameraId, window).toString('base64url')}`;
}

/** True for a token of this camera signed by any key of the ring in this window or the one next to it. */
export function verifyRelayToken(
  keys: RelayTokenKeys,
  cameraId: string,
  token: string,
  now = Date.now(),
): boolean {
  const match = /^(\d{1,15})\.([A-Za-z0-9_-]{43})$/.exec(token);
  if (!match) return false;
  const window = Number(match[1]);
  if (Math.abs(window - Math.floor(now / WINDOW_MS)) > 1) return false;
  const given = Buffer.from(match[2] as string, 'base64url');
  return keys.some((key) => timingSafeEqual(given, mac(key, cameraId, window)));
}
