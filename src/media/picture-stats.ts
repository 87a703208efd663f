import type { FrameStats } from './picture-verdict.js';

/**
 * The ffmpeg side of the picture check: the filter graph that measures every frame, and the parser of
 * what it prints. Frames are scaled down to at most ANALYSIS_WIDTH (so cost and blur measures do not
 * depend on the camera's resolution; smaller pictures are never scaled up) and converted to 8-bit
 * limited-range 4:2:0 (so thresholds hold for full-range and 10-bit cameras too), then measured by
 * signalstats and blurdetect; the metadata filter prints the measures to stdout.
 */

export const ANALYSIS_WIDTH = 640;

/** The -filter_complex graph. With a snapshot, the untouched picture also goes to the [snap] output. */
export function statsFilterGraph(withSnapshot: boolean): string {
  const measure =
    `scale=w='min(${ANALYSIS_WIDTH},iw)':h=-2:flags=area,format=yuv420p,` +
    'signalstats,blurdetect,metadata=mode=print:file=-';
  return withSnapshot ? `[0:v:0]split=2[m][snap];[m]${measure}[stats]` : `[0:v:0]${measure}[stats]`;
}

export interface ParsedStats {
  frames: FrameStats[];
  /** Seconds between the first and last measured frame's timestamps. */
  seconds: number;
}

const REQUIRED = ['YAVG', 'YLOW', 'YHIGH', 'UAVG', 'VAVG', 'SATAVG', 'YDIF'] as const;

function toFrame(values: Map<string, string>): FrameStats | null {
  const numbers: Partial<Record<(typeof REQUIRED)[number], number>> = {};
  for (const key of REQUIRED) {
    const value = Number(values.get(`lavfi.signalstats.${key}`));
    if (!Number.isFinite(value)) return null;
    numbers[key] = value;
  }
  const blur = Number(values.get('lavfi.blur')); // 'nan' (no edges at all) or missing → null
  return {
    yavg: numbers.YAVG as number,
    ylow: numbers.YLOW as number,
    yhigh: numbers.YHIGH as number,
    uavg: numbers.UAVG as number,
    vavg: numbers.VAVG as number,
    satavg: numbers.SATAVG as number,
    ydif: numbers.YDIF as number,
    blur: Number.isFinite(blur) ? blur : null,
  };
}

/**
 * Parses the metadata filter's print output:
 *   frame:12   pts:552960  pts_time:6.144
 *   lavfi.signalstats.YAVG=125.08
 *   …
 * Frames missing a signalstats measure are skipped.
 */
export function parseStatsOutput(text: string): ParsedStats {
  const frames: FrameStats[] = [];
  let first: number | null = null;
  let last: number | null = null;
  let current: Map<string, string> | null = null;
  let currentTime: number | null = null;
  const flush = () => {
    const frame = current ? toFrame(current) : null;
    if (frame) {
      frames.push(frame);
      if (currentTime !== null) {
        first ??= currentTime;
        last = currentTime;
      }
    }
  };
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line.startsWith('frame:')) {
      flush();
      current = new Map();
      const time = Number(/pts_time:(\S+)/.exec(line)?.[1]);
      currentTime = Number.isFinite(time) ? time : null;
      continue;
    }
    const eq = line.indexOf('=');
    if (current && eq > 0) current.set(line.slice(0, eq), line.slice(eq + 1));
  }
  flush();
  const seconds = first !== null && last !== null ? Math.max(0, last - first) : 0;
  return { frames, seconds };
}
