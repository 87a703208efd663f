import { type DigestChallenge, digestAuthorization, parseDigestChallenge } from '../onvif/http-digest.js';

/**
 * The credential hop's side of RTSP authentication towards a camera (RTSP reuses HTTP Basic and Digest,
 * RFC 2326 §D): it learns the camera's challenge from a 401 and then authorizes every request itself —
 * Digest recomputed per method and request URI with a counting nc, Basic as a fixed header.
 */

export interface CameraCredentials {
  username: string;
  password: string;
}

type Scheme =
  | { kind: 'basic'; header: string }
  | { kind: 'digest'; challenge: DigestChallenge; nc: number }
  | null;

/** Tries a request gets at most: the unauthorized one plus one answering the challenge. */
const MAX_ATTEMPTS = 2;
/** One more when the camera only said the nonce went stale (the password was right). */
const MAX_ATTEMPTS_STALE = 3;

export class UpstreamAuth {
  private scheme: Scheme = null;

  constructor(private readonly credentials: CameraCredentials) {}

  /** The Authorization value for this request, or undefined while no challenge is known. */
  authorize(method: string, uri: string): string | undefined {
    const scheme = this.scheme;
    if (scheme === null) return undefined;
    if (scheme.kind === 'basic') return scheme.header;
    scheme.nc++;
    return digestAuthorization(scheme.challenge, {
      username: this.credentials.username,
      password: this.credentials.password,
      method,
      uri,
      nc: scheme.nc,
    });
  }

  /**
   * Learns from a 401's WWW-Authenticate values; true when the request that got it (tried `attempts`
   * times so far) should be sent again with the new authorization. Digest is preferred over Basic.
   */
  learn(wwwAuthenticate: readonly string[], attempts: number): boolean {
    const digest = parseDigestChallenge(wwwAuthenticate);
    if (digest) {
      this.scheme = { kind: 'digest', challenge: digest, nc: 0 };
      return attempts < (digest.stale ? MAX_ATTEMPTS_STALE : MAX_ATTEMPTS);
    }
    if (wwwAuthenticate.some((value) => /^\s*basic\b/i.test(value))) {
      const token = Buffer.from(`${this.credentials.username}:${this.credentials.password}`, 'utf8');
      this.scheme = { kind: 'basic', header: `Basic ${token.toString('base64')}` };
      return attempts < MAX_ATTEMPTS;
    }
    return false;
  }
}
