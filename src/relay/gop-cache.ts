import type { ChunkScan } from './ts-packets.js';

/**
 * What a viewer joining mid-stream needs to start decoding at once: the latest PAT and PMT, then every packet
 * since the last keyframe. Bounded: a GOP larger than `maxBytes` is dropped (joiners then wait for the next
 * keyframe) rather than kept. Holds views of the chunks it was given, never copies them. Pure.
 */
export class GopCache {
  private pat: Buffer | null = null;
  private pmt: Buffer | null = null;
  private gop: Buffer[] = [];
  private gopBytes = 0;
  /** A keyframe was seen and the GOP since then is complete. */
  private valid = false;

  constructor(private readonly maxBytes: number) {}

  push(chunk: Buffer, scan: ChunkScan): void {
    if (scan.pat) this.pat = scan.pat;
    if (scan.pmt) this.pmt = scan.pmt;
    const last = scan.keyframes[scan.keyframes.length - 1];
    if (last !== undefined) {
      this.gop = [chunk.subarray(last)];
      this.gopBytes = chunk.length - last;
      this.valid = true;
    } else if (this.valid) {
      this.gop.push(chunk);
      this.gopBytes += chunk.length;
    }
    if (this.gopBytes > this.maxBytes) this.dropGop();
  }

  /** PAT, PMT and the GOP so far, in order; null when a viewer could not start from the cache. */
  start(): Buffer[] | null {
    if (!this.valid || !this.pat || !this.pmt) return null;
    return [this.pat, this.pmt, ...this.gop];
  }

  /** PAT and PMT, for a viewer resuming at a keyframe of the live stream; null until both were seen. */
  tables(): [Buffer, Buffer] | null {
    return this.pat && this.pmt ? [this.pat, this.pmt] : null;
  }

  get bytes(): number {
    return this.gopBytes;
  }

  /** Forgets everything: a new upstream has tables and continuity counters of its own. */
  clear(): void {
    this.pat = null;
    this.pmt = null;
    this.dropGop();
  }

  private dropGop(): void {
    this.gop = [];
    this.gopBytes = 0;
    this.valid = false;
  }
}
