/**
 * HTTP Digest access authentication, client side (RFC 7616, compatible with RFC 2617 servers):
 * parsing WWW-Authenticate challenges and computing the Authorization header for qop=auth (or no qop).
 * Algorithms: MD5 (what cameras use), MD5-sess, SHA-256, SHA-256-sess.
 */

import { createHash, randomBytes } from 'node:crypto';

export interface DigestChallenge {
  realm: string;
  nonce: string;
  /** the qop options offered, lower-case; empty when the server sent none (RFC 2069 style) */
  qop: string[];
  /** canonical spelling: 'MD5' (the default), 'MD5-sess', 'SHA-256', 'SHA-256-sess' */
  algorithm: string;
  opaque: string | null;
  stale: boolean;
}

interface RawChallenge {
  scheme: string;
  params: Map<string, string>;
}

const TOKEN = /[!#$%&'*+\-.^_`|~0-9A-Za-z]+/y;
const CANONICAL: Record<string, string> = {
  MD5: 'MD5',
  'MD5-SESS': 'MD5-sess',
  'SHA-256': 'SHA-256',
  'SHA-256-SESS': 'SHA-256-sess',
};

function readQuoted(s: string, start: number): [string, number] {
  let out = '';
  let i = start + 1;
  while (i < s.length && s[i] !== '"') {
    if (s[i] === '\\' && i + 1 < s.length) i++;
    out += s[i];
    i++;
  }
  return [out, i + 1];
}

/** Splits one header value into challenges: `Basic realm="a", Digest realm="b", nonce="c"`. */
function splitChallenges(header: string): RawChallenge[] {
  const out: RawChallenge[] = [];
  let i = 0;
  while (i < header.length) {
    while (i < header.length && /[\s,]/.test(header[i] ?? '')) i++;
    TOKEN.lastIndex = i;
    const m = TOKEN.exec(header);
    if (!m) {
      i++; // stray character: skip it
      continue;
    }
    const name = m[0];
    i = TOKEN.lastIndex;
    let j = i;
    while (header[j] === ' ' || header[j] === '\t') j++;
    const current = out[out.length - 1];
    if (header[j] === '=' && current) {
      j++;
      while (header[j] === ' ' || header[j] === '\t') j++;
      let value: string;
      if (header[j] === '"') {
        [value, i] = readQuoted(header, j);
      } else {
        TOKEN.lastIndex = j;
        const v = TOKEN.exec(header);
        value = v ? v[0] : '';
        i = v ? TOKEN.lastIndex : j;
      }
      current.params.set(name.toLowerCase(), value);
    } else {
      out.push({ scheme: name.toLowerCase(), params: new Map() });
    }
  }
  return out;
}

/**
 * The first usable Digest challenge among the WWW-Authenticate header values, or null (no Digest
 * challenge, or only ones with an unsupported algorithm or qop).
 */
export function parseDigestChallenge(
  headers: string | readonly string[] | undefined,
): DigestChallenge | null {
  const values = headers === undefined ? [] : typeof headers === 'string' ? [headers] : headers;
  for (const value of values) {
    for (const c of splitChallenges(value)) {
      if (c.scheme !== 'digest') continue;
      const realm = c.params.get('realm');
      const nonce = c.params.get('nonce');
      const algorithm = CANONICAL[(c.params.get('algorithm') ?? 'MD5').toUpperCase()];
      const qop = (c.params.get('qop') ?? '')
        .split(',')
        .map((q) => q.trim().toLowerCase())
        .filter((q) => q !== '');
      if (realm === undefined || nonce === undefined || algorithm === undefined) continue;
      if (qop.length > 0 && !qop.includes('auth')) continue; // auth-int only: we cannot hash the body first
      return {
        realm,
        nonce,
        qop,
        algorithm,
        opaque: c.params.get('opaque') ?? null,
        stale: (c.params.get('stale') ?? '').toLowerCase() === 'true',
      };
    }
  }
  return null;
}

function quote(s: string): string {
  return `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

export interface DigestCredentials {
  username: string;
  password: string;
  method: string;
  /** the request-target as sent, e.g. /onvif/device_service */
  uri: string;
  /** for tests; random by default */
  cnonce?: string;
  /** nonce count, default 1 */
  nc?: number;
}

/** The Authorization header value answering `challenge`. */
export function digestAuthorization(challenge: DigestChallenge, creds: DigestCredentials): string {
  const hashName = challenge.algorithm.startsWith('SHA-256') ? 'sha256' : 'md5';
  const h = (s: string) => createHash(hashName).update(s, 'utf8').digest('hex');
  const cnonce = creds.cnonce ?? randomBytes(8).toString('hex');
  const nc = (creds.nc ?? 1).toString(16).padStart(8, '0');
  let ha1 = h(`${creds.username}:${challenge.realm}:${creds.password}`);
  if (challenge.algorithm.endsWith('-sess')) ha1 = h(`${ha1}:${challenge.nonce}:${cnonce}`);
  const ha2 = h(`${creds.method}:${creds.uri}`);
  const withQop = challenge.qop.includes('auth');
  const response = withQop
    ? h(`${ha1}:${challenge.nonce}:${nc}:${cnonce}:auth:${ha2}`)
    : h(`${ha1}:${challenge.nonce}:${ha2}`);
  const parts = [
    `username=${quote(creds.username)}`,
    `realm=${quote(challenge.realm)}`,
    `nonce=${quote(challenge.nonce)}`,
    `uri=${quote(creds.uri)}`,
    `algorithm=${challenge.algorithm}`,
    `response=${quote(response)}`,
  ];
  if (withQop) parts.push('qop=auth', `nc=${nc}`, `cnonce=${quote(cnonce)}`);
  if (challenge.opaque !== null) parts.push(`opaque=${quote(challenge.opaque)}`);
  return `Digest ${parts.join(', ')}`;
}
