import type { Logger } from 'pino';
import type { CredentialVault } from '../cameras/credential-vault.js';
import type { Config } from '../config.js';
import type { Queryable } from '../db.js';
import type { CameraCredentials, CredentialHop } from '../media/credential-hop.js';
import { CAMERA_PROTOCOL_WHITELIST, startFfmpeg } from '../media/ffmpeg-process.js';
import { redactSecrets } from '../redact.js';
import { probeHandshake } from '../rtsp/probe.js';
import type { VideoCodec } from '../rtsp/sdp.js';
import type { RelayMetrics } from './metrics.js';
import { TsSplitter } from './ts-packets.js';
import { RelayRefusal, type Upstream, type UpstreamEvents, type UpstreamFactory } from './types.js';

/**
 * The local upstream of a camera: ONE ffmpeg pulling its RTSP stream through the credential hop (so no
 * password is ever on a command line) and writing MPEG-TS to our pipe. H.264 is copied; H.265 is transcoded
 * to H.264 at bounded cost (sub stream, scaled down, one encoder thread, at most config.relay.maxTranscodes
 * per factory, i.e. per process). ffmpeg runs under the watchdog of ffmpeg-process.ts: its process group is
 * killed on stop, on stall and when we die.
 */

export interface UpstreamDeps {
  db: Queryable;
  vault: CredentialVault;
  hop: CredentialHop;
  config: Pick<Config, 'relay'>;
  log: Logger;
  metrics?: RelayMetrics;
  /** On ffmpeg's command line before the camera id, to find the relay's runs with ps/pgrep (default 'xueliang-relay'). */
  tag?: string;
}

export interface FfmpegUpstreamOptions {
  cameraId: string;
  /** rtsp://host[:port]/path (user info ignored) */
  cameraUrl: string;
  credentials: CameraCredentials;
  hop: CredentialHop;
  kind: 'copy' | 'transcode';
  /** No bytes for this long: ffmpeg is stopped and `end` says restart. */
  stallMs: number;
  /** G.711 (or any) audio re-encoded to AAC; off by default (consoles show video only). */
  audio?: boolean;
  tag?: string;
  log?: Logger;
  /** Called once ffmpeg is reaped, however it ended. */
  onExit?: () => void;
}

/** How long ffmpeg may take to deliver its first bytes (connection, probing, first keyframe). */
const FIRST_BYTES_MS = 10_000;
/** A run is recycled after this (the relay restarts it); setTimeout cannot take much more than 24 days. */
const RUN_DEADLINE_MS = 7 * 24 * 3600_000;
const GRANT_TTL_MS = 10_000;
const DESCRIBE_TIMEOUT_MS = 5000;
/** The transcode's output: at most this many lines, a keyframe every 2 s, ~800 kbit/s. */
const TRANSCODE_HEIGHT = 480;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function ffmpegArgs(hopUrl: string, o: Pick<FfmpegUpstreamOptions, 'kind' | 'audio' | 'stallMs'>) {
  const ioTimeoutUs = String(Math.round(o.stallMs * 2 * 1000)); // our stall timer should fire first
  const args = ['-v', 'error', '-rtsp_transport', 'tcp', '-timeout', ioTimeoutUs];
  // A copy needs no decoded parameters (the SDP carries SPS/PPS): half a second of analysis is plenty and
  // is most of a cold start; a transcode decodes, so it looks longer.
  const analyzeUs = o.kind === 'copy' ? '500000' : '2000000';
  args.push('-protocol_whitelist', CAMERA_PROTOCOL_WHITELIST, '-analyzeduration', analyzeUs);
  if (o.kind === 'transcode') args.push('-threads', '1');
  args.push('-i', hopUrl, '-map', '0:v:0');
  if (o.kind === 'copy') args.push('-c:v', 'copy');
  else {
    args.push('-vf', `scale=-2:'min(${TRANSCODE_HEIGHT},ih)'`, '-c:v', 'libx264', '-preset', 'ultrafast');
    args.push('-tune', 'zerolatency', '-pix_fmt', 'yuv420p', '-threads', '1');
    args.push('-force_key_frames', 'expr:gte(t,n_forced*2)', '-b:v', '800k', '-maxrate', '1000k');
    args.push('-bufsize', '1000k');
  }
  if (o.audio) args.push('-map', '0:a:0?', '-c:a', 'aac', '-b:a', '32k', '-ac', '1');
  else args.push('-an');
  args.push('-sn', '-dn', '-flush_packets', '1', '-muxdelay', '0', '-f', 'mpegts');
  return args;
}

type Listeners = { [E in keyof UpstreamEvents]: Array<UpstreamEvents[E]> };

/** Starts ffmpeg for one camera stream; see {@link FfmpegUpstreamOptions}. */
export function startFfmpegUpstream(o: FfmpegUpstreamOptions): Upstream {
  const listeners: Listeners = { data: [], end: [] };
  const hopUrl = o.hop.grant(o.cameraUrl, o.credentials, GRANT_TTL_MS);
  const args = ffmpegArgs(hopUrl, o);
  args.push('-metadata', `comment=${o.tag ?? 'xueliang-relay'} ${o.cameraId}`, 'pipe:1');
  const run = startFfmpeg({ args, deadlineMs: RUN_DEADLINE_MS, stdout: 'stream' });
  const splitter = new TsSplitter();
  let stopped = false;
  let ended = false;

  const end = (reason: string, restart: boolean) => {
    if (ended || stopped) return;
    ended = true;
    o.log?.info({ cameraId: o.cameraId, reason, restart }, 'relay: upstream ended');
    for (const listener of listeners.end) listener(reason, restart);
  };
  // Checked a few times per stall period rather than re-armed per chunk.
  let silentUntil = Date.now() + Math.max(o.stallMs, FIRST_BYTES_MS);
  const stall = setInterval(
    () => {
      if (Date.now() <= silentUntil) return;
      clearInterval(stall);
      run.stop();
      end(`no bytes from the camera for ${o.stallMs} ms`, true);
    },
    Math.min(1000, Math.max(50, o.stallMs / 4)),
  );
  run.stdout?.on('data', (chunk: Buffer) => {
    silentUntil = Date.now() + o.stallMs;
    const packets = splitter.push(chunk);
    if (packets.length === 0 || stopped || ended) return;
    for (const listener of listeners.data) listener(packets);
  });
  run.stdout?.on('error', () => {});

  const secrets = [o.credentials.password, o.credentials.username];
  const exited = run.result.then((result) => {
    clearInterval(stall);
    o.onExit?.();
    if (stopped || ended) return;
    const stderr = redactSecrets(result.stderrTail.split(hopUrl).join('<camera>'), secrets).trim();
    const last = stderr.split('\n').slice(-2).join(' | ').slice(0, 300);
    if (/\b401\b/.test(stderr)) return end('the camera refused the credentials (401)', false);
    if (result.timedOut) return end('the run reached its deadline; restarting it', true);
    const how = result.code === 0 ? 'the stream ended' : `ffmpeg exited (${result.code ?? result.signal})`;
    end(last ? `${how}: ${last}` : how, true);
  });

  const upstream: Upstream = {
    kind: o.kind,
    on(event, listener) {
      (listeners[event] as Array<typeof listener>).push(listener);
      return upstream;
    },
    async stop() {
      stopped = true;
      clearInterval(stall);
      run.stop();
      await exited;
    },
  };
  return upstream;
}

interface CameraRow {
  rtsp_main_url: string | null;
  rtsp_sub_url: string | null;
  credential_key_id: string | null;
  credential_cipher: Buffer | null;
}

async function loadCamera(deps: UpstreamDeps, cameraId: string) {
  const fail = (why: string) => new RelayRefusal('failed', `relay: camera ${cameraId} ${why}`);
  if (!UUID.test(cameraId)) throw fail('is not a camera id');
  const { rows } = await deps.db.query<CameraRow>(
    `SELECT rtsp_main_url, rtsp_sub_url, credential_key_id, credential_cipher
       FROM cameras WHERE id = $1 AND retired_at IS NULL`,
    [cameraId],
  );
  const row = rows[0];
  if (!row) throw fail('is not an active camera');
  if (!row.rtsp_main_url) throw fail('has no stream URL');
  const credentials =
    row.credential_key_id && row.credential_cipher
      ? deps.vault.open(cameraId, { keyId: row.credential_key_id, cipher: row.credential_cipher })
      : { username: '', password: '' };
  return { main: row.rtsp_main_url, sub: row.rtsp_sub_url, credentials };
}

/** The stream's codec from a DESCRIBE; a refusal when retrying cannot help, an Error when it might. */
async function describeCodec(
  cameraId: string,
  url: string,
  credentials: CameraCredentials,
): Promise<VideoCodec> {
  const hs = await probeHandshake({ url, ...credentials, timeoutMs: DESCRIBE_TIMEOUT_MS });
  if (hs.outcome === 'ok' && hs.sdp) return hs.sdp.codec;
  if (hs.outcome === 'auth') {
    throw new RelayRefusal('failed', `relay: camera ${cameraId} refused the credentials`);
  }
  throw new Error(`relay: DESCRIBE of camera ${cameraId} failed: ${hs.error ?? hs.outcome}`);
}

/**
 * Upstreams of this instance's cameras. H.264 main stream: copied. H.265 main stream: the sub stream is
 * copied if it is H.264, else transcoded (sub stream preferred) when a transcode slot is free, else the
 * viewer is refused with 'snapshots_only'. Other codecs are refused with 'snapshots_only' too.
 */
export function localUpstreamFactory(deps: UpstreamDeps): UpstreamFactory {
  const transcoding = new Set<string>();
  const { relay } = deps.config;
  return async (cameraId) => {
    const camera = await loadCamera(deps, cameraId);
    const mainCodec = await describeCodec(cameraId, camera.main, camera.credentials);
    let url = camera.main;
    let kind: 'copy' | 'transcode' = 'copy';
    if (mainCodec !== 'H264') {
      const sub = camera.sub ? await describeCodec(cameraId, camera.sub, camera.credentials) : null;
      if (camera.sub && sub === 'H264') url = camera.sub;
      else {
        if (mainCodec !== 'H265') {
          throw new RelayRefusal('snapshots_only', 'this camera’s video format cannot be played live');
        }
        url = camera.sub && sub === 'H265' ? camera.sub : camera.main;
        kind = 'transcode';
      }
    }
    if (kind === 'transcode') {
      if (transcoding.has(cameraId) || transcoding.size >= relay.maxTranscodes) {
        throw new RelayRefusal(
          'snapshots_only',
          'H.265 camera and every live transcode slot is in use: showing refreshed snapshots',
        );
      }
      transcoding.add(cameraId);
      deps.metrics?.transcodes.inc();
    }
    deps.log.info({ cameraId, kind }, 'relay: starting upstream');
    return startFfmpegUpstream({
      cameraId,
      cameraUrl: url,
      credentials: camera.credentials,
      hop: deps.hop,
      kind,
      stallMs: relay.stallMs,
      tag: deps.tag,
      log: deps.log,
      onExit: kind === 'transcode' ? () => transcoding.delete(cameraId) : undefined,
    });
  };
}
