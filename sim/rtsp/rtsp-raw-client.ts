import { connect, type Socket } from 'node:net';

/**
 * A bare RTSP-over-TCP client for tests and probes of the simulated cameras: sends requests one at a time,
 * reads responses, and counts the interleaved ('$') frames it receives per channel without decoding them.
 */

export interface RawRtspResponse {
  status: number;
  /** Header names lower-cased. */
  headers: Map<string, string>;
  body: string;
}

export class RawRtspClient {
  /** Interleaved frames received, per channel. */
  readonly frames = new Map<number, number>();
  /** Total bytes of interleaved data ('$' framing included). */
  interleavedBytes = 0;
  lastFrameAt = 0;
  readonly closed: Promise<void>;
  isClosed = false;
  private buf: Buffer = Buffer.alloc(0);
  private cseq = 0;
  private waiting: Array<{ resolve: (r: RawRtspResponse) => void; reject: (e: Error) => void }> = [];

  private constructor(private readonly socket: Socket) {
    this.closed = new Promise((resolve) => {
      socket.on('close', () => {
        this.isClosed = true;
        for (const waiter of this.waiting.splice(0)) waiter.reject(new Error('connection closed'));
        resolve();
      });
    });
    socket.on('error', () => {});
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
  }

  static open(host: string, port: number, timeoutMs = 5000): Promise<RawRtspClient> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host, port });
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Error('connect timeout'));
      }, timeoutMs);
      socket.once('connect', () => {
        clearTimeout(timer);
        socket.off('error', reject);
        resolve(new RawRtspClient(socket));
      });
      socket.once('error', reject);
    });
  }

  /** Frames received on one channel (0 = RTP of the first track). */
  framesOn(channel: number): number {
    return this.frames.get(channel) ?? 0;
  }

  request(
    method: string,
    url: string,
    headers: Record<string, string> = {},
    timeoutMs = 5000,
  ): Promise<RawRtspResponse> {
    this.cseq++;
    let text = `${method} ${url} RTSP/1.0\r\nCSeq: ${this.cseq}\r\nUser-Agent: xueliang-raw\r\n`;
    for (const [name, value] of Object.entries(headers)) text += `${name}: ${value}\r\n`;
    this.socket.write(`${text}\r\n`);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`${method}: no response in ${timeoutMs} ms`)),
        timeoutMs,
      );
      this.waiting.push({
        resolve: (r) => {
          clearTimeout(timer);
          resolve(r);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
    });
  }

  close(): void {
    this.socket.destroy();
  }

  private onData(chunk: Buffer): void {
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    for (;;) {
      if (this.buf.length === 0) return;
      if (this.buf[0] === 0x24) {
        if (this.buf.length < 4) return;
        const total = 4 + this.buf.readUInt16BE(2);
        if (this.buf.length < total) return;
        const channel = this.buf[1] ?? 0;
        this.frames.set(channel, (this.frames.get(channel) ?? 0) + 1);
        this.interleavedBytes += total;
        this.lastFrameAt = Date.now();
        this.buf = this.buf.subarray(total);
        continue;
      }
      const end = this.buf.indexOf('\r\n\r\n');
      if (end < 0) return;
      const lines = this.buf.toString('latin1', 0, end).split('\r\n');
      const headers = new Map<string, string>();
      for (const line of lines.slice(1)) {
        const colon = line.indexOf(':');
        if (colon > 0) headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
      }
      const length = Number(headers.get('content-length') ?? '0');
      if (this.buf.length < end + 4 + length) return;
      const body = this.buf.toString('utf8', end + 4, end + 4 + length);
      this.buf = this.buf.subarray(end + 4 + length);
      const status = Number((lines[0] ?? '').split(' ')[1]);
      this.waiting.shift()?.resolve({ status, headers, body });
    }
  }
}

/** OPTIONS, DESCRIBE, SETUP (TCP interleaved), PLAY on one URL; returns each response as it came. */
export async function rawPlay(
  client: RawRtspClient,
  url: string,
  headers: Record<string, string> = {},
): Promise<RawRtspResponse[]> {
  const out: RawRtspResponse[] = [];
  out.push(await client.request('OPTIONS', url, headers));
  const describe = await client.request('DESCRIBE', url, { Accept: 'application/sdp', ...headers });
  out.push(describe);
  if (describe.status !== 200) return out;
  const base = describe.headers.get('content-base') ?? `${url}/`;
  const setup = await client.request('SETUP', trackUrl(base, describe.body), {
    Transport: 'RTP/AVP/TCP;unicast;interleaved=0-1',
    ...headers,
  });
  out.push(setup);
  if (setup.status !== 200) return out;
  const session = (setup.headers.get('session') ?? '').split(';')[0] ?? '';
  out.push(await client.request('PLAY', base, { Session: session, Range: 'npt=0.000-', ...headers }));
  return out;
}

/** The first media section's control URL, resolved against Content-Base. */
function trackUrl(base: string, sdp: string): string {
  const media = sdp.indexOf('\nm=');
  let control = 'trackID=0';
  for (const line of sdp.slice(Math.max(0, media)).split('\n')) {
    if (line.startsWith('a=control:')) {
      control = line.slice('a=control:'.length).trim();
      break;
    }
  }
  if (control.startsWith('rtsp://')) return control;
  return base.endsWith('/') ? `${base}${control}` : `${base}/${control}`;
}
