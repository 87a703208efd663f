/**
 * Frames, keyframes and bytes of an upstream over the last few seconds, in one-second buckets (what the
 * probe worker reads instead of opening a session of its own while a relay is live). Pure.
 */

export interface WindowFigures {
  /** The span the figures cover (shorter while the upstream is younger than the window). */
  windowMs: number;
  frames: number;
  keyframes: number;
  bytes: number;
  fps: number;
  bitrateKbps: number;
}

interface Bucket {
  second: number;
  frames: number;
  keyframes: number;
  bytes: number;
}

export class StatsWindow {
  private readonly buckets: Bucket[];
  private startedAt: number;

  constructor(
    private readonly seconds: number,
    now: number,
  ) {
    this.buckets = Array.from({ length: seconds }, () => ({ second: -1, frames: 0, keyframes: 0, bytes: 0 }));
    this.startedAt = now;
  }

  /** Starts counting afresh (a new upstream). */
  reset(now: number): void {
    this.startedAt = now;
    for (const b of this.buckets) b.second = -1;
  }

  add(now: number, frames: number, keyframes: number, bytes: number): void {
    const second = Math.floor(now / 1000);
    const bucket = this.buckets[second % this.seconds] as Bucket;
    if (bucket.second !== second) Object.assign(bucket, { second, frames: 0, keyframes: 0, bytes: 0 });
    bucket.frames += frames;
    bucket.keyframes += keyframes;
    bucket.bytes += bytes;
  }

  figures(now: number): WindowFigures {
    const oldest = Math.floor(now / 1000) - this.seconds + 1;
    const out = { frames: 0, keyframes: 0, bytes: 0 };
    for (const b of this.buckets) {
      if (b.second < oldest) continue;
      out.frames += b.frames;
      out.keyframes += b.keyframes;
      out.bytes += b.bytes;
    }
    // The current second is only partly over: the span ends now.
    const windowMs = Math.max(1, Math.min(now - this.startedAt, now - oldest * 1000));
    return {
      windowMs,
      ...out,
      fps: Math.round((out.frames * 10_000) / windowMs) / 10,
      bitrateKbps: Math.round((out.bytes * 8) / windowMs),
    };
  }
}
