/**
 * One SOAP 1.2 POST over node:http/https. The caller owns the deadline (an AbortSignal covering the whole
 * call); this module destroys the socket when it fires, caps the reply size while it streams, and maps
 * socket errors to OnvifError kinds. Any HTTP status is returned; judging it is the client's job.
 * Messages carry the operation and host:port only — never the URL (it may hold userinfo) or a credential.
 */

import http from 'node:http';
import https from 'node:https';
import { OnvifError } from './types.js';

export interface HttpReply {
  status: number;
  body: string;
  /** every WWW-Authenticate header value */
  wwwAuthenticate: string[];
  /** the local time the complete reply arrived */
  receivedAt: Date;
}

export interface PostOptions {
  /** the ONVIF operation, for error messages */
  operation: string;
  /** aborts the exchange; its reason (an OnvifError) becomes the rejection */
  signal: AbortSignal;
  maxReplyBytes: number;
  /** SOAP 1.2 action, sent as the Content-Type action parameter */
  action?: string;
  authorization?: string;
  allowUnverifiedTls?: boolean;
}

/** host:port for messages, with the scheme's default port made explicit. */
export function hostPort(url: URL): string {
  const port = url.port !== '' ? url.port : url.protocol === 'https:' ? '443' : '80';
  return `${url.hostname}:${port}`;
}

const UNREACHABLE = new Set([
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EHOSTDOWN',
  'ENETDOWN',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EAI_FAIL',
  'EAI_NODATA',
  'EAI_NONAME',
]);

/** A socket/HTTP-parser error → OnvifError. Only the error code is used, never its free text. */
export function networkError(err: unknown, operation: string, where: string): OnvifError {
  const code = (err as NodeJS.ErrnoException | null)?.code ?? '';
  if (code === 'ECONNREFUSED') return new OnvifError('refused', operation, `${where}: connection refused`);
  if (code === 'ETIMEDOUT')
    return new OnvifError('timeout', operation, `${where}: connection timed out (ETIMEDOUT)`);
  if (UNREACHABLE.has(code)) return new OnvifError('unreachable', operation, `${where}: ${code}`);
  if (code === 'HPE_HEADER_OVERFLOW')
    return new OnvifError('too-large', operation, `${where}: reply headers too large`);
  if (code.startsWith('HPE_'))
    return new OnvifError('malformed', operation, `${where}: not a valid HTTP reply (${code})`);
  if (/CERT|SSL|TLS|SELF_SIGNED|UNABLE_TO_/.test(code)) {
    return new OnvifError('unreachable', operation, `${where}: TLS failure (${code})`);
  }
  return new OnvifError('unreachable', operation, `${where}: network error${code ? ` (${code})` : ''}`);
}

function abortReason(signal: AbortSignal, operation: string, where: string): OnvifError {
  return signal.reason instanceof OnvifError
    ? signal.reason
    : new OnvifError('timeout', operation, `${where}: aborted before a complete reply`);
}

/** POSTs `envelope` to `url`; resolves with the reply whatever its status, rejects with an OnvifError. */
export function postSoap(url: URL, envelope: string, opts: PostOptions): Promise<HttpReply> {
  const where = hostPort(url);
  const { operation, signal, maxReplyBytes } = opts;
  return new Promise<HttpReply>((resolve, reject) => {
    if (signal.aborted) {
      reject(abortReason(signal, operation, where));
      return;
    }
    const payload = Buffer.from(envelope, 'utf8');
    const headers: http.OutgoingHttpHeaders = {
      'content-type': `application/soap+xml; charset=utf-8${opts.action ? `; action="${opts.action}"` : ''}`,
      'content-length': payload.length,
      connection: 'close',
    };
    if (opts.authorization) headers.authorization = opts.authorization;
    const secure = url.protocol === 'https:';
    const options: https.RequestOptions = {
      hostname: url.hostname.replace(/^\[|\]$/g, ''),
      port: url.port === '' ? (secure ? 443 : 80) : Number(url.port),
      path: `${url.pathname}${url.search}`,
      method: 'POST',
      headers,
      agent: false, // one connection per request: nothing lingers after the deadline
    };
    if (secure) options.rejectUnauthorized = opts.allowUnverifiedTls !== true;
    const req = (secure ? https : http).request(options);

    let settled = false;
    const finish = (err: OnvifError | null, reply?: HttpReply) => {
      if (settled) return;
      settled = true;
      signal.removeEventListener('abort', onAbort);
      if (err || !reply) {
        req.destroy();
        reject(err ?? new OnvifError('malformed', operation, `${where}: no reply`));
      } else {
        resolve(reply);
      }
    };
    const onAbort = () => finish(abortReason(signal, operation, where));
    const tooLarge = () =>
      new OnvifError('too-large', operation, `${where}: reply larger than ${maxReplyBytes} bytes`);

    signal.addEventListener('abort', onAbort, { once: true });
    req.on('error', (err) => finish(networkError(err, operation, where)));
    req.on('response', (res) => {
      res.on('error', (err) => finish(networkError(err, operation, where)));
      const declared = Number(res.headers['content-length']);
      if (Number.isFinite(declared) && declared > maxReplyBytes) {
        finish(tooLarge());
        return;
      }
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        if (settled) return;
        size += chunk.length;
        if (size > maxReplyBytes) {
          finish(tooLarge());
          return;
        }
        chunks.push(chunk);
      });
      res.on('end', () => {
        finish(null, {
          status: res.statusCode ?? 0,
          body: Buffer.concat(chunks, size).toString('utf8'),
          wwwAuthenticate: res.headersDistinct['www-authenticate'] ?? [],
          receivedAt: new Date(),
        });
      });
      res.on('close', () => {
        if (!res.complete)
          finish(new OnvifError('unreachable', operation, `${where}: connection closed mid-reply`));
      });
    });
    req.end(payload);
  });
}

/** The device URL, checked; an invalid one is reported without echoing it (it may carry userinfo). */
export function parseDeviceUrl(deviceUrl: string, operation: string): URL {
  let url: URL | null = null;
  try {
    url = new URL(deviceUrl);
  } catch {
    url = null;
  }
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
    throw new OnvifError('unreachable', operation, 'deviceUrl is not an http(s) URL');
  }
  return url;
}

/**
 * A service XAddr rebased on the device URL's scheme, host and port, keeping the XAddr's path and query:
 * cameras behind NAT or a VPN announce their private addresses. Null or unparsable → the device URL.
 */
export function rebase(device: URL, xaddr: string | null): URL {
  if (xaddr === null) return device;
  try {
    const announced = new URL(xaddr);
    const url = new URL(device.href);
    url.pathname = announced.pathname;
    url.search = announced.search;
    return url;
  } catch {
    return device;
  }
}

/**
 * Runs `body` with an AbortSignal that fires after `timeoutMs`; the returned promise settles by then at
 * the latest (with a 'timeout' OnvifError), whatever `body` does. A late settlement of `body` is ignored.
 */
export function withDeadline<T>(
  timeoutMs: number,
  operation: string,
  where: string,
  body: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) {
    return Promise.reject(new RangeError('onvif: timeoutMs must be a positive number'));
  }
  const controller = new AbortController();
  const expired = new OnvifError('timeout', operation, `${where}: no complete reply within ${timeoutMs} ms`);
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      controller.abort(expired);
      reject(expired);
    }, timeoutMs);
    body(controller.signal).then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (err: unknown) => {
        clearTimeout(timer);
        reject(err);
      },
    );
  });
}
