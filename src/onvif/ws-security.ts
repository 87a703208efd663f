/**
 * WS-Security UsernameToken with PasswordDigest (OASIS WSS UsernameToken Profile 1.0, as ONVIF Core requires):
 *   PasswordDigest = Base64( SHA-1( nonce + created + password ) )
 * where nonce is the raw nonce bytes (sent base64-encoded) and created the UTC time string as sent.
 */

import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

export const WSSE_NS = 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd';
export const WSU_NS = 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd';
export const PASSWORD_DIGEST_TYPE =
  'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0#PasswordDigest';
export const BASE64_ENCODING_TYPE =
  'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-soap-message-security-1.0#Base64Binary';

export interface UsernameToken {
  username: string;
  /** Base64(SHA1(nonce + created + password)) */
  passwordDigest: string;
  /** the nonce, base64 */
  nonce: string;
  /** UTC, e.g. 2024-05-01T08:30:00Z */
  created: string;
}

/** Base64(SHA1(nonce bytes + created + password)), everything UTF-8. */
export function passwordDigest(nonce: Buffer, created: string, password: string): string {
  return createHash('sha1')
    .update(Buffer.concat([nonce, Buffer.from(created, 'utf8'), Buffer.from(password, 'utf8')]))
    .digest('base64');
}

/** xsd:dateTime in UTC without fractional seconds (the form camera firmwares accept most widely). */
export function createdTimestamp(at: Date): string {
  return `${at.toISOString().slice(0, 19)}Z`;
}

export function usernameToken(
  username: string,
  password: string,
  opts: { now?: Date; nonce?: Buffer } = {},
): UsernameToken {
  const nonce = opts.nonce ?? randomBytes(16);
  const created = createdTimestamp(opts.now ?? new Date());
  return {
    username,
    passwordDigest: passwordDigest(nonce, created, password),
    nonce: nonce.toString('base64'),
    created,
  };
}

/** The device side of the check (for simulators and tests): does the token prove `password`? */
export function verifyUsernameToken(token: UsernameToken, password: string): boolean {
  const expected = Buffer.from(passwordDigest(Buffer.from(token.nonce, 'base64'), token.created, password));
  const got = Buffer.from(token.passwordDigest);
  return expected.length === got.length && timingSafeEqual(expected, got);
}
