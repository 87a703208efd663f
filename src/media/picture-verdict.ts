/**
 * Picture diagnosis from per-frame statistics (pure). The statistics are ffmpeg's signalstats (luma and
 * chroma averages, the 10th/90th luma percentiles, YDIF = mean absolute luma change from the previous
 * frame) and blurdetect, measured at an analysis width of at most 640 pixels (picture-stats.ts).
 *
 * The thresholds were calibrated on H.264 clips encoded like the simulator's (640x360, 25 fps, x264
 * baseline, 1500 kbit/s cap); the measured medians are quoted next to each. "spread" is YHIGH − YLOW, the
 * luma range of the middle 80% of pixels: how much the picture varies spatially, unmoved by a small OSD.
 */

export interface FrameStats {
  /** Luma average, 0–255 (limited-range black is 16). */
  yavg: number;
  /** 10th and 90th luma percentiles. */
  ylow: number;
  yhigh: number;
  /** Chroma averages; 128 is neutral. */
  uavg: number;
  vavg: number;
  /** Average saturation (chroma distance from neutral). */
  satavg: number;
  /** Mean absolute luma difference from the previous frame (0 on the first frame). */
  ydif: number;
  /** blurdetect's estimate (edge width; higher is blurrier); null when the frame had no edges. */
  blur: number | null;
}

export interface PictureContext {
  /** Outside the county's daylight window (the caller decides; dark pictures are expected then). */
  isNight: boolean;
  /** The camera's usual picture, when known. */
  baseline?: { yavg: number };
}

export type PictureFault = 'black' | 'frozen' | 'blur' | 'brightness' | 'colour_cast' | 'noise';

export interface PictureDetail {
  frames: number;
  /** Medians over the frames. */
  yavg: number;
  ylow: number;
  spread: number;
  uavg: number;
  vavg: number;
  satavg: number;
  blur: number | null;
  /** Over the frames after the first. */
  ydifMean: number;
  ydifMedian: number;
  /** Median of YDIF / spread: about 0.5 for random noise, a few hundredths for real scenes. */
  noiseRatio: number;
  /** Distance of the average chroma from neutral: √((U−128)² + (V−128)²). */
  chromaOffset: number;
}

export interface PictureVerdict {
  fault: PictureFault | null;
  /** The picture is dark (a fault by day only, and only when far below the baseline if one is known). */
  dark: boolean;
  /** Greyscale (no chroma at all): a camera in infrared night mode. */
  infrared: boolean;
  detail: PictureDetail;
}

/** A verdict needs a temporal measure, so at least two frames. */
export const MIN_VERDICT_FRAMES = 2;

// Black: a real no-signal frame is dark AND flat AND still; a live dark scene fails at least one.
/** Limited-range black is 16 (full range is converted to it); margin for encoder lift. Black clip: 16.0;
 * the dark-live test scenes (26.4) sit inside it on purpose: luma alone never decides. */
export const BLACK_YAVG_MAX = 32;
/** Black clip: 0; dark-live test scenes: 17. An OSD covers under 10% of the frame and leaves it 0. */
export const BLACK_SPREAD_MAX = 4;
/** Mean YDIF. Black clip: 0; black with live sensor noise: 0.26; dark-live scenes: 0.35 (colour) and 1.26
 * (IR). An OSD clock ticking on a black frame adds about 0.005. */
export const BLACK_YDIF_MAX = 0.1;

/** Frozen clip: 0.002 (x264 refines at each IDR); a still scene with sensor noise: 0.21; moving: 2.7. */
export const FROZEN_YDIF_MAX = 0.05;

// Noise: very high temporal AND spatial variation, with frames as different from each other as pixels are
// from each other (random), which no real scene does.
/** Median YDIF. Noise clip: 28.7; moving: 2.7; a fast pan stays well under. */
export const NOISE_YDIF_MIN = 12;
/** Median spread. Noise clip: 54 (x264 flattens it); a whole-frame flicker has none. */
export const NOISE_SPREAD_MIN = 20;
/** Median YDIF/spread. Noise clip: 0.50 (GStreamer snow: 0.36); moving: 0.016; noisy dark IR scene: 0.07. */
export const NOISE_RATIO_MIN = 0.25;

/** Median blurdetect. Moving: 4.6; a soft natural scene: ~7; Gaussian σ=2: 9.2, σ=3: 11.5, σ=4: 13.4. */
export const BLUR_MIN = 10;
/** Blur is judged only with enough contrast for edges to measure (a dim daytime picture: 51). */
export const BLUR_SPREAD_MIN = 40;

/** Below this median luma the picture is dark. A dimmed day scene (×0.3): 37; the dark-live scenes: 26. */
export const DARK_YAVG_MAX = 40;
/** By day without a baseline: darker than this is a brightness fault (well under any lit scene). */
export const DAY_DARK_YAVG_MAX = 30;
/** With a baseline: a brightness fault only under half of it and at least 25 below it. */
export const BASELINE_DARK_RATIO = 0.5;
export const BASELINE_MIN_DROP = 25;
/** Washed out, day or night (IR bouncing off a near wall too): bright on average and even in its darkest
 * tenth. Overexposed clip: YAVG 241, YLOW 193; moving: 125 / 41. */
export const OVEREXPOSED_YAVG_MIN = 215;
export const OVEREXPOSED_YLOW_MIN = 160;

/** Greyscale: both chroma averages within this of 128 and almost no saturation (IR clip: 0 / 0). */
export const GREY_CHROMA_MAX = 3;
export const GREY_SAT_MAX = 3;

/** Colour cast, by day only (sodium street lights are orange at night). Cast clip (U+40, V−10): 37.8;
 * moving: 3.6; a warm natural scene: 16.7. */
export const CAST_OFFSET_MIN = 28;
/** …and only with colour present: a greyscale picture has no cast. */
export const CAST_SAT_MIN = 10;

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const n = sorted.length;
  if (n === 0) return Number.NaN;
  const mid = Math.floor(n / 2);
  return n % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

const mean = (values: readonly number[]) => values.reduce((a, b) => a + b, 0) / values.length;

export function summarize(stats: readonly FrameStats[]): PictureDetail {
  if (stats.length < MIN_VERDICT_FRAMES) {
    throw new RangeError(`picture verdict needs at least ${MIN_VERDICT_FRAMES} frames`);
  }
  const later = stats.slice(1);
  const blurs = stats.map((s) => s.blur).filter((b): b is number => b !== null && Number.isFinite(b));
  const uavg = median(stats.map((s) => s.uavg));
  const vavg = median(stats.map((s) => s.vavg));
  return {
    frames: stats.length,
    yavg: median(stats.map((s) => s.yavg)),
    ylow: median(stats.map((s) => s.ylow)),
    spread: median(stats.map((s) => s.yhigh - s.ylow)),
    uavg,
    vavg,
    satavg: median(stats.map((s) => s.satavg)),
    blur: blurs.length > 0 ? median(blurs) : null,
    ydifMean: mean(later.map((s) => s.ydif)),
    ydifMedian: median(later.map((s) => s.ydif)),
    noiseRatio: median(later.map((s) => s.ydif / Math.max(1, s.yhigh - s.ylow))),
    chromaOffset: Math.hypot(uavg - 128, vavg - 128),
  };
}

function tooDarkByDay(d: PictureDetail, context: PictureContext): boolean {
  if (context.isNight) return false;
  const baseline = context.baseline?.yavg;
  if (baseline === undefined || !Number.isFinite(baseline)) return d.yavg < DAY_DARK_YAVG_MAX;
  return d.yavg < baseline * BASELINE_DARK_RATIO && baseline - d.yavg >= BASELINE_MIN_DROP;
}

/** The first fault found, in order of what it hides: no signal, garbage, no motion, then quality. */
function findFault(d: PictureDetail, context: PictureContext, dark: boolean): PictureFault | null {
  if (d.yavg <= BLACK_YAVG_MAX && d.spread <= BLACK_SPREAD_MAX && d.ydifMean <= BLACK_YDIF_MAX) {
    return 'black';
  }
  if (d.ydifMedian >= NOISE_YDIF_MIN && d.spread >= NOISE_SPREAD_MIN && d.noiseRatio >= NOISE_RATIO_MIN) {
    return 'noise';
  }
  if (d.ydifMean <= FROZEN_YDIF_MAX) return 'frozen';
  if (!dark && d.spread >= BLUR_SPREAD_MIN && d.blur !== null && d.blur >= BLUR_MIN) return 'blur';
  const overexposed = d.yavg >= OVEREXPOSED_YAVG_MIN && d.ylow >= OVEREXPOSED_YLOW_MIN;
  if (overexposed || tooDarkByDay(d, context)) return 'brightness';
  if (!context.isNight && d.satavg >= CAST_SAT_MIN && d.chromaOffset >= CAST_OFFSET_MIN) return 'colour_cast';
  return null;
}

export function pictureVerdict(stats: readonly FrameStats[], context: PictureContext): PictureVerdict {
  const detail = summarize(stats);
  const dark = detail.yavg < DARK_YAVG_MAX;
  const fault = findFault(detail, context, dark);
  const grey =
    detail.satavg <= GREY_SAT_MAX &&
    Math.abs(detail.uavg - 128) <= GREY_CHROMA_MAX &&
    Math.abs(detail.vavg - 128) <= GREY_CHROMA_MAX;
  return { fault, dark, infrared: grey && fault !== 'black' && fault !== 'noise', detail };
}
