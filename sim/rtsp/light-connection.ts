import { randomBytes, randomInt } from 'node:crypto';
import type { Socket } from 'node:net';
import type { RtspCameraView } from './fault-view.js';
import type { H264Clip } from './h264-clip.js';
import { endSoon, type PlayingStream, type Streamer } from './light-streamer.js';
import type { RtspAuthenticator } from './rtsp-auth.js';
import { formatResponse, type RtspRequest, RtspRequestParser, requestPath } from './rtsp-request.js';

/** What one light-server connection needs from its server. */
export interface LightContext {
  readonly routes: ReadonlyMap<string, RtspCameraView>;
  readonly auth: RtspAuthenticator;
  readonly streamer: Streamer;
  readonly timeoutSeconds: number;
  /** rtsp://host:port + path */
  baseUrl(path: string): string;
  sdpFor(clip: H264Clip): string;
  report(error: unknown): void;
}

interface Session {
  id: string;
  camera: RtspCameraView;
  channel: number;
  ssrc: number;
  seq: number;
  tsBase: number;
  stream: PlayingStream | null;
}

const PUBLIC = 'OPTIONS, DESCRIBE, SETUP, PLAY, PAUSE, TEARDOWN, GET_PARAMETER, SET_PARAMETER';

/**
 * Serves one RTSP connection: one session at most, one video track, RTP interleaved on the connection.
 * Any failure inside closes this connection only.
 */
export function serveConnection(socket: Socket, ctx: LightContext): void {
  const parser = new RtspRequestParser();
  let session: Session | null = null;
  socket.setTimeout((ctx.timeoutSeconds + 5) * 1000);
  socket.on('timeout', () => {
    if (!session?.stream) socket.destroy();
  });
  socket.on('error', () => socket.destroy());
  socket.on('close', () => ctx.streamer.stop(session?.stream));

  const sessionHeader = (s: Session): [string, string] => [
    'Session',
    `${s.id};timeout=${ctx.timeoutSeconds}`,
  ];

  /** The response to write, or null when the connection was closed instead. */
  const handle = (req: RtspRequest): string | null => {
    const cseq = req.headers.get('cseq');
    const respond = (status: number, headers: Array<[string, string]> = [], body = '') =>
      formatResponse(status, cseq, headers, body);
    if (req.version !== 'RTSP/1.0') return respond(505);
    const { path } = requestPath(req.uri);
    const camera = ctx.routes.get(path) ?? (path === '' ? session?.camera : undefined);
    if (!camera) return req.method === 'OPTIONS' ? respond(200, [['Public', PUBLIC]]) : respond(404);
    const faults = camera.faults();
    if (faults.offline) {
      socket.destroy();
      return null;
    }
    if (req.method === 'OPTIONS') return respond(200, [['Public', PUBLIC]]);
    const verdict = faults.authFails
      ? 'denied'
      : ctx.auth.check(camera, req.method, req.headers.get('authorization'));
    if (verdict !== 'ok') {
      return respond(401, [['WWW-Authenticate', ctx.auth.challenge(camera, verdict === 'stale')]]);
    }
    const requestedSession = req.headers.get('session')?.split(';')[0]?.trim();
    if (requestedSession !== undefined && session?.id !== requestedSession) return respond(454);
    const contentBase = `${ctx.baseUrl(path)}/`;

    switch (req.method) {
      case 'DESCRIBE':
        return respond(
          200,
          [
            ['Content-Base', contentBase],
            ['Content-Type', 'application/sdp'],
          ],
          ctx.sdpFor(ctx.streamer.clipFor(faults)),
        );
      case 'SETUP': {
        const transport = req.headers.get('transport') ?? '';
        if (!transport.toUpperCase().includes('RTP/AVP/TCP')) return respond(461);
        if (faults.sessionLimit) return respond(453);
        if (session && session.camera !== camera) return respond(459);
        const channel = interleavedChannel(transport);
        if (!session) {
          session = {
            id: randomBytes(8).toString('hex').toUpperCase(),
            camera,
            channel,
            ssrc: randomInt(0, 2 ** 32),
            seq: randomInt(0, 0x10000),
            tsBase: randomInt(0, 2 ** 32),
            stream: null,
          };
        } else if (!session.stream) session.channel = channel;
        const ssrc = session.ssrc.toString(16).toUpperCase().padStart(8, '0');
        const interleaved = `${session.channel}-${session.channel + 1}`;
        return respond(200, [
          ['Transport', `RTP/AVP/TCP;unicast;interleaved=${interleaved};ssrc=${ssrc}`],
          sessionHeader(session),
        ]);
      }
      case 'PLAY': {
        if (!session) return respond(455);
        if (faults.sessionLimit) return respond(453);
        const s = session;
        // The response goes out before the first frame: the streamer sends on its next tick.
        s.stream ??= ctx.streamer.start(
          socket,
          camera,
          { channel: s.channel, ssrc: s.ssrc, seq: s.seq },
          s.tsBase,
        );
        const rtpInfo = `url=${contentBase}trackID=0;seq=${s.stream.rtp.seq};rtptime=${s.tsBase}`;
        return respond(200, [sessionHeader(s), ['Range', 'npt=0.000-'], ['RTP-Info', rtpInfo]]);
      }
      case 'PAUSE':
      case 'TEARDOWN': {
        if (!session) return respond(req.method === 'PAUSE' ? 455 : 200);
        const s = session;
        if (s.stream) s.seq = s.stream.rtp.seq;
        ctx.streamer.stop(s.stream);
        s.stream = null;
        if (req.method === 'TEARDOWN') session = null;
        return respond(200, req.method === 'PAUSE' ? [sessionHeader(s)] : []);
      }
      case 'GET_PARAMETER':
      case 'SET_PARAMETER':
        return respond(200, session ? [sessionHeader(session)] : []);
      default:
        return respond(501, [['Public', PUBLIC]]);
    }
  };

  socket.on('data', (chunk: Buffer) => {
    try {
      for (const event of parser.push(chunk)) {
        if (socket.destroyed || !socket.writable) return;
        if (event.kind === 'error') {
          socket.write(formatResponse(400, undefined, [['Connection', 'close']]));
          endSoon(socket);
          return;
        }
        const response = handle(event.request);
        if (response !== null && !socket.destroyed) socket.write(response);
      }
    } catch (error) {
      ctx.report(error);
      socket.destroy();
    }
  });
}

/** The first channel of `interleaved=a-b` (0 when absent or unparsable; the pair is always n, n+1). */
function interleavedChannel(transport: string): number {
  const at = transport.toLowerCase().indexOf('interleaved=');
  if (at < 0) return 0;
  const value = Number.parseInt(transport.slice(at + 'interleaved='.length), 10);
  return Number.isInteger(value) && value >= 0 && value <= 254 ? value : 0;
}
