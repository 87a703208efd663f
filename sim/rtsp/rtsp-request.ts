/**
 * Incremental RTSP request parsing (RFC 2326 §6, RFC 7826 §8) for the light responder: requests and
 * client-sent interleaved frames ('$' channel length payload, §10.12) may arrive split or pipelined in any
 * way. Only indexOf scans and plain string splitting — no regular expressions.
 */

export interface RtspRequest {
  method: string;
  uri: string;
  version: string;
  /** Header names lower-cased; a repeated header keeps its last value. */
  headers: Map<string, string>;
  body: Buffer;
}

export type ParseEvent = { kind: 'request'; request: RtspRequest } | { kind: 'error'; reason: string };

const MAX_HEAD_BYTES = 16 * 1024;
const MAX_BODY_BYTES = 64 * 1024;
const HEAD_END = Buffer.from('\r\n\r\n');

export class RtspRequestParser {
  private buf: Buffer = Buffer.alloc(0);
  /** How far the current head was already searched for its end, so a slow sender is not re-scanned. */
  private scanned = 0;
  private pendingHead: { request: RtspRequest; bodyLength: number } | null = null;

  /** Feeds bytes; returns the complete requests they finish. After an 'error' the connection should close. */
  push(chunk: Buffer): ParseEvent[] {
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    const events: ParseEvent[] = [];
    for (;;) {
      if (this.pendingHead) {
        const { request, bodyLength } = this.pendingHead;
        if (this.buf.length < bodyLength) break;
        request.body = this.buf.subarray(0, bodyLength);
        this.consume(bodyLength);
        this.pendingHead = null;
        events.push({ kind: 'request', request });
        continue;
      }
      if (this.buf.length === 0) break;
      if (this.buf[0] === 0x24) {
        // Interleaved binary data from the client (RTCP receiver reports): skipped.
        if (this.buf.length < 4) break;
        const total = 4 + this.buf.readUInt16BE(2);
        if (this.buf.length < total) break;
        this.consume(total);
        continue;
      }
      if (this.buf[0] === 0x0d || this.buf[0] === 0x0a) {
        this.consume(1); // stray line breaks between requests
        continue;
      }
      const end = this.buf.indexOf(HEAD_END, Math.max(0, this.scanned - 3));
      if (end < 0) {
        this.scanned = this.buf.length;
        if (this.buf.length > MAX_HEAD_BYTES) {
          events.push({ kind: 'error', reason: 'request head too large' });
          this.buf = Buffer.alloc(0);
        }
        break;
      }
      const head = this.buf.toString('latin1', 0, end);
      this.consume(end + 4);
      const parsed = parseHead(head);
      if (typeof parsed === 'string') {
        events.push({ kind: 'error', reason: parsed });
        this.buf = Buffer.alloc(0);
        break;
      }
      const bodyLength = Number(parsed.headers.get('content-length') ?? '0');
      if (!Number.isInteger(bodyLength) || bodyLength < 0 || bodyLength > MAX_BODY_BYTES) {
        events.push({ kind: 'error', reason: 'bad Content-Length' });
        this.buf = Buffer.alloc(0);
        break;
      }
      this.pendingHead = { request: parsed, bodyLength };
    }
    return events;
  }

  private consume(n: number): void {
    this.buf = n >= this.buf.length ? Buffer.alloc(0) : this.buf.subarray(n);
    this.scanned = 0;
  }
}

function parseHead(head: string): RtspRequest | string {
  const lines = head.split('\n');
  const requestLine = (lines[0] ?? '').trim();
  const firstSpace = requestLine.indexOf(' ');
  const lastSpace = requestLine.lastIndexOf(' ');
  if (firstSpace <= 0 || lastSpace <= firstSpace) return 'malformed request line';
  const version = requestLine.slice(lastSpace + 1);
  if (!version.startsWith('RTSP/')) return 'not an RTSP request';
  const headers = new Map<string, string>();
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i] ?? '';
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
  return {
    method: requestLine.slice(0, firstSpace),
    uri: requestLine.slice(firstSpace + 1, lastSpace).trim(),
    version,
    headers,
    body: Buffer.alloc(0),
  };
}

/**
 * The path a request URI names, without scheme, authority, query, a trailing '/trackID=N' (or
 * '/streamid=N') control suffix, or a trailing slash. '*' and unparsable URIs give ''.
 */
export function requestPath(uri: string): { path: string; track: boolean } {
  let rest = uri;
  const scheme = rest.indexOf('://');
  if (scheme >= 0) {
    const slash = rest.indexOf('/', scheme + 3);
    if (slash < 0) return { path: '', track: false };
    rest = rest.slice(slash);
  }
  if (!rest.startsWith('/')) return { path: '', track: false };
  const query = rest.indexOf('?');
  if (query >= 0) rest = rest.slice(0, query);
  while (rest.length > 1 && rest.endsWith('/')) rest = rest.slice(0, -1);
  let track = false;
  const lastSlash = rest.lastIndexOf('/');
  const last = rest.slice(lastSlash + 1).toLowerCase();
  if (lastSlash > 0 && (last.startsWith('trackid=') || last.startsWith('streamid='))) {
    rest = rest.slice(0, lastSlash);
    track = true;
  }
  return { path: rest, track };
}

export const STATUS_TEXT: Record<number, string> = {
  200: 'OK',
  400: 'Bad Request',
  401: 'Unauthorized',
  404: 'Not Found',
  405: 'Method Not Allowed',
  453: 'Not Enough Bandwidth',
  454: 'Session Not Found',
  455: 'Method Not Valid in This State',
  459: 'Aggregate Operation Not Allowed',
  461: 'Unsupported Transport',
  500: 'Internal Server Error',
  501: 'Not Implemented',
  505: 'RTSP Version Not Supported',
};

/** One response as a string; `headers` are written in order after CSeq. */
export function formatResponse(
  status: number,
  cseq: string | undefined,
  headers: ReadonlyArray<readonly [string, string]> = [],
  body = '',
): string {
  let out = `RTSP/1.0 ${status} ${STATUS_TEXT[status] ?? 'Error'}\r\n`;
  if (cseq !== undefined) out += `CSeq: ${cseq}\r\n`;
  out += 'Server: Xueliang-Sim/1.0\r\n';
  for (const [name, value] of headers) out += `${name}: ${value}\r\n`;
  if (body.length > 0) out += `Content-Length: ${Buffer.byteLength(body)}\r\n`;
  return `${out}\r\n${body}`;
}
