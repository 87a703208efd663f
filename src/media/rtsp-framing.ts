/**
 * Splits an RTSP-over-TCP byte stream (either direction) into RTSP messages and interleaved binary data
 * ('$' channel length payload, RFC 2326 §10.12). Interleaved bytes are passed through as views of the
 * incoming chunks as soon as they arrive — never buffered whole — so the media path costs no copies;
 * only message heads and bodies are buffered, each bounded.
 */

export const MAX_HEAD_BYTES = 16 * 1024;
export const MAX_BODY_BYTES = 64 * 1024;

export interface RtspMessage {
  /** 'RTSP/1.0 200 OK' or 'DESCRIBE rtsp://… RTSP/1.0' */
  startLine: string;
  /** In order, names as sent. */
  headers: Array<[string, string]>;
  body: Buffer;
}

export type FramerEvent =
  | { kind: 'pass'; data: Buffer }
  | { kind: 'message'; message: RtspMessage }
  | { kind: 'error'; reason: string };

const EMPTY = Buffer.alloc(0);
const DOLLAR = 0x24;

/** The index just past the blank line that ends a head starting at `from`, or -1 (CRLF or bare LF). */
function headEnd(buf: Buffer, from: number): number {
  for (let i = buf.indexOf(0x0a, from); i >= 0; i = buf.indexOf(0x0a, i + 1)) {
    if (buf[i + 1] === 0x0a) return i + 2;
    if (buf[i + 1] === 0x0d && buf[i + 2] === 0x0a) return i + 3;
  }
  return -1;
}

export function parseHead(head: string): { startLine: string; headers: Array<[string, string]> } {
  const lines = head.split(/\r?\n/);
  const headers: Array<[string, string]> = [];
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    headers.push([line.slice(0, colon).trim(), line.slice(colon + 1).trim()]);
  }
  return { startLine: (lines[0] ?? '').trim(), headers };
}

export class RtspFramer {
  private pending: Buffer = EMPTY;
  /** Bytes of the current interleaved frame still to pass through. */
  private passRemaining = 0;
  private failed = false;

  push(chunk: Buffer): FramerEvent[] {
    if (this.failed) return [];
    const events: FramerEvent[] = [];
    const buf = this.pending.length > 0 ? Buffer.concat([this.pending, chunk]) : chunk;
    this.pending = EMPTY;
    let i = 0;
    while (i < buf.length) {
      if (this.passRemaining > 0) {
        const n = Math.min(this.passRemaining, buf.length - i);
        events.push({ kind: 'pass', data: buf.subarray(i, i + n) });
        this.passRemaining -= n;
        i += n;
        continue;
      }
      const first = buf[i];
      if (first === DOLLAR) {
        if (buf.length - i < 4) break;
        this.passRemaining = 4 + buf.readUInt16BE(i + 2);
        continue;
      }
      if (first === 0x0d || first === 0x0a) {
        i++; // stray line breaks between messages
        continue;
      }
      const end = headEnd(buf, i);
      if (end < 0) {
        if (buf.length - i > MAX_HEAD_BYTES) return this.fail(events, 'message head too large');
        break;
      }
      if (end - i > MAX_HEAD_BYTES) return this.fail(events, 'message head too large');
      const { startLine, headers } = parseHead(buf.toString('latin1', i, end));
      const lengthHeader = headers.find(([name]) => name.toLowerCase() === 'content-length')?.[1] ?? '0';
      const bodyLength = /^\d{1,9}$/.test(lengthHeader) ? Number(lengthHeader) : -1;
      if (bodyLength < 0 || bodyLength > MAX_BODY_BYTES) return this.fail(events, 'bad Content-Length');
      if (buf.length < end + bodyLength) break;
      // The body is copied: the chunk it came in may be large and is otherwise released at once.
      const body = Buffer.from(buf.subarray(end, end + bodyLength));
      events.push({ kind: 'message', message: { startLine, headers, body } });
      i = end + bodyLength;
    }
    if (i < buf.length) this.pending = Buffer.from(buf.subarray(i));
    return events;
  }

  private fail(events: FramerEvent[], reason: string): FramerEvent[] {
    this.failed = true;
    this.pending = EMPTY;
    events.push({ kind: 'error', reason });
    return events;
  }
}

export function isResponse(message: RtspMessage): boolean {
  return message.startLine.startsWith('RTSP/');
}

/** The status of a response ('RTSP/1.0 401 Unauthorized' → 401), NaN for a request. */
export function statusOf(message: RtspMessage): number {
  if (!isResponse(message)) return Number.NaN;
  return Number.parseInt(message.startLine.split(' ')[1] ?? '', 10);
}

/** A request's method, URI and version; null when the start line is not a request line. */
export function requestLine(message: RtspMessage): { method: string; uri: string; version: string } | null {
  const parts = message.startLine.split(' ').filter((p) => p !== '');
  if (parts.length !== 3 || isResponse(message)) return null;
  const [method, uri, version] = parts as [string, string, string];
  if (!version.startsWith('RTSP/')) return null;
  return { method, uri, version };
}

export function header(message: RtspMessage, name: string): string | undefined {
  const lower = name.toLowerCase();
  return message.headers.find(([n]) => n.toLowerCase() === lower)?.[1];
}

export function headerValues(message: RtspMessage, name: string): string[] {
  const lower = name.toLowerCase();
  return message.headers.filter(([n]) => n.toLowerCase() === lower).map(([, v]) => v);
}

/** Serializes a message; Content-Length is recomputed from the body (dropped when there is none). */
export function formatMessage(message: RtspMessage): Buffer {
  let head = `${message.startLine}\r\n`;
  for (const [name, value] of message.headers) {
    if (name.toLowerCase() === 'content-length') continue;
    head += `${name}: ${value}\r\n`;
  }
  if (message.body.length > 0) head += `Content-Length: ${message.body.length}\r\n`;
  head += '\r\n';
  const headBuf = Buffer.from(head, 'latin1');
  return message.body.length > 0 ? Buffer.concat([headBuf, message.body]) : headBuf;
}

/** A minimal response from the hop itself (errors before or instead of the camera's answer). */
export function simpleResponse(status: number, reason: string, cseq: string | undefined): Buffer {
  const headers: Array<[string, string]> = cseq === undefined ? [] : [['CSeq', cseq]];
  return formatMessage({ startLine: `RTSP/1.0 ${status} ${reason}`, headers, body: EMPTY });
}
