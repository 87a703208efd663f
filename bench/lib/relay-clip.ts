import { execFile } from 'node:child_process';
import { rename, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The relay bench's camera picture: 720p, 25 fps, a keyframe every second, ~2 Mbit/s constant bitrate. */
export const CLIP = { width: 1280, height: 720, fps: 25, gop: 25, kbps: 2000, seconds: 8 };

/** Encodes the clip once (cached in the temp directory) and returns its Annex-B file. */
export async function clipFile(): Promise<string> {
  const { width, height, fps, gop, kbps, seconds } = CLIP;
  const file = join(
    tmpdir(),
    `xueliang-bench-relay-${width}x${height}-${fps}-${gop}-${kbps}k-${seconds}s.h264`,
  );
  if (
    await stat(file).then(
      () => true,
      () => false,
    )
  )
    return file;
  const partial = `${file}.${process.pid}.partial`;
  // noise keeps the encoder busy enough for the bitrate; nal-hrd=cbr pads the rest with filler, as cameras do
  const args = [
    ...['-nostdin', '-v', 'error', '-y', '-f', 'lavfi'],
    ...['-i', `testsrc2=size=${width}x${height}:rate=${fps}`, '-vf', 'noise=alls=12:allf=t'],
    ...['-t', String(seconds), '-an', '-c:v', 'libx264', '-profile:v', 'main', '-bf', '0'],
    ...['-g', String(gop), '-keyint_min', String(gop), '-sc_threshold', '0', '-b:v', `${kbps}k`],
    ...[
      '-minrate',
      `${kbps}k`,
      '-maxrate',
      `${kbps}k`,
      '-bufsize',
      `${kbps}k`,
      '-x264-params',
      'nal-hrd=cbr',
    ],
    ...['-bsf:v', 'h264_mp4toannexb', '-f', 'h264', partial],
  ];
  try {
    await new Promise<void>((resolve, reject) =>
      execFile('ffmpeg', args, { timeout: 120_000, killSignal: 'SIGKILL' }, (error, _out, stderr) =>
        error ? reject(new Error(`relay-source: ffmpeg: ${error.message} ${stderr}`)) : resolve(),
      ),
    );
    await rename(partial, file);
  } finally {
    await rm(partial, { force: true });
  }
  return file;
}
