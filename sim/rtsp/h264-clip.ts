import { execFile } from 'node:child_process';
import { mkdir, readFile, rename, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ClipKind } from './fault-view.js';

/**
 * Small pre-encoded H.264 clips for the light RTSP responder. Each clip is generated once with ffmpeg,
 * cached as an Annex-B file, and parsed into NAL units that are views into one shared Buffer per clip.
 */
export interface H264Clip {
  /** NAL units (without start codes) per access unit, in decode order. Every IDR frame carries SPS+PPS. */
  frames: Buffer[][];
  fps: number;
  sps: Buffer;
  pps: Buffer;
  /** Six hex digits: profile_idc, constraint flags, level_idc — for the SDP fmtp line. */
  profileLevelId: string;
  /** Absent: H.264. 'H265': an H.265 clip (see h265-clip.ts): sps/pps are H.265's, with its vps. */
  codec?: 'H264' | 'H265';
  vps?: Buffer;
}

export const CLIP_WIDTH = 640;
export const CLIP_HEIGHT = 360;
export const CLIP_FPS = 25;
const CLIP_SECONDS = 4;
const FFMPEG_TIMEOUT_MS = 60_000;

export function defaultClipCacheDir(): string {
  return join(tmpdir(), 'xueliang-sim-clips-v1');
}

function sourceArgs(kind: ClipKind): string[] {
  const size = `size=${CLIP_WIDTH}x${CLIP_HEIGHT}:rate=${CLIP_FPS}`;
  switch (kind) {
    case 'moving':
      return ['-f', 'lavfi', '-i', `testsrc2=${size}`];
    case 'black':
      return ['-f', 'lavfi', '-i', `color=c=black:${size}`];
    case 'frozen':
      // One still frame of the test picture, repeated.
      return ['-f', 'lavfi', '-i', `testsrc2=${size}`, '-vf', 'loop=loop=-1:size=1:start=0'];
    case 'noise':
      return ['-f', 'lavfi', '-i', `nullsrc=${size},geq=lum='random(1)*255':cb=128:cr=128`];
  }
}

function ffmpegArgs(kind: ClipKind, out: string): string[] {
  return [
    '-nostdin',
    '-v',
    'error',
    '-y',
    ...sourceArgs(kind),
    '-t',
    String(CLIP_SECONDS),
    '-an',
    '-c:v',
    'libx264',
    '-profile:v',
    'baseline',
    '-tune',
    'zerolatency',
    '-pix_fmt',
    'yuv420p',
    '-g',
    String(CLIP_FPS),
    '-keyint_min',
    String(CLIP_FPS),
    // Caps the noise clip's size; the others stay well below.
    '-maxrate',
    '1500k',
    '-bufsize',
    '750k',
    '-bsf:v',
    'h264_mp4toannexb',
    '-f',
    'h264',
    out,
  ];
}

function runFfmpeg(args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(
      'ffmpeg',
      args,
      { timeout: FFMPEG_TIMEOUT_MS, killSignal: 'SIGKILL', maxBuffer: 1 << 20 },
      (error, _stdout, stderr) => {
        if (error) reject(new Error(`ffmpeg failed: ${error.message}\n${String(stderr).slice(-2000)}`));
        else resolve();
      },
    );
  });
}

/** Splits an Annex-B byte stream at its 3- and 4-byte start codes; NALs are views into `data`. */
export function splitAnnexB(data: Buffer): Buffer[] {
  const nals: Buffer[] = [];
  let start = -1;
  let i = 0;
  const n = data.length;
  while (i + 2 < n) {
    if (data[i] === 0 && data[i + 1] === 0 && data[i + 2] === 1) {
      if (start >= 0) {
        // A 4-byte start code's leading zero belongs to it, not to the previous NAL.
        let end = i;
        while (end > start && data[end - 1] === 0) end--;
        if (end > start) nals.push(data.subarray(start, end));
      }
      i += 3;
      start = i;
    } else {
      i++;
    }
  }
  if (start >= 0 && start < n) nals.push(data.subarray(start, n));
  return nals;
}

const isVcl = (type: number): boolean => type >= 1 && type <= 5;

/**
 * Groups NAL units into access units (ITU-T H.264 7.4.1.2.3): an AUD/SPS/PPS/SEI after a slice, or a slice
 * whose first_mb_in_slice is 0 (its first ue(v) bit is 1), starts a new one.
 */
export function groupAccessUnits(nals: Buffer[]): Buffer[][] {
  const frames: Buffer[][] = [];
  let current: Buffer[] = [];
  let hasVcl = false;
  for (const nal of nals) {
    const type = (nal[0] ?? 0) & 0x1f;
    const startsNew = isVcl(type)
      ? hasVcl && ((nal[1] ?? 0) & 0x80) !== 0
      : hasVcl && (type === 6 || type === 7 || type === 8 || type === 9 || (type >= 14 && type <= 18));
    if (startsNew) {
      frames.push(current);
      current = [];
      hasVcl = false;
    }
    current.push(nal);
    if (isVcl(type)) hasVcl = true;
  }
  if (current.length > 0 && hasVcl) frames.push(current);
  return frames;
}

/** Parses an Annex-B clip; IDR frames without in-band SPS/PPS get the shared ones prepended. */
export function parseH264Clip(data: Buffer, fps: number): H264Clip {
  const nals = splitAnnexB(data);
  const sps = nals.find((nal) => ((nal[0] ?? 0) & 0x1f) === 7);
  const pps = nals.find((nal) => ((nal[0] ?? 0) & 0x1f) === 8);
  if (!sps || sps.length < 4 || !pps) throw new Error('H.264 clip has no SPS/PPS');
  const frames = groupAccessUnits(nals)
    .map((frame) => frame.filter((nal) => ((nal[0] ?? 0) & 0x1f) !== 9))
    .map((frame) => {
      const types = frame.map((nal) => (nal[0] ?? 0) & 0x1f);
      if (types.includes(5) && !types.includes(7)) return [sps, pps, ...frame];
      return frame;
    });
  const firstVcl = frames[0]?.find((nal) => isVcl((nal[0] ?? 0) & 0x1f));
  if (frames.length === 0 || !firstVcl || ((firstVcl[0] ?? 0) & 0x1f) !== 5) {
    throw new Error('H.264 clip does not start with an IDR frame');
  }
  const profileLevelId = sps.subarray(1, 4).toString('hex');
  return { frames, fps, sps, pps, profileLevelId };
}

async function loadOrCreate(cacheDir: string, kind: ClipKind): Promise<H264Clip> {
  const file = join(cacheDir, `${kind}-${CLIP_WIDTH}x${CLIP_HEIGHT}-${CLIP_FPS}.h264`);
  try {
    return parseH264Clip(await readFile(file), CLIP_FPS);
  } catch {
    // Missing or unusable: generate it (below).
  }
  // Written under a unique name and renamed, so concurrent processes never read a half-written clip.
  const partial = `${file}.${process.pid}.${Date.now().toString(36)}.partial`;
  try {
    await runFfmpeg(ffmpegArgs(kind, partial));
    await rename(partial, file);
  } finally {
    await rm(partial, { force: true });
  }
  return parseH264Clip(await readFile(file), CLIP_FPS);
}

const cache = new Map<string, Promise<Record<ClipKind, H264Clip>>>();

/**
 * Generates (once, cached under cacheDir) and parses the four clips. Within a process the parsed clips are
 * shared: every caller with the same cacheDir gets the same Buffers.
 */
export function ensureClips(cacheDir: string = defaultClipCacheDir()): Promise<Record<ClipKind, H264Clip>> {
  let pending = cache.get(cacheDir);
  if (!pending) {
    pending = (async () => {
      await mkdir(cacheDir, { recursive: true });
      const load = (kind: ClipKind) => loadOrCreate(cacheDir, kind);
      const [moving, black, frozen, noise] = await Promise.all([
        load('moving'),
        load('black'),
        load('frozen'),
        load('noise'),
      ]);
      return { moving, black, frozen, noise };
    })();
    cache.set(cacheDir, pending);
    pending.catch(() => cache.delete(cacheDir));
  }
  return pending;
}
