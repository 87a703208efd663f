import { connect, type Socket } from 'node:net';

/**
 * One RTSP/1.0 connection over TCP (RFC 2326): one request in flight at a time (CSeq-matched), responses
 * parsed incrementally from the socket's Buffers with indexOf scans only, interleaved '$' frames (§10.12)
 * handed to `onFrame` without copying when they sit inside one chunk, and one hard deadline: when it passes
 * the socket is destroyed and whatever is pending resolves with 'timeout'. Nothing here throws or rejects;
 * failures are values.
 */

export interface RtspResponse {
  status: number;
  reason: string;
  /** Header names lower-cased; a repeated header keeps its last value. */
  headers: Map<string, string>;
  /** Every WWW-Authenticate value, in order. */
  authenticate: string[];
  body: Buffer;
}

/** Why a request got no response: the deadline, the peer closing or resetting, or bytes that are not RTSP. */
export type RtspFailure = 'timeout' | 'closed' | 'reset' | 'malformed';
export type ConnectFailure = 'refused' | 'timeout' | 'unreachable';

/**
 * Receives each interleaved frame: `data` is the frame's payload — only its first 256 bytes when the frame
 * was split across reads — valid only during the call; `length` is always the full payload length.
 */
export type FrameHandler = (channel: number, data: Buffer, length: number) => void;

const MAX_HEAD_BYTES = 16 * 1024;
const MAX_BODY_BYTES = 64 * 1024;
const FRAME_PREFIX = 256;
const READ_BUFFER = Buffer.allocUnsafe(64 * 1024);
const HEAD_END = Buffer.from('\r\n\r\n');
const USER_AGENT = 'Xueliang-Probe/1.0';

export function isResponse(r: RtspResponse | RtspFailure): r is RtspResponse {
  return typeof r !== 'string';
}

export class RtspConnection {
  onFrame: FrameHandler | null = null;
  /** Called once when the connection is gone, with the reason (null when we closed it ourselves). */
  onClose: ((failure: RtspFailure | null) => void) | null = null;
  /** Set once the connection is unusable; every later request resolves with it at once. */
  failure: RtspFailure | null = null;
  /** True when the peer ended or reset the connection (not our deadline, not close()). */
  closedByPeer = false;
  /** Bytes received so far. */
  received = 0;

  private cseq = 0;
  /** The request in flight: its CSeq and how to settle it. */
  private waitCseq = 0;
  private waiter: ((result: RtspResponse | RtspFailure) => void) | null = null;
  private pending: Buffer | null = null;
  private scanned = 0;
  private bodyWanted = -1;
  private head: RtspResponse | null = null;
  private headCseq = -1;
  private skip = 0;
  private frameChannel = 0;
  private frameLength = 0;
  private scratch: Buffer | null = null;
  private scratchFill = 0;
  private timer: NodeJS.Timeout | null;
  private deadlineAt: number;

  /** Set while connecting: called once with null (connected) or why the connection failed. */
  private connected: ((error: ConnectFailure | null) => void) | null = null;
  private connectError: ConnectFailure | null = null;

  private constructor(
    private readonly socket: Socket,
    deadlineAt: number,
  ) {
    this.deadlineAt = deadlineAt;
    this.timer = setTimeout(() => this.fail('timeout'), Math.max(0, deadlineAt - Date.now()));
    socket.on('connect', () => {
      const connected = this.connected;
      this.connected = null;
      connected?.(null);
    });
    const peerGone = (failure: RtspFailure) => {
      if (this.failure === null) this.closedByPeer = true;
      this.fail(failure);
    };
    socket.on('error', (error: NodeJS.ErrnoException) => {
      if (this.connected !== null) this.connectError = connectFailure(error.code);
      peerGone(error.code === 'ECONNRESET' || error.code === 'EPIPE' ? 'reset' : 'closed');
    });
    socket.on('end', () => peerGone('closed'));
    socket.on('close', () => peerGone('closed'));
  }

  /** Opens a connection that is destroyed at `deadlineAt` (a Date.now() time) at the latest. */
  static open(
    host: string,
    port: number,
    deadlineAt: number,
  ): Promise<{ conn: RtspConnection; connectMs: number } | { error: ConnectFailure }> {
    return new Promise((resolve) => {
      const started = performance.now();
      let conn: RtspConnection | null = null;
      let socket: Socket;
      try {
        // Reads land in one shared buffer (parsing is synchronous), not in a fresh allocation per read.
        const callback = (n: number) => {
          conn?.receive(n);
          return true;
        };
        socket = connect({ host, port, onread: { buffer: READ_BUFFER, callback } });
      } catch {
        resolve({ error: 'unreachable' }); // an invalid port or address, refused synchronously
        return;
      }
      const opened = new RtspConnection(socket, deadlineAt);
      conn = opened;
      opened.connected = (error) => {
        if (error === null) resolve({ conn: opened, connectMs: performance.now() - started });
        else resolve({ error });
      };
    });
  }

  /** Sends one request; `headers` are extra complete header lines, each ending in CRLF. */
  request(method: string, uri: string, headers = ''): Promise<RtspResponse | RtspFailure> {
    if (this.failure !== null) return Promise.resolve(this.failure);
    if (this.waiter !== null) return Promise.resolve('malformed'); // a caller bug: one at a time
    const cseq = ++this.cseq;
    return new Promise((resolve) => {
      this.waitCseq = cseq;
      this.waiter = resolve;
      this.socket.write(
        `${method} ${uri} RTSP/1.0\r\nCSeq: ${cseq}\r\nUser-Agent: ${USER_AGENT}\r\n${headers}\r\n`,
      );
    });
  }

  /** Brings the hard deadline forward to `ms` from now (never later than it already is). */
  shortenDeadline(ms: number): void {
    const at = Date.now() + ms;
    if (at >= this.deadlineAt || this.timer === null) return;
    this.deadlineAt = at;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.fail('timeout'), Math.max(0, ms));
  }

  close(): void {
    if (this.failure === null) this.finish('closed', false);
  }

  private fail(failure: RtspFailure): void {
    if (this.failure === null) this.finish(failure, true);
  }

  private finish(failure: RtspFailure, notify: boolean): void {
    this.failure = failure;
    const connected = this.connected;
    this.connected = null;
    connected?.(this.connectError ?? (failure === 'timeout' ? 'timeout' : 'unreachable'));
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    this.socket.destroy();
    this.pending = null;
    const waiter = this.waiter;
    this.waiter = null;
    waiter?.(failure);
    this.onClose?.(notify ? failure : null);
    this.onFrame = null;
    this.onClose = null;
  }

  /** `count` new bytes are at the start of READ_BUFFER. */
  private receive(count: number): void {
    try {
      this.parse(count);
    } catch {
      this.fail('malformed'); // a throwing frame handler must not escape into the socket
    }
  }

  private parse(count: number): void {
    if (this.failure !== null) return;
    this.received += count;
    let data = READ_BUFFER.subarray(0, count);
    const shared = this.pending === null; // views into `data` must be copied to outlive this call
    if (this.pending !== null) {
      data = Buffer.concat([this.pending, data]);
      this.pending = null;
    }
    const n = data.length;
    let pos = 0;
    while (pos < n && this.failure === null) {
      if (this.skip > 0) {
        // The rest of an interleaved frame that began in an earlier chunk.
        const take = Math.min(this.skip, n - pos);
        const scratch = this.scratch as Buffer;
        if (this.scratchFill < FRAME_PREFIX) {
          const copy = Math.min(take, FRAME_PREFIX - this.scratchFill);
          data.copy(scratch, this.scratchFill, pos, pos + copy);
          this.scratchFill += copy;
        }
        pos += take;
        this.skip -= take;
        if (this.skip === 0)
          this.onFrame?.(this.frameChannel, scratch.subarray(0, this.scratchFill), this.frameLength);
        continue;
      }
      if (this.bodyWanted >= 0) {
        if (n - pos < this.bodyWanted) break;
        const end = pos + this.bodyWanted;
        this.bodyWanted = -1;
        this.complete(shared ? Buffer.from(data.subarray(pos, end)) : data.subarray(pos, end));
        pos = end;
        continue;
      }
      const first = data[pos] as number;
      if (first === 0x24) {
        if (n - pos < 4) break;
        const channel = data[pos + 1] as number;
        const length = data.readUInt16BE(pos + 2);
        pos += 4;
        if (n - pos >= length) {
          this.onFrame?.(channel, data.subarray(pos, pos + length), length);
          pos += length;
        } else {
          // Split across reads: its first bytes are kept (above), the rest skipped.
          this.scratch ??= Buffer.allocUnsafe(FRAME_PREFIX);
          this.scratchFill = 0;
          this.frameChannel = channel;
          this.frameLength = this.skip = length;
        }
        continue;
      }
      if (first === 0x0d || first === 0x0a) {
        pos++; // stray line breaks between messages
        continue;
      }
      // Neither '$', a response ('RTSP/…') nor a request from the server (an upper-case method).
      if (first < 0x41 || first > 0x5a) return void this.fail('malformed');
      const end = data.indexOf(HEAD_END, Math.max(pos, pos + this.scanned - 3));
      if (end < 0) {
        this.scanned = n - pos;
        if (this.scanned > MAX_HEAD_BYTES) this.fail('malformed');
        break;
      }
      this.scanned = 0;
      if (!this.parseHead(data.toString('latin1', pos, end))) return void this.fail('malformed');
      pos = end + 4;
      if (this.bodyWanted === 0) {
        this.bodyWanted = -1;
        this.complete(EMPTY);
      }
    }
    if (pos < n && this.failure === null) {
      this.pending = shared ? Buffer.from(data.subarray(pos)) : data.subarray(pos);
    }
  }

  /** Parses a response (or server request) head; sets bodyWanted. False when it is not RTSP. */
  private parseHead(text: string): boolean {
    let lineEnd = text.indexOf('\n');
    if (lineEnd < 0) lineEnd = text.length;
    const first = text.charCodeAt(lineEnd - 1) === 0x0d ? text.slice(0, lineEnd - 1) : text.slice(0, lineEnd);
    let status = 0;
    let reason = '';
    if (first.startsWith('RTSP/1.')) {
      const space = first.indexOf(' ');
      if (space < 0 || first.length < space + 4) return false;
      for (let i = space + 1; i < space + 4; i++) {
        const d = first.charCodeAt(i) - 0x30;
        if (d < 0 || d > 9) return false;
        status = status * 10 + d;
      }
      if (status < 100) return false;
      reason = first.slice(space + 4).trim();
    } else if (!first.endsWith(' RTSP/1.0')) return false; // else a request from the server: skipped
    const headers = new Map<string, string>();
    const authenticate: string[] = [];
    let contentLength = 0;
    let cseq = -1;
    let start = lineEnd + 1;
    while (start < text.length) {
      let stop = text.indexOf('\n', start);
      if (stop < 0) stop = text.length;
      const colon = text.indexOf(':', start);
      if (colon > start && colon < stop) {
        const name = text.slice(start, colon).trim().toLowerCase();
        const value = text.slice(colon + 1, stop).trim();
        headers.set(name, value);
        if (name === 'www-authenticate') authenticate.push(value);
        else if (name === 'content-length') {
          contentLength = Number(value);
          if (!Number.isInteger(contentLength) || contentLength < 0 || contentLength > MAX_BODY_BYTES) {
            return false;
          }
        } else if (name === 'cseq') cseq = Number.parseInt(value, 10);
      }
      start = stop + 1;
    }
    this.head = status === 0 ? null : { status, reason, headers, authenticate, body: EMPTY };
    this.headCseq = Number.isNaN(cseq) ? -1 : cseq;
    this.bodyWanted = contentLength;
    return true;
  }

  private complete(body: Buffer): void {
    const head = this.head;
    this.head = null;
    const waiter = this.waiter;
    // A response whose CSeq is older than the request in flight answers an earlier one: ignored.
    if (head === null || waiter === null || (this.headCseq >= 0 && this.headCseq < this.waitCseq)) return;
    head.body = body;
    this.waiter = null;
    waiter(head);
  }
}

const EMPTY = Buffer.alloc(0);

function connectFailure(code: string | undefined): ConnectFailure {
  if (code === 'ECONNREFUSED' || code === 'ECONNRESET') return 'refused';
  if (code === 'ETIMEDOUT') return 'timeout';
  return 'unreachable';
}
