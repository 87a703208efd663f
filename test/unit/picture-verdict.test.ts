import { describe, expect, it } from 'vitest';
import { parseStatsOutput } from '../../src/media/picture-stats.js';
import {
  BLUR_MIN,
  CAST_OFFSET_MIN,
  DAY_DARK_YAVG_MAX,
  FROZEN_YDIF_MAX,
  type FrameStats,
  type PictureContext,
  pictureVerdict,
} from '../../src/media/picture-verdict.js';

/** Measured medians of the simulator's 'moving' clip. */
const MOVING: FrameStats = {
  yavg: 125.3,
  ylow: 41,
  yhigh: 210,
  uavg: 127.7,
  vavg: 125.5,
  satavg: 111.9,
  ydif: 2.7,
  blur: 4.6,
};
const BLACK: FrameStats = {
  yavg: 16,
  ylow: 16,
  yhigh: 16,
  uavg: 128,
  vavg: 128,
  satavg: 0,
  ydif: 0,
  blur: null,
};
/** A night scene under IR: dark, greyscale, with sensor noise. */
const DARK_IR: FrameStats = {
  yavg: 26.4,
  ylow: 18,
  yhigh: 35,
  uavg: 128,
  vavg: 128,
  satavg: 0,
  ydif: 1.26,
  blur: 4.7,
};
const NOISE: FrameStats = {
  yavg: 127,
  ylow: 100,
  yhigh: 154,
  uavg: 128,
  vavg: 128,
  satavg: 0,
  ydif: 28.7,
  blur: 3.4,
};

const DAY: PictureContext = { isNight: false };
const NIGHT: PictureContext = { isNight: true };

/** `n` frames of `base`; `each(i)` overrides per frame. The first frame's YDIF is 0, as ffmpeg reports. */
function clip(
  base: FrameStats,
  overrides: Partial<FrameStats> = {},
  n = 25,
  each?: (i: number) => Partial<FrameStats>,
) {
  return Array.from({ length: n }, (_, i) => ({
    ...base,
    ...overrides,
    ...(each?.(i) ?? {}),
    ...(i === 0 ? { ydif: 0 } : {}),
  }));
}

const faultOf = (stats: FrameStats[], context: PictureContext = DAY) => pictureVerdict(stats, context).fault;

describe('pictureVerdict', () => {
  it('a normal moving picture has no fault, day or night', () => {
    for (const context of [DAY, NIGHT]) {
      expect(pictureVerdict(clip(MOVING), context)).toMatchObject({
        fault: null,
        dark: false,
        infrared: false,
      });
    }
  });

  it('black: dark, flat and still — day and night, an OSD clock does not hide it', () => {
    expect(pictureVerdict(clip(BLACK), DAY)).toMatchObject({ fault: 'black', dark: true, infrared: false });
    expect(faultOf(clip(BLACK), NIGHT)).toBe('black');
    // A clock digit changes once a second on a few hundred pixels.
    expect(faultOf(clip(BLACK, {}, 100, (i) => ({ ydif: i % 25 === 0 ? 0.13 : 0 })))).toBe('black');
    // Full-range black converted to limited range, with encoder lift.
    expect(faultOf(clip(BLACK, { yavg: 30, ylow: 29, yhigh: 32 }))).toBe('black');
  });

  it('a dark live scene at night is neither black nor a brightness fault', () => {
    const ir = pictureVerdict(clip(DARK_IR), NIGHT);
    expect(ir).toMatchObject({ fault: null, dark: true, infrared: true });
    const colour = pictureVerdict(
      clip(DARK_IR, { uavg: 127.7, vavg: 125.5, satavg: 111.9, ydif: 0.35 }),
      NIGHT,
    );
    expect(colour).toMatchObject({ fault: null, dark: true, infrared: false });
    // Flat black but with live sensor noise (a covered or unlit scene): dark, not black.
    expect(pictureVerdict(clip(BLACK, { ydif: 0.26 }), NIGHT)).toMatchObject({ fault: null, dark: true });
    // Black luma with detail but no temporal change: a still dark scene, not a no-signal frame.
    expect(faultOf(clip(BLACK, { ylow: 16, yhigh: 24 }), NIGHT)).toBe('frozen');
  });

  it('the same dark scene by day is a brightness fault without a baseline', () => {
    expect(pictureVerdict(clip(DARK_IR), DAY)).toMatchObject({
      fault: 'brightness',
      dark: true,
      infrared: true,
    });
    expect(faultOf(clip(MOVING, { yavg: DAY_DARK_YAVG_MAX - 0.5 }))).toBe('brightness');
    expect(faultOf(clip(MOVING, { yavg: DAY_DARK_YAVG_MAX }))).toBeNull();
  });

  it('with a baseline, low brightness by day counts only far below it', () => {
    const at = (yavg: number, baseline: number) =>
      faultOf(clip(MOVING, { yavg }), { isNight: false, baseline: { yavg: baseline } });
    expect(at(55, 120)).toBe('brightness'); // under half and 65 below
    expect(at(65, 120)).toBeNull(); // more than half
    expect(at(19, 40)).toBeNull(); // under half, but only 21 below: a dim camera's normal wobble
    expect(at(25, 35)).toBeNull(); // darker than the no-baseline limit, but normal for this camera
    expect(at(10, 60)).toBe('brightness');
    // At night the baseline (a daytime picture) is not held against it.
    expect(faultOf(clip(MOVING, { yavg: 20 }), { isNight: true, baseline: { yavg: 120 } })).toBeNull();
  });

  it('a washed-out picture is a brightness fault day and night', () => {
    const washed = clip(MOVING, { yavg: 240.7, ylow: 193, yhigh: 255, ydif: 0.8 });
    expect(faultOf(washed, DAY)).toBe('brightness');
    expect(faultOf(washed, NIGHT)).toBe('brightness');
    // Bright on average but with real shadows: a snowy scene, not overexposure.
    expect(faultOf(clip(MOVING, { yavg: 220, ylow: 90, yhigh: 250 }))).toBeNull();
  });

  it('frozen: no temporal change over the window, while not black', () => {
    expect(faultOf(clip(MOVING, { ydif: 0 }))).toBe('frozen');
    expect(faultOf(clip(MOVING, { ydif: 0 }), NIGHT)).toBe('frozen');
    expect(faultOf(clip(MOVING, { ydif: FROZEN_YDIF_MAX * 0.9 }))).toBe('frozen');
    expect(faultOf(clip(MOVING, { ydif: FROZEN_YDIF_MAX * 1.1 }))).toBeNull();
    expect(faultOf(clip(MOVING, { ydif: 0.2 }))).toBeNull(); // a still scene with sensor noise
    // An IDR refresh now and then does not make it live.
    expect(faultOf(clip(MOVING, { ydif: 0 }, 100, (i) => ({ ydif: i % 25 === 0 ? 0.17 : 0 })))).toBe(
      'frozen',
    );
  });

  it('noise: very high temporal and spatial variation that looks random', () => {
    expect(pictureVerdict(clip(NOISE), DAY)).toMatchObject({ fault: 'noise', infrared: false });
    expect(faultOf(clip(NOISE), NIGHT)).toBe('noise');
    // A fast pan over a detailed scene: big changes, but far smaller than the picture's own contrast.
    expect(faultOf(clip(MOVING, { ydif: 20 }))).toBeNull();
    // A whole-frame flicker: big changes without spatial variation.
    expect(faultOf(clip(MOVING, { ydif: 20, ylow: 120, yhigh: 125 }))).toBeNull();
    // Mild sensor noise on a dark IR picture.
    expect(faultOf(clip(DARK_IR, { ydif: 5 }), NIGHT)).toBeNull();
  });

  it('blur: judged by day and night, but only on pictures with contrast to measure', () => {
    expect(faultOf(clip(MOVING, { blur: 13.4 }))).toBe('blur');
    expect(faultOf(clip(MOVING, { blur: 13.4 }), NIGHT)).toBe('blur');
    expect(faultOf(clip(MOVING, { blur: BLUR_MIN }))).toBe('blur');
    expect(faultOf(clip(MOVING, { blur: BLUR_MIN - 0.1 }))).toBeNull();
    expect(faultOf(clip(DARK_IR, { blur: 15 }), NIGHT)).toBeNull(); // dark: not judged
    expect(faultOf(clip(MOVING, { ylow: 100, yhigh: 130, blur: 15 }))).toBeNull(); // too little contrast
    expect(faultOf(clip(MOVING, { blur: null }))).toBeNull();
  });

  it('colour cast: chroma far from neutral with colour present, by day only', () => {
    const cast = clip(MOVING, { uavg: 163.7, vavg: 115.5 });
    expect(faultOf(cast, DAY)).toBe('colour_cast');
    expect(faultOf(cast, NIGHT)).toBeNull(); // sodium lights
    expect(faultOf(clip(MOVING, { uavg: 128 + CAST_OFFSET_MIN, vavg: 128 }))).toBe('colour_cast');
    expect(faultOf(clip(MOVING, { uavg: 128 + CAST_OFFSET_MIN - 0.5, vavg: 128 }))).toBeNull();
    expect(faultOf(clip(MOVING, { uavg: 135.7, vavg: 142.8 }))).toBeNull(); // a warm scene
    expect(faultOf(clip(MOVING, { uavg: 170, vavg: 128, satavg: 5 }))).toBeNull(); // no colour to cast
  });

  it('a greyscale picture is flagged infrared, not faulted', () => {
    const grey = pictureVerdict(clip(MOVING, { uavg: 128, vavg: 128, satavg: 0 }), DAY);
    expect(grey).toMatchObject({ fault: null, infrared: true, dark: false });
    expect(pictureVerdict(clip(MOVING, { uavg: 128, vavg: 128, satavg: 2 }), NIGHT).infrared).toBe(true);
    expect(pictureVerdict(clip(MOVING, { uavg: 132, vavg: 128, satavg: 2 }), NIGHT).infrared).toBe(false);
  });

  it('reports its measures, ignoring the first frame for temporal ones', () => {
    const { detail } = pictureVerdict(clip(MOVING, {}, 5), DAY);
    expect(detail).toMatchObject({ frames: 5, yavg: 125.3, spread: 169, ydifMedian: 2.7 });
    expect(detail.ydifMean).toBeCloseTo(2.7, 9); // frame 0's YDIF (0) is not averaged in
    expect(detail.noiseRatio).toBeCloseTo(2.7 / 169, 5);
    expect(detail.chromaOffset).toBeCloseTo(Math.hypot(-0.3, -2.5), 5);
  });

  it('needs at least two frames', () => {
    expect(() => pictureVerdict([MOVING], DAY)).toThrow(RangeError);
    expect(() => pictureVerdict([], DAY)).toThrow(RangeError);
  });
});

describe('parseStatsOutput', () => {
  it('reads the metadata filter output, frames without signalstats skipped, nan blur as null', () => {
    const keys = (yavg: number, blur: string) =>
      [
        `lavfi.signalstats.YAVG=${yavg}`,
        'lavfi.signalstats.YLOW=16',
        'lavfi.signalstats.YHIGH=20',
        'lavfi.signalstats.UAVG=128',
        'lavfi.signalstats.VAVG=128',
        'lavfi.signalstats.SATAVG=0',
        'lavfi.signalstats.YDIF=0.5',
        `lavfi.blur=${blur}`,
      ].join('\n');
    const text = [
      'frame:0    pts:0       pts_time:1.5',
      keys(16, 'nan'),
      'frame:1    pts:3600    pts_time:1.54',
      'lavfi.blur=3',
      'frame:2    pts:7200    pts_time:2.5',
      keys(17.5, '4.25'),
      '',
    ].join('\n');
    const parsed = parseStatsOutput(text);
    expect(parsed.frames).toHaveLength(2);
    expect(parsed.frames[0]).toMatchObject({ yavg: 16, ylow: 16, yhigh: 20, ydif: 0.5, blur: null });
    expect(parsed.frames[1]).toMatchObject({ yavg: 17.5, blur: 4.25 });
    expect(parsed.seconds).toBeCloseTo(1, 5);
    expect(parseStatsOutput('')).toEqual({ frames: [], seconds: 0 });
  });
});
