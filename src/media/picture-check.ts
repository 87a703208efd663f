import { randomBytes } from 'node:crypto';
import { open, rename, rm } from 'node:fs/promises';
import { redactSecrets } from '../redact.js';
import type { CameraCredentials, CredentialHop } from './credential-hop.js';
import { CAMERA_PROTOCOL_WHITELIST, runFfmpeg } from './ffmpeg-process.js';
import { parseStatsOutput, statsFilterGraph } from './picture-stats.js';
import { type PictureContext, type PictureVerdict, pictureVerdict } from './picture-verdict.js';

/**
 * One picture check: ONE ffmpeg reads a few seconds of the camera through the credential hop (so the
 * credentials never reach its command line), measures every frame, optionally keeps the last frame as a
 * JPEG, and the frames are judged by picture-verdict.ts. A stream that stalls or ends early can make
 * ffmpeg exit 0, so the frames are counted, and the run has its own hard deadline besides ffmpeg's socket
 * timeout.
 */

export interface PictureCheckOptions {
  /** rtsp://host[:port]/path of the stream (user info, if any, is ignored). */
  cameraUrl: string;
  credentials: CameraCredentials;
  hop: CredentialHop;
  /** Seconds of stream to judge (default 4). */
  seconds?: number;
  /** Hard limit of the whole check, connection included. */
  deadlineMs: number;
  /** ffmpeg's RTSP socket I/O timeout (default 5 s, at most the deadline). */
  ioTimeoutMs?: number;
  /** Where to keep the last frame as a JPEG; replaced only by a complete JPEG. */
  snapshotPath?: string;
  context: PictureContext;
  /** A label ffmpeg carries on its command line (e.g. the camera id), to find it with ps/pgrep. */
  tag?: string;
  onStderrLine?: (line: string) => void;
}

export type PictureOutcome =
  | 'ok'
  /** The stream played but delivered fewer than MIN_CHECK_FRAMES frames. */
  | 'no_frames'
  | 'auth_failed'
  | 'not_found'
  | 'unreachable'
  /** The hard deadline fired before enough frames arrived. */
  | 'timeout'
  | 'failed';

export interface PictureResult {
  outcome: PictureOutcome;
  /** Present when outcome is 'ok'. */
  verdict: PictureVerdict | null;
  frames: number;
  /** Stream time covered by the measured frames. */
  streamSeconds: number;
  /** The stream covered less than PARTIAL_FRACTION of the window asked for (it ended or stalled). */
  partial: boolean;
  snapshotPath: string | null;
  timedOut: boolean;
  exitCode: number | null;
  /** ffmpeg's last error lines (hop URL and credentials masked) when something went wrong. */
  error: string | null;
  ms: number;
}

/** Fewer frames than this are not judged (a 1 fps sub-stream still yields 3 in the default window). */
export const MIN_CHECK_FRAMES = 3;
/** A window covered less than this much is reported partial (one frame interval short is normal). */
export const PARTIAL_FRACTION = 0.75;
const DEFAULT_SECONDS = 4;
const DEFAULT_IO_TIMEOUT_MS = 5000;
/** ~1 KB of printed metadata per frame: room for about 4000 frames. */
const MAX_STATS_BYTES = 4 << 20;
const MAX_GRANT_TTL_MS = 10_000;
const ERROR_LINES = 6;

function buildArgs(
  hopUrl: string,
  seconds: number,
  ioTimeoutMs: number,
  snapshot: string | null,
  tag?: string,
) {
  const args = ['-v', 'error', '-rtsp_transport', 'tcp', '-timeout', String(Math.round(ioTimeoutMs * 1000))];
  args.push('-protocol_whitelist', CAMERA_PROTOCOL_WHITELIST, '-t', String(seconds), '-i', hopUrl);
  args.push('-filter_complex', statsFilterGraph(snapshot !== null));
  args.push('-map', '[stats]', '-an', '-sn', '-dn');
  if (tag !== undefined) args.push('-metadata', `comment=xueliang-picture-check ${tag}`);
  args.push('-f', 'null', '-');
  if (snapshot !== null) {
    args.push('-map', '[snap]', '-an', '-update', '1', '-pix_fmt', 'yuvj420p', '-q:v', '4');
    args.push('-f', 'image2', snapshot);
  }
  return args;
}

/**
 * Why fewer than MIN_CHECK_FRAMES frames came. ffmpeg only ever connects to the hop on loopback; the
 * camera's own failures come back as RTSP statuses (the hop answers 502/504 when it cannot reach it).
 */
function classify(stderr: string, timedOut: boolean): Exclude<PictureOutcome, 'ok'> {
  if (timedOut) return 'timeout';
  if (/\b401\b/.test(stderr)) return 'auth_failed';
  if (/\b404\b/.test(stderr)) return 'not_found';
  if (/\b50[234]\b/.test(stderr)) return 'unreachable';
  // The session was set up but no (or too few) frames came: stalled, or ended.
  if (stderr.trim() === '' || /Connection timed out|End of file|after EOF/i.test(stderr)) return 'no_frames';
  return 'failed';
}

async function isCompleteJpeg(path: string): Promise<boolean> {
  const file = await open(path, 'r').catch(() => null);
  if (!file) return false;
  try {
    const { size } = await file.stat();
    if (size < 4) return false;
    const head = Buffer.alloc(2);
    const tail = Buffer.alloc(2);
    await file.read(head, 0, 2, 0);
    await file.read(tail, 0, 2, size - 2);
    return head[0] === 0xff && head[1] === 0xd8 && tail[0] === 0xff && tail[1] === 0xd9;
  } finally {
    await file.close();
  }
}

async function keepSnapshot(partial: string | null, target: string | undefined): Promise<string | null> {
  if (partial === null || target === undefined) return null;
  try {
    if (!(await isCompleteJpeg(partial))) return null;
    await rename(partial, target);
    return target;
  } finally {
    await rm(partial, { force: true });
  }
}

/** Never rejects for camera or stream trouble (see outcome); only for a camera URL that is not rtsp://. */
export async function checkPicture(options: PictureCheckOptions): Promise<PictureResult> {
  const seconds = options.seconds ?? DEFAULT_SECONDS;
  const ioTimeoutMs = Math.min(options.ioTimeoutMs ?? DEFAULT_IO_TIMEOUT_MS, options.deadlineMs);
  const ttl = Math.min(options.deadlineMs, MAX_GRANT_TTL_MS);
  const hopUrl = options.hop.grant(options.cameraUrl, options.credentials, ttl);
  // Written beside the target under a name of its own, so a killed run never leaves a torn JPEG there.
  const partial =
    options.snapshotPath === undefined
      ? null
      : `${options.snapshotPath}.${randomBytes(6).toString('hex')}.partial.jpg`;
  const run = await runFfmpeg({
    args: buildArgs(hopUrl, seconds, ioTimeoutMs, partial, options.tag),
    deadlineMs: options.deadlineMs,
    maxStdoutBytes: MAX_STATS_BYTES,
    onStderrLine: options.onStderrLine,
  });
  const parsed = parseStatsOutput(run.stdout.toString('latin1'));
  const snapshotPath = await keepSnapshot(partial, options.snapshotPath);
  const enough = parsed.frames.length >= MIN_CHECK_FRAMES;
  const stderr = redactSecrets(run.stderrTail.split(hopUrl).join('<camera>'), [
    options.credentials.password,
    options.credentials.username,
  ]);
  const lastLines = stderr.trim().split('\n').slice(-ERROR_LINES).join('\n');
  return {
    outcome: enough ? 'ok' : classify(stderr, run.timedOut),
    verdict: enough ? pictureVerdict(parsed.frames, options.context) : null,
    frames: parsed.frames.length,
    streamSeconds: parsed.seconds,
    partial: parsed.seconds < seconds * PARTIAL_FRACTION,
    snapshotPath,
    timedOut: run.timedOut,
    exitCode: run.code,
    error: enough && run.code === 0 ? null : lastLines || null,
    ms: run.ms,
  };
}
