import { execFile } from 'node:child_process';
import { mkdir, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import {
  CLIP_FPS,
  CLIP_HEIGHT,
  CLIP_WIDTH,
  defaultClipCacheDir,
  type H264Clip,
  splitAnnexB,
} from './h264-clip.js';

/**
 * A pre-encoded H.265 clip for the light RTSP responder (H.265 cameras are common in the county; browsers
 * cannot play them through MSE, so the relay transcodes them). Encoded once with ffmpeg's libx265 (no
 * B-frames, VPS/SPS/PPS before every keyframe), cached beside the H.264 clips, and parsed into access units.
 * It has the shape of an H264Clip with `codec: 'H265'`: `sps`/`pps` hold the H.265 ones, `vps` beside them.
 */

const CLIP_SECONDS = 4;
const FFMPEG_TIMEOUT_MS = 60_000;

/** The NAL unit type of an H.265 NAL (two-byte header). */
export const h265Type = (nal: Buffer): number => ((nal[0] ?? 0) >> 1) & 0x3f;
/** IRAP pictures (BLA, IDR, CRA): where a decoder can start. */
export const isH265Irap = (type: number): boolean => type >= 16 && type <= 23;

/** Groups NAL units into access units (H.265 7.4.2.4.4): VPS/SPS/PPS/AUD/prefix SEI after a slice, or a slice with first_slice_segment_in_pic_flag, starts one. */
export function groupH265AccessUnits(nals: Buffer[]): Buffer[][] {
  const frames: Buffer[][] = [];
  let current: Buffer[] = [];
  let hasVcl = false;
  for (const nal of nals) {
    const type = h265Type(nal);
    const vcl = type < 32;
    const startsNew = vcl
      ? hasVcl && ((nal[2] ?? 0) & 0x80) !== 0
      : hasVcl && ((type >= 32 && type <= 35) || type === 39);
    if (startsNew) {
      frames.push(current);
      current = [];
      hasVcl = false;
    }
    current.push(nal);
    if (vcl) hasVcl = true;
  }
  if (current.length > 0 && hasVcl) frames.push(current);
  return frames;
}

export function parseH265Clip(data: Buffer, fps: number): H264Clip & { vps: Buffer } {
  const nals = splitAnnexB(data);
  const find = (type: number) => nals.find((nal) => h265Type(nal) === type);
  const [vps, sps, pps] = [find(32), find(33), find(34)];
  if (!vps || !sps || !pps) throw new Error('H.265 clip has no VPS/SPS/PPS');
  const frames = groupH265AccessUnits(nals).map((frame) => frame.filter((nal) => h265Type(nal) !== 35));
  const first = frames[0]?.find((nal) => h265Type(nal) < 32);
  if (!first || !isH265Irap(h265Type(first))) throw new Error('H.265 clip does not start with a keyframe');
  return { codec: 'H265', frames, fps, vps, sps, pps, profileLevelId: '' };
}

function encode(out: string): Promise<void> {
  const args = ['-nostdin', '-v', 'error', '-y', '-f', 'lavfi'];
  args.push('-i', `testsrc2=size=${CLIP_WIDTH}x${CLIP_HEIGHT}:rate=${CLIP_FPS}`, '-t', String(CLIP_SECONDS));
  args.push('-an', '-c:v', 'libx265', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-b:v', '600k');
  const x265 = `keyint=${CLIP_FPS}:min-keyint=${CLIP_FPS}:bframes=0:repeat-headers=1:log-level=error`;
  args.push('-x265-params', x265, '-f', 'hevc', out);
  return new Promise((resolve, reject) => {
    execFile('ffmpeg', args, { timeout: FFMPEG_TIMEOUT_MS, killSignal: 'SIGKILL' }, (error, _o, stderr) => {
      if (error)
        reject(new Error(`ffmpeg (libx265) failed: ${error.message}\n${String(stderr).slice(-2000)}`));
      else resolve();
    });
  });
}

/** The moving test picture in H.265, generated once under cacheDir. */
export async function ensureH265Clip(cacheDir: string = defaultClipCacheDir()): Promise<H264Clip> {
  await mkdir(cacheDir, { recursive: true });
  const file = join(cacheDir, `moving-${CLIP_WIDTH}x${CLIP_HEIGHT}-${CLIP_FPS}.h265`);
  try {
    return parseH265Clip(await readFile(file), CLIP_FPS);
  } catch {
    // Missing or unusable: generate it.
  }
  const partial = `${file}.${process.pid}.${Date.now().toString(36)}.partial`;
  try {
    await encode(partial);
    await rename(partial, file);
  } finally {
    await rm(partial, { force: true });
  }
  return parseH265Clip(await readFile(file), CLIP_FPS);
}
