import { randomBytes } from 'node:crypto';
import { createServer, isIP, type Socket } from 'node:net';
import { socketHost } from '../url-host.js';
import { type HopGrant, serveHopConnection } from './hop-connection.js';
import type { CameraCredentials } from './rtsp-upstream-auth.js';

/**
 * The credential hop: how camera credentials reach ffmpeg without ever being on a command line (where
 * any local user can read them in /proc/<pid>/cmdline or `ps`). A loopback-only RTSP listener: the
 * product grants a one-time URL `rtsp://127.0.0.1:<port>/<128-bit token>/<camera path>` for a camera
 * URL and its credentials, hands that URL to ffmpeg, and the hop connects to the camera, authenticates
 * there itself and relays the session (see hop-connection.ts). Unknown, used or expired tokens are
 * answered 404. Credentials are held in memory until the grant is used or expires, never logged.
 */

export type { CameraCredentials } from './rtsp-upstream-auth.js';

export interface CredentialHopOptions {
  /** A loopback address; anything else is refused. */
  host: string;
  /** 0 (default) picks a free port. */
  port?: number;
  /** A session whose camera sends nothing for this long is closed (default 30 s). */
  idleTimeoutMs?: number;
  /** Connecting to the camera (default 5 s); ffmpeg then gets 504. */
  connectTimeoutMs?: number;
  maxConnections?: number;
  /** Unexpected per-connection failures (never carry credentials). */
  onError?: (error: unknown) => void;
}

export interface CredentialHop {
  readonly host: string;
  readonly port: number;
  /** A one-time hop URL for ffmpeg, valid for one connection started within `ttlMs`. */
  grant(cameraUrl: string, credentials: CameraCredentials, ttlMs: number): string;
  /** Grants not yet used or expired. */
  readonly pendingGrants: number;
  /** Connections being relayed. */
  readonly connections: number;
  close(): Promise<void>;
}

const DEFAULT_IDLE_TIMEOUT_MS = 30_000;
const DEFAULT_CONNECT_TIMEOUT_MS = 5_000;
const DEFAULT_MAX_CONNECTIONS = 512;
const DEFAULT_RTSP_PORT = 554;

interface StoredGrant extends HopGrant {
  expiresAt: number;
  timer: NodeJS.Timeout;
}

function isLoopback(host: string): boolean {
  if (isIP(host) === 4) return host.startsWith('127.');
  return host === '::1';
}

/** Splits a camera URL into where to connect and how to address it; its user info is ignored. */
function parseCameraUrl(cameraUrl: string): { host: string; port: number; prefix: string; rest: string } {
  let url: URL;
  try {
    url = new URL(cameraUrl);
  } catch {
    throw new Error('credential hop: the camera URL is not a URL');
  }
  if (url.protocol !== 'rtsp:' || url.hostname === '') {
    throw new Error('credential hop: the camera URL must be rtsp://host[:port]/…');
  }
  const port = url.port === '' ? DEFAULT_RTSP_PORT : Number(url.port);
  const host = socketHost(url);
  // The path and query exactly as written (URL would re-encode a non-special scheme's path anyway).
  const afterScheme = cameraUrl.slice(cameraUrl.indexOf('//') + 2);
  const slash = afterScheme.search(/[/?]/);
  const rest = slash < 0 ? '' : afterScheme.slice(slash);
  return { host, port, prefix: `rtsp://${url.host}`, rest };
}

export async function startCredentialHop(options: CredentialHopOptions): Promise<CredentialHop> {
  if (!isLoopback(options.host)) throw new Error('credential hop: host must be a loopback address');
  const grants = new Map<string, StoredGrant>();
  const sockets = new Set<Socket>();
  const report = (error: unknown) => options.onError?.(error);

  const take = (token: string): HopGrant | null => {
    const stored = grants.get(token);
    if (!stored) return null;
    grants.delete(token);
    clearTimeout(stored.timer);
    if (Date.now() > stored.expiresAt) return null;
    const { host, port, cameraPrefix, credentials } = stored;
    return { host, port, cameraPrefix, credentials };
  };

  const context = {
    take,
    idleTimeoutMs: options.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS,
    connectTimeoutMs: options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
    report,
  };
  const server = createServer({ noDelay: true }, (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    serveHopConnection(socket, context);
  });
  server.maxConnections = options.maxConnections ?? DEFAULT_MAX_CONNECTIONS;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: options.host, port: options.port ?? 0 }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.on('error', report);
  const address = server.address();
  const port = address && typeof address === 'object' ? address.port : 0;
  const hostForUrl = options.host.includes(':') ? `[${options.host}]` : options.host;

  return {
    host: options.host,
    port,
    grant(cameraUrl, credentials, ttlMs) {
      const camera = parseCameraUrl(cameraUrl);
      const token = randomBytes(16).toString('hex');
      const timer = setTimeout(() => grants.delete(token), ttlMs);
      timer.unref();
      grants.set(token, {
        host: camera.host,
        port: camera.port,
        cameraPrefix: camera.prefix,
        credentials: { username: credentials.username, password: credentials.password },
        expiresAt: Date.now() + ttlMs,
        timer,
      });
      const rest = camera.rest === '' || camera.rest.startsWith('?') ? `/${camera.rest}` : camera.rest;
      return `rtsp://${hostForUrl}:${port}/${token}${rest}`;
    },
    get pendingGrants() {
      return grants.size;
    },
    get connections() {
      return sockets.size;
    },
    close() {
      for (const stored of grants.values()) clearTimeout(stored.timer);
      grants.clear();
      return new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      });
    },
  };
}
