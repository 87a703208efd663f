import { createHash, createHmac, randomBytes } from 'node:crypto';
import type { RtspCameraView } from './fault-view.js';

/**
 * Basic (RFC 7617) and Digest (RFC 2617 / RFC 7616, MD5) authentication for the light responder. Nonces are
 * stateless — a timestamp plus an HMAC over it with a per-server secret — so thousands of cameras and
 * connections need no nonce table.
 */

export const REALM = 'Xueliang Camera';
const NONCE_TTL_MS = 10 * 60_000;

const md5 = (text: string): string => createHash('md5').update(text).digest('hex');

export class RtspAuthenticator {
  private readonly secret = randomBytes(16);

  constructor(private readonly realm = REALM) {}

  /** The WWW-Authenticate value of a 401 for this camera. */
  challenge(camera: RtspCameraView, stale = false): string {
    if (camera.auth !== 'digest') return `Basic realm="${this.realm}"`;
    return `Digest realm="${this.realm}", nonce="${this.nonce()}"${stale ? ', stale=TRUE' : ''}`;
  }

  /** 'ok', or why the request is refused ('stale' asks the client to retry with a fresh nonce). */
  check(
    camera: RtspCameraView,
    method: string,
    authorization: string | undefined,
  ): 'ok' | 'denied' | 'stale' {
    if (camera.auth === 'none') return 'ok';
    if (!authorization) return 'denied';
    const space = authorization.indexOf(' ');
    const scheme = (space < 0 ? authorization : authorization.slice(0, space)).toLowerCase();
    const rest = space < 0 ? '' : authorization.slice(space + 1).trim();
    if (camera.auth === 'basic') {
      if (scheme !== 'basic') return 'denied';
      const expected = Buffer.from(`${camera.username}:${camera.password}`, 'utf8').toString('base64');
      return rest === expected ? 'ok' : 'denied';
    }
    if (scheme !== 'digest') return 'denied';
    const params = parseAuthParams(rest);
    const nonce = params.get('nonce');
    const response = params.get('response');
    const uri = params.get('uri');
    if (!nonce || !response || uri === undefined) return 'denied';
    if (params.get('username') !== camera.username || params.get('realm') !== this.realm) return 'denied';
    const algorithm = params.get('algorithm');
    if (algorithm !== undefined && algorithm.toUpperCase() !== 'MD5') return 'denied';
    const ha1 = md5(`${camera.username}:${this.realm}:${camera.password}`);
    const ha2 = md5(`${method}:${uri}`);
    const qop = params.get('qop');
    const expected =
      qop === undefined
        ? md5(`${ha1}:${nonce}:${ha2}`)
        : md5(`${ha1}:${nonce}:${params.get('nc') ?? ''}:${params.get('cnonce') ?? ''}:${qop}:${ha2}`);
    if (response.toLowerCase() !== expected) return 'denied';
    return this.nonceFresh(nonce) ? 'ok' : 'stale';
  }

  private nonce(now = Date.now()): string {
    const stamp = now.toString(16);
    return `${stamp}${this.mac(stamp)}`;
  }

  private mac(stamp: string): string {
    return createHmac('sha256', this.secret).update(stamp).digest('hex').slice(0, 24);
  }

  private nonceFresh(nonce: string): boolean {
    if (nonce.length <= 24) return false;
    const stamp = nonce.slice(0, -24);
    if (this.mac(stamp) !== nonce.slice(-24)) return false;
    const age = Date.now() - Number.parseInt(stamp, 16);
    return age >= -60_000 && age <= NONCE_TTL_MS;
  }
}

/** `k=v, k="v, with comma"` → map (keys lower-cased). A linear scan; quoted strings honour backslashes. */
export function parseAuthParams(input: string): Map<string, string> {
  const params = new Map<string, string>();
  let i = 0;
  const n = input.length;
  while (i < n) {
    while (i < n && (input[i] === ' ' || input[i] === ',' || input[i] === '\t')) i++;
    const keyStart = i;
    while (i < n && input[i] !== '=' && input[i] !== ',') i++;
    const key = input.slice(keyStart, i).trim().toLowerCase();
    if (i >= n || input[i] !== '=') {
      if (key) params.set(key, '');
      continue;
    }
    i++; // '='
    while (i < n && input[i] === ' ') i++;
    let value = '';
    if (input[i] === '"') {
      i++;
      while (i < n && input[i] !== '"') {
        if (input[i] === '\\' && i + 1 < n) i++;
        value += input[i];
        i++;
      }
      i++; // closing quote
    } else {
      const valueStart = i;
      while (i < n && input[i] !== ',') i++;
      value = input.slice(valueStart, i).trim();
    }
    if (key) params.set(key, value);
  }
  return params;
}
