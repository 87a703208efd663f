import { randomInt } from 'node:crypto';
import { createServer, type Socket } from 'node:net';
import { type RtspCameraView, subStreamPath } from './fault-view.js';
import { ensureClips, type H264Clip } from './h264-clip.js';
import { type LightContext, serveConnection } from './light-connection.js';
import { type ClipSet, Streamer } from './light-streamer.js';
import { RtspAuthenticator } from './rtsp-auth.js';

/**
 * The light RTSP responder: one TCP listener serving many simulated cameras by path, RTP over the RTSP
 * connection only (RTP/AVP/TCP interleaved), pre-encoded clips shared by every stream. Each camera has its
 * main stream at `view.path` and its sub stream at `subStreamPath(view.path)`; both carry the same clip.
 */

export interface LightRtspServerOptions {
  /** A loopback address, e.g. '127.0.0.1'. */
  host: string;
  /** 0 picks a free port. */
  port: number;
  cameras: RtspCameraView[];
  /** The clip every camera plays; without it (and without `clips`) the default cached clips are used. */
  clip?: H264Clip;
  /** Clips per picture fault; kinds left out fall back to `clip` (or the 'moving' clip). */
  clips?: Partial<Record<keyof ClipSet, H264Clip>>;
  /** Advertised in the Session header; idle connections without a playing stream close after it. */
  sessionTimeoutSeconds?: number;
  /** Per-connection failures are reported here and never crash the server. */
  onError?: (error: unknown) => void;
}

export interface LightRtspServer {
  readonly host: string;
  readonly port: number;
  url(cameraId: string, stream?: 'main' | 'sub'): string;
  /** Cameras can be added (or replaced, by id) and removed while the server runs. */
  addCamera(camera: RtspCameraView): void;
  removeCamera(cameraId: string): void;
  close(): Promise<void>;
}

function resolveClips(options: LightRtspServerOptions, defaults: ClipSet | null): ClipSet {
  const base = options.clip ?? options.clips?.moving ?? defaults?.moving;
  if (!base) throw new Error('no clip');
  const pick = (kind: keyof ClipSet) =>
    options.clips?.[kind] ?? (options.clip ? base : defaults?.[kind]) ?? base;
  return { moving: pick('moving'), black: pick('black'), frozen: pick('frozen'), noise: pick('noise') };
}

function buildSdp(clip: H264Clip, host: string, sessionId: string): string {
  const sprop = `${clip.sps.toString('base64')},${clip.pps.toString('base64')}`;
  const [rtpmap, fmtp] =
    clip.codec === 'H265'
      ? [
          'H265/90000',
          `sprop-vps=${clip.vps?.toString('base64') ?? ''};sprop-sps=${clip.sps.toString('base64')};sprop-pps=${clip.pps.toString('base64')}`,
        ]
      : [
          'H264/90000',
          `packetization-mode=1;profile-level-id=${clip.profileLevelId};sprop-parameter-sets=${sprop}`,
        ];
  return [
    'v=0',
    `o=- ${sessionId} 1 IN IP4 ${host}`,
    's=Xueliang simulated camera',
    `c=IN IP4 ${host}`,
    't=0 0',
    'a=control:*',
    'a=range:npt=0-',
    'm=video 0 RTP/AVP 96',
    `a=rtpmap:96 ${rtpmap}`,
    `a=fmtp:96 ${fmtp}`,
    `a=framerate:${clip.fps}`,
    'a=control:trackID=0',
    '',
  ].join('\r\n');
}

export async function startLightRtspServer(options: LightRtspServerOptions): Promise<LightRtspServer> {
  const defaults = options.clip || options.clips?.moving ? null : await ensureClips();
  const clips = resolveClips(options, defaults);
  const timeoutSeconds = options.sessionTimeoutSeconds ?? 60;
  const routes = new Map<string, RtspCameraView>();
  const byId = new Map<string, RtspCameraView>();
  const auth = new RtspAuthenticator();
  const streamer = new Streamer(clips);
  const sockets = new Set<Socket>();
  const sdpCache = new WeakMap<H264Clip, string>();
  const sdpSessionId = String(randomInt(1, 2 ** 31));
  const report = (error: unknown) => options.onError?.(error);

  const addCamera = (camera: RtspCameraView) => {
    const previous = byId.get(camera.id);
    if (previous) removeCamera(previous.id);
    byId.set(camera.id, camera);
    routes.set(camera.path, camera);
    routes.set(subStreamPath(camera.path), camera);
  };
  const removeCamera = (cameraId: string) => {
    const camera = byId.get(cameraId);
    if (!camera) return;
    byId.delete(cameraId);
    routes.delete(camera.path);
    routes.delete(subStreamPath(camera.path));
  };
  for (const camera of options.cameras) addCamera(camera);

  const server = createServer({ noDelay: true });
  let host = options.host;
  let port = options.port;
  const hostForUrl = () => (host.includes(':') ? `[${host}]` : host);
  const baseUrl = (path: string) => `rtsp://${hostForUrl()}:${port}${path}`;
  const sdpFor = (clip: H264Clip) => {
    let sdp = sdpCache.get(clip);
    if (!sdp) {
      sdp = buildSdp(clip, host, sdpSessionId);
      sdpCache.set(clip, sdp);
    }
    return sdp;
  };

  const context: LightContext = {
    routes,
    auth,
    streamer,
    timeoutSeconds,
    baseUrl,
    sdpFor,
    report,
  };
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    serveConnection(socket, context);
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: options.host, port: options.port, backlog: 2048 }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.on('error', report);
  const address = server.address();
  if (address && typeof address === 'object') {
    host = address.address;
    port = address.port;
  }

  return {
    host,
    port,
    url(cameraId, stream = 'main') {
      const camera = byId.get(cameraId);
      if (!camera) throw new Error(`unknown camera ${cameraId}`);
      return baseUrl(stream === 'main' ? camera.path : subStreamPath(camera.path));
    },
    addCamera,
    removeCamera,
    close() {
      streamer.stopAll();
      return new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
        sockets.clear();
      });
    },
  };
}
