import { EventEmitter } from 'node:events';
import WebSocket from 'ws';
import type { Upstream, UpstreamEvents } from './types.js';

/** The header an instance sends with its relay token on the internal route. */
export const RELAY_TOKEN_HEADER = 'x-xueliang-relay-token';
/** Close code of the internal route when this instance does not own the camera (the caller asks Redis again). */
export const CLOSE_NOT_OWNER = 4409;

export interface RemoteOptions {
  /** the owner's internal base URL (http[s]://host:port) */
  ownerUrl: string;
  cameraId: string;
  token: string;
  connectTimeoutMs: number;
  /** no bytes for this long once streaming: the upstream ends with restart=true */
  stallMs: number;
}

export function internalStreamUrl(ownerUrl: string, cameraId: string): string {
  const url = new URL(`/internal/relay/${encodeURIComponent(cameraId)}`, ownerUrl);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  return url.toString();
}

/**
 * A camera's bytes read from the instance that owns its upstream. Resolves once the owner accepted the stream;
 * rejects when it cannot be reached or refuses. When the owner goes away the upstream ends with restart=true,
 * so the relay asks again and takes the lease over if the owner is gone for good. Of the owner's status frames,
 * 'reconnecting' after bytes flowed ends it with restart=true (so viewers here are told at once, not left
 * on a frozen picture) and 'failed' (the camera is out of reach there) ends it for good.
 */
export function openRemoteUpstream(options: RemoteOptions): Promise<Upstream> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(internalStreamUrl(options.ownerUrl, options.cameraId), {
      headers: { [RELAY_TOKEN_HEADER]: options.token },
      perMessageDeflate: false,
      handshakeTimeout: options.connectTimeoutMs,
      maxPayload: 8 << 20,
    });
    const events = new EventEmitter();
    let opened = false;
    let ended = false;
    let flowing = false;
    let lastBytesAt = Date.now();
    const stall = setInterval(
      () => {
        if (Date.now() - lastBytesAt <= options.stallMs) return;
        end(`no bytes from the owner for ${options.stallMs} ms`, true);
        socket.terminate();
      },
      Math.min(1000, Math.max(50, options.stallMs / 4)),
    );
    const end = (reason: string, restart: boolean) => {
      clearInterval(stall);
      if (ended) return;
      ended = true;
      events.emit('end', reason, restart);
    };
    const upstream: Upstream = {
      kind: 'remote',
      on<E extends keyof UpstreamEvents>(event: E, listener: UpstreamEvents[E]) {
        events.on(event, listener);
        return this;
      },
      stop: () =>
        new Promise<void>((done) => {
          ended = true;
          clearInterval(stall);
          if (socket.readyState === WebSocket.CLOSED) return done();
          socket.once('close', () => done());
          socket.close(1000, 'viewer gone');
          // an owner that does not answer the close handshake is cut off
          setTimeout(() => socket.terminate(), 1000).unref();
        }),
    };
    socket.on('open', () => {
      opened = true;
      lastBytesAt = Date.now();
      resolve(upstream);
    });
    socket.on('unexpected-response', (_req, res) => {
      clearInterval(stall);
      socket.terminate();
      reject(
        new Error(
          `relay: owner refused the internal stream of camera ${options.cameraId} (${res.statusCode})`,
        ),
      );
    });
    socket.on('message', (data, isBinary) => {
      if (isBinary) {
        flowing = true;
        lastBytesAt = Date.now();
        events.emit(
          'data',
          Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data),
        );
        return;
      }
      const status = parseStatus(data.toString());
      if (status?.status === 'failed') end(`owner: ${status.message}`, false);
      else if (status?.status === 'reconnecting' && flowing) {
        end(`owner: ${status.message}`, true);
        socket.close(1000, 'reconnecting');
      }
    });
    socket.on('error', (err) => {
      if (!opened)
        reject(new Error(`relay: owner of camera ${options.cameraId} unreachable: ${err.message}`));
    });
    socket.on('close', (code, reason) => {
      if (!opened) {
        clearInterval(stall);
        reject(new Error(`relay: owner closed the internal stream of camera ${options.cameraId} (${code})`));
        return;
      }
      end(`owner stream closed (${code}${reason.length > 0 ? ` ${reason.toString()}` : ''})`, true);
    });
  });
}

function parseStatus(text: string): { status: string; message: string } | null {
  try {
    const value = JSON.parse(text) as { type?: unknown; status?: unknown; message?: unknown };
    if (value.type !== 'status' || typeof value.status !== 'string') return null;
    return { status: value.status, message: typeof value.message === 'string' ? value.message : '' };
  } catch {
    return null;
  }
}
