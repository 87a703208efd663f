import { xmlEscape } from './xml.js';

/**
 * Secret redaction for any text that may echo a secret back (device replies, error messages, logs).
 * Each secret is removed in every form a peer is likely to echo it in: raw, URL-encoded, XML-escaped,
 * JSON-escaped and base64 (alone, embedded at any byte alignment in a longer base64 run, and as the
 * 'user:password' pair of HTTP Basic).
 */

const MASK = '***';
const MIN_SECRET_LENGTH = 3;
/** A base64 fragment shorter than this is too likely to match by chance to be worth masking. */
const MIN_BASE64_CORE = 4;

function urlForms(s: string): string[] {
  const component = encodeURIComponent(s);
  const lowerHex = component.replace(/%[0-9A-F]{2}/g, (h) => h.toLowerCase());
  const form = component.replace(/%20/g, '+');
  let uri = s;
  try {
    uri = encodeURI(s);
  } catch {
    // a lone surrogate: encodeURIComponent would have thrown first; keep the raw form
  }
  return [component, lowerHex, form, uri];
}

/** The base64 characters that stay the same wherever `bytes` sits inside a longer base64 run. */
function base64Cores(bytes: Buffer): string[] {
  const cores: string[] = [];
  for (let offset = 0; offset < 3; offset++) {
    const encoded = Buffer.concat([Buffer.alloc(offset), bytes]).toString('base64');
    const firstBit = offset * 8;
    const endBit = (offset + bytes.length) * 8;
    const first = Math.ceil(firstBit / 6);
    const last = Math.floor(endBit / 6) - 1; // last char whose 6 bits all lie inside the secret
    if (last - first + 1 >= MIN_BASE64_CORE) cores.push(encoded.slice(first, last + 1));
  }
  return cores;
}

function base64Forms(s: string): string[] {
  const bytes = Buffer.from(s, 'utf8');
  const padded = bytes.toString('base64');
  const url = bytes.toString('base64url');
  return [padded, padded.replace(/=+$/, ''), url, ...base64Cores(bytes)];
}

function formsOf(secret: string): string[] {
  return [
    secret,
    ...urlForms(secret),
    xmlEscape(secret),
    JSON.stringify(secret).slice(1, -1),
    ...base64Forms(secret),
  ];
}

/**
 * Replaces every secret (and its encoded forms) in `text` with '***'. Secrets shorter than 3 characters,
 * empty or undefined are skipped. Each ordered pair of secrets is also masked as base64('a:b'), so passing
 * [password, username] covers an echoed HTTP Basic header.
 */
export function redactSecrets(text: string, secrets: readonly (string | null | undefined)[]): string {
  const usable = secrets.filter((s): s is string => typeof s === 'string' && s.length >= MIN_SECRET_LENGTH);
  if (usable.length === 0 || text.length === 0) return text;
  const patterns = new Set<string>();
  for (const secret of usable) for (const form of formsOf(secret)) patterns.add(form);
  secrets.forEach((a, i) => {
    secrets.forEach((b, j) => {
      if (i === j || typeof a !== 'string' || typeof b !== 'string') return;
      if (a.length < MIN_SECRET_LENGTH && b.length < MIN_SECRET_LENGTH) return;
      for (const form of base64Forms(`${a}:${b}`).slice(0, 3)) patterns.add(form);
    });
  });
  // Longest first, so that a longer form is never left half-masked by a shorter one inside it.
  const ordered = [...patterns]
    .filter((p) => p.length >= MIN_SECRET_LENGTH)
    .sort((x, y) => y.length - x.length);
  let out = text;
  for (const pattern of ordered) {
    if (out.includes(pattern)) out = out.split(pattern).join(MASK);
  }
  return out;
}
