import { describe, expect, it } from 'vitest';
import { nextAttempt, restartDelay } from '../../src/relay/backoff.js';
import { type FlowInput, type FlowState, nextFlow, waitingFlow } from '../../src/relay/backpressure.js';
import { ffmpegArgs } from '../../src/relay/ffmpeg-upstream.js';
import { StatsWindow } from '../../src/relay/stats-window.js';

const MAX = 1000;
const input = (over: Partial<FlowInput> = {}): FlowInput => ({
  buffered: 0,
  maxBuffered: MAX,
  keyframeAt: -1,
  now: 0,
  giveUpMs: 5000,
  ...over,
});

describe('viewer flow (backpressure)', () => {
  it('a new viewer waits for a keyframe, then starts there and gets every chunk', () => {
    const s = waitingFlow();
    expect(nextFlow(s, input())).toEqual({ kind: 'drop' });
    expect(nextFlow(s, input({ keyframeAt: 376 }))).toEqual({ kind: 'start', offset: 376 });
    expect(s.mode).toBe('live');
    expect(nextFlow(s, input({ buffered: MAX }))).toEqual({ kind: 'send' });
  });

  it('a viewer over its limit is dropped until it drained to half and a keyframe comes', () => {
    const s: FlowState = { mode: 'live', behindSince: 0 };
    expect(nextFlow(s, input({ buffered: MAX + 1, now: 100 }))).toEqual({ kind: 'drop' });
    expect(s).toEqual({ mode: 'behind', behindSince: 100 });
    expect(nextFlow(s, input({ buffered: MAX, keyframeAt: 0, now: 200 }))).toEqual({ kind: 'drop' });
    expect(nextFlow(s, input({ buffered: MAX / 2, now: 300 }))).toEqual({ kind: 'drop' });
    expect(nextFlow(s, input({ buffered: MAX / 2, keyframeAt: 188, now: 400 }))).toEqual({
      kind: 'start',
      offset: 188,
    });
    expect(s.mode).toBe('live');
  });

  it('a viewer still behind after the give-up time is closed, keyframe or not', () => {
    const s: FlowState = { mode: 'live', behindSince: 0 };
    nextFlow(s, input({ buffered: MAX * 2, now: 1000 }));
    expect(nextFlow(s, input({ buffered: MAX * 2, now: 6000 }))).toEqual({ kind: 'drop' });
    expect(nextFlow(s, input({ buffered: 0, keyframeAt: 0, now: 6001 }))).toEqual({ kind: 'close' });
  });

  it('a waiting viewer is never closed for waiting', () => {
    const s = waitingFlow();
    expect(nextFlow(s, input({ buffered: MAX * 2, now: 1e9 }))).toEqual({ kind: 'drop' });
  });
});

describe('restart backoff', () => {
  it('doubles from the base up to the max, jittered between half and all of the step', () => {
    const at = (attempt: number, r: number) => restartDelay(attempt, 100, 1000, () => r);
    expect([0, 1, 2, 3, 4, 10].map((a) => at(a, 1))).toEqual([100, 200, 400, 800, 1000, 1000]);
    expect([0, 1, 2, 3, 4, 10].map((a) => at(a, 0))).toEqual([50, 100, 200, 400, 500, 500]);
    expect(at(1e6, 0.5)).toBe(750);
  });

  it('starts over after a run that stayed live for the stable period', () => {
    expect(nextAttempt(5, 30_000, 30_000)).toBe(0);
    expect(nextAttempt(5, 29_999, 30_000)).toBe(6);
    expect(nextAttempt(0, 0, 30_000)).toBe(1);
  });
});

describe('stats window', () => {
  it('sums the last seconds only and rates over the span covered', () => {
    const w = new StatsWindow(3, 10_000);
    w.add(10_100, 25, 1, 100_000);
    w.add(11_500, 25, 1, 100_000);
    w.add(12_900, 25, 0, 100_000);
    const now = w.figures(12_950);
    expect(now).toMatchObject({ frames: 75, keyframes: 2, bytes: 300_000, windowMs: 2950 });
    expect(now.fps).toBe(25.4);
    expect(now.bitrateKbps).toBe(814);
    // a second on, the oldest bucket no longer counts
    expect(w.figures(13_000)).toMatchObject({ frames: 50, keyframes: 1, windowMs: 2000 });
    expect(w.figures(30_000)).toMatchObject({ frames: 0, bytes: 0 });
    w.reset(30_000);
    expect(w.figures(30_500)).toMatchObject({ frames: 0, windowMs: 500 });
  });
});

describe('ffmpeg arguments', () => {
  it('copies H.264 without audio; transcodes H.265 with one thread, scaled down; never a credential', () => {
    const copy = ffmpegArgs('rtsp://127.0.0.1:9/token/x', { kind: 'copy', stallMs: 2000 }).join(' ');
    expect(copy).toContain('-rtsp_transport tcp -timeout 4000000');
    expect(copy).toContain('-i rtsp://127.0.0.1:9/token/x -map 0:v:0 -c:v copy -an');
    expect(copy).toMatch(/-f mpegts$/);
    const transcode = ffmpegArgs('rtsp://h/t', { kind: 'transcode', stallMs: 2000 }).join(' ');
    expect(transcode).toContain('-c:v libx264 -preset ultrafast -tune zerolatency');
    expect(transcode).toContain("scale=-2:'min(480,ih)'");
    expect(transcode).toContain('-threads 1');
    const audio = ffmpegArgs('rtsp://h/t', { kind: 'copy', stallMs: 2000, audio: true }).join(' ');
    expect(audio).toContain('-map 0:a:0? -c:a aac');
  });
});
