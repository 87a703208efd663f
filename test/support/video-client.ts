import WebSocket from 'ws';
import type { RelayStatus } from '../../src/relay/types.js';

/** A console's live-stream socket, as a test sees it: the MPEG-TS it got, the statuses, how it closed. */
export class VideoClient {
  readonly chunks: Buffer[] = [];
  received = 0;
  /** Each status with the bytes received before it. */
  readonly statuses: { status: RelayStatus; message: string; at: number }[] = [];
  closed: { code: number; reason: string; at: number } | null = null;

  private constructor(readonly socket: WebSocket) {
    socket.on('message', (data, isBinary) => {
      if (isBinary) {
        const chunk = data as Buffer;
        this.chunks.push(chunk);
        this.received += chunk.length;
      } else {
        const { status, message } = JSON.parse(data.toString()) as { status: RelayStatus; message: string };
        this.statuses.push({ status, message, at: this.received });
      }
    });
    socket.on('close', (code, reason) => {
      this.closed = { code, reason: reason.toString(), at: Date.now() };
    });
  }

  /** Resolves once upgraded; rejects with the HTTP status when the handshake is refused. */
  static open(url: string, headers: Record<string, string> = {}): Promise<VideoClient> {
    return new Promise((resolve, reject) => {
      const socket = new WebSocket(url, { headers, perMessageDeflate: false });
      const client = new VideoClient(socket);
      socket.once('open', () => resolve(client));
      socket.once('unexpected-response', (_req, res) => {
        reject(new HandshakeRefused(res.statusCode ?? 0));
        socket.terminate();
      });
      socket.once('error', (err) => reject(err));
    });
  }

  get lastStatus(): RelayStatus | undefined {
    return this.statuses[this.statuses.length - 1]?.status;
  }

  bytes(): Buffer {
    return Buffer.concat(this.chunks);
  }

  /** The bytes received after the first `status` that came after `from` bytes. */
  bytesAfter(status: RelayStatus, from = 0): Buffer {
    const mark = this.statuses.find((s) => s.status === status && s.at >= from);
    if (!mark) return Buffer.alloc(0);
    return this.bytes().subarray(mark.at);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    const done = new Promise((r) => this.socket.once('close', r));
    this.socket.close(1000, 'done');
    await done;
  }
}

export class HandshakeRefused extends Error {
  constructor(readonly statusCode: number) {
    super(`handshake refused: ${statusCode}`);
  }
}

/** The HTTP status of a refused handshake (0 when the socket opened). */
export async function handshakeStatus(url: string, headers: Record<string, string> = {}): Promise<number> {
  try {
    const client = await VideoClient.open(url, headers);
    await client.close();
    return 0;
  } catch (err) {
    if (err instanceof HandshakeRefused) return err.statusCode;
    throw err;
  }
}

export function liveStreamUrl(baseUrl: string, cameraId: string): string {
  const url = new URL(`/api/v1/cameras/${cameraId}/live-stream`, baseUrl);
  url.protocol = 'ws:';
  return url.toString();
}
