import type { VideoCodec } from './sdp.js';

/**
 * RTP header fields (RFC 3550 §5.1) and H.264 / H.265 keyframe recognition (RFC 6184, RFC 7798) for one
 * packet at a time, reading bytes in place: no allocation, no copying. `data` may be just the first bytes of
 * a packet (see FrameHandler); every reader stays inside what is there.
 */

/** True when `data` is long enough and says RTP version 2. */
export function isRtp(data: Uint8Array): boolean {
  return data.length >= 12 && ((data[0] as number) & 0xc0) === 0x80;
}

/** The marker bit: for H.264 / H.265 video, the last packet of an access unit (a frame). */
export function rtpMarker(data: Uint8Array): boolean {
  return ((data[1] ?? 0) & 0x80) !== 0;
}

export function rtpPayloadType(data: Uint8Array): number {
  return (data[1] ?? 0) & 0x7f;
}

export function rtpTimestamp(data: Uint8Array): number {
  return (((data[4] ?? 0) << 24) | ((data[5] ?? 0) << 16) | ((data[6] ?? 0) << 8) | (data[7] ?? 0)) >>> 0;
}

export function rtpSequence(data: Uint8Array): number {
  return ((data[2] ?? 0) << 8) | (data[3] ?? 0);
}

/**
 * Where the payload starts (after CSRCs and any header extension), or -1 when the packet is not RTP v2 or the
 * header runs past `length` (the packet's full length, which may exceed data.length).
 */
export function rtpPayloadOffset(data: Uint8Array, length = data.length): number {
  if (!isRtp(data) || length < 12) return -1;
  const b0 = data[0] as number;
  let offset = 12 + (b0 & 0x0f) * 4;
  if ((b0 & 0x10) !== 0) {
    if (data.length < offset + 4) return -1;
    offset += 4 + (((data[offset + 2] as number) << 8) | (data[offset + 3] as number)) * 4;
  }
  return offset <= length ? offset : -1;
}

/** A parameter set or an IDR slice: what a decoder can start from. */
const isH264Key = (type: number): boolean => type === 5 || type === 7;
/** IRAP pictures: BLA_W_LP … CRA_NUT (16–21). */
const isH265Irap = (type: number): boolean => type >= 16 && type <= 21;

/**
 * True when the RTP payload in data[start, end) is, or starts, a keyframe: for H.264 an IDR slice (type 5),
 * an FU-A/FU-B whose start fragment carries type 5, or a STAP-A/STAP-B holding an IDR slice or an SPS; for
 * H.265 an IRAP picture (types 16–21), an FU starting one, or an aggregation packet holding one. Other
 * codecs: false.
 */
export function isKeyframeStart(
  codec: VideoCodec,
  data: Uint8Array,
  start: number,
  end = data.length,
): boolean {
  const stop = Math.min(end, data.length);
  if (start >= stop) return false;
  const b0 = data[start] as number;
  if (codec === 'H264') {
    const type = b0 & 0x1f;
    if (type === 5) return true;
    if (type === 28 || type === 29) {
      const fu = data[start + 1];
      return fu !== undefined && start + 1 < stop && (fu & 0x80) !== 0 && (fu & 0x1f) === 5;
    }
    if (type === 24 || type === 25)
      return aggregateHas(data, start + (type === 25 ? 3 : 1), stop, 1, h264Type);
    return false;
  }
  if (codec === 'H265') {
    const type = (b0 >> 1) & 0x3f;
    if (isH265Irap(type)) return true;
    if (type === 49) {
      const fu = data[start + 2];
      return fu !== undefined && start + 2 < stop && (fu & 0x80) !== 0 && isH265Irap(fu & 0x3f);
    }
    if (type === 48) return aggregateHas(data, start + 2, stop, 2, h265Type);
    return false;
  }
  return false;
}

function h264Type(data: Uint8Array, at: number): boolean {
  return isH264Key((data[at] as number) & 0x1f);
}

function h265Type(data: Uint8Array, at: number): boolean {
  return isH265Irap(((data[at] as number) >> 1) & 0x3f);
}

/** Walks aggregated units (16-bit size, then the NAL unit) from `at`; true when one matches. */
function aggregateHas(
  data: Uint8Array,
  at: number,
  stop: number,
  headerBytes: number,
  matches: (data: Uint8Array, at: number) => boolean,
): boolean {
  let offset = at;
  while (offset + 2 + headerBytes <= stop) {
    const size = ((data[offset] as number) << 8) | (data[offset + 1] as number);
    if (size < headerBytes) return false;
    if (matches(data, offset + 2)) return true;
    offset += 2 + size;
  }
  return false;
}

export interface StreamFigures {
  /** Complete frames (access units) seen. */
  frames: number;
  keyframes: number;
  /** RTP packets and their bytes (RTP header included) on the video channel. */
  packets: number;
  bytes: number;
  /** Frames per second over the time observed. */
  fps: number;
  bitrateKbps: number;
  /** From the PLAY response to the first complete frame. */
  firstFrameMs: number | null;
}

const round = (x: number): number => Math.round(x * 100) / 100;

/**
 * Counts RTP packets, frames and keyframes of one video stream. A frame ends at a packet with the marker
 * bit, or — for senders that omit it — when the timestamp changes after packets without one; it is a
 * keyframe when any of its packets starts one. `clock` (read once per frame) stamps the first and last.
 */
export class RtpFrameCounter {
  frames = 0;
  keyframes = 0;
  packets = 0;
  bytes = 0;
  firstFrameAt: number | null = null;
  lastFrameAt: number | null = null;
  private key = false;
  private open = false;
  private timestamp = 0;

  constructor(
    private readonly codec: VideoCodec,
    private readonly clock: () => number,
  ) {}

  /** One packet: `data` its bytes (or their first part), `length` its full length. */
  push(data: Uint8Array, length = data.length): void {
    this.packets++;
    this.bytes += length;
    const offset = rtpPayloadOffset(data, length);
    if (offset < 0) return;
    const timestamp = rtpTimestamp(data);
    if (this.open && timestamp !== this.timestamp) this.endFrame();
    this.timestamp = timestamp;
    this.open = true;
    if (!this.key && isKeyframeStart(this.codec, data, offset, length)) this.key = true;
    if (rtpMarker(data)) this.endFrame();
  }

  /** The window's figures: from `startAt` (the PLAY response) to `endAt`, clock times. */
  summary(startAt: number, endAt: number): StreamFigures {
    const ms = Math.max(1, endAt - startAt);
    const first = this.firstFrameAt;
    return {
      frames: this.frames,
      keyframes: this.keyframes,
      packets: this.packets,
      bytes: this.bytes,
      fps: round((this.frames * 1000) / ms),
      bitrateKbps: round((this.bytes * 8) / ms),
      firstFrameMs: first === null ? null : round(Math.max(0, first - startAt)),
    };
  }

  /**
   * 'ok' when at least one keyframe or two frames came and frames were still ending in the window's last
   * third; 'stalled' when they had stopped by then; 'no_frames' when (almost) none came.
   */
  verdict(startAt: number, endAt: number): { outcome: 'ok' | 'no_frames' | 'stalled'; error: string | null } {
    const quietMs = Math.round(endAt - (this.lastFrameAt ?? startAt));
    if (this.frames === 0) {
      const error = this.packets > 0 ? 'RTP packets but no complete frame' : 'no RTP data after PLAY';
      return { outcome: 'no_frames', error };
    }
    if (quietMs > (endAt - startAt) / 3)
      return { outcome: 'stalled', error: `no frames for the last ${quietMs} ms` };
    if (this.keyframes >= 1 || this.frames >= 2) return { outcome: 'ok', error: null };
    return { outcome: 'no_frames', error: 'one frame and no keyframe' };
  }

  private endFrame(): void {
    this.frames++;
    if (this.key) this.keyframes++;
    this.key = false;
    this.open = false;
    this.lastFrameAt = this.clock();
    this.firstFrameAt ??= this.lastFrameAt;
  }
}
