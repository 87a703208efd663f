import type { Socket } from 'node:net';
import { type ClipKind, clipKindFor, type RtspCameraView, type RtspFaults } from './fault-view.js';
import type { H264Clip } from './h264-clip.js';
import { h265Type, isH265Irap } from './h265-clip.js';
import { packetizeFrame, RTP_CLOCK_RATE, type RtpStreamState } from './rtp-h264.js';
import { packetizeH265Frame } from './rtp-h265.js';

/**
 * Paces every playing stream of a light server from one shared timer: each tick sends the frames that
 * are due (wall-clock based, so timer jitter does not drift the frame rate), and applies the camera's
 * current faults — offline closes, streamEnd ends after ~2 s, streamStall sends nothing, black / frozen /
 * noise switch the clip at its first (IDR) frame.
 */

const TICK_MS = 10;
/** Frames to catch up at most per tick; a longer lag is skipped, not burst. */
const MAX_CATCH_UP = 3;
/** A client that lets more than this pile up unsent loses frames (until the next IDR) instead. */
const MAX_QUEUED_BYTES = 1 << 20;
const STREAM_END_SECONDS = 2;

export type ClipSet = Readonly<Record<ClipKind, H264Clip>>;

export interface PlayingStream {
  readonly socket: Socket;
  readonly camera: RtspCameraView;
  readonly rtp: RtpStreamState;
  readonly tsBase: number;
  clip: H264Clip;
  index: number;
  /** Frame slots elapsed since PLAY (sent or not): drives the RTP clock and streamEnd. */
  slots: number;
  nextDue: number;
  /** Set after frames were withheld; cleared by the next IDR frame, so decoders never see a broken GOP. */
  needIdr: boolean;
}

const idrFlags = new WeakMap<H264Clip, boolean[]>();

function isIdrFrame(clip: H264Clip, index: number): boolean {
  let flags = idrFlags.get(clip);
  if (!flags) {
    const key =
      clip.codec === 'H265'
        ? (nal: Buffer) => isH265Irap(h265Type(nal))
        : (nal: Buffer) => ((nal[0] ?? 0) & 0x1f) === 5;
    flags = clip.frames.map((frame) => frame.some(key));
    idrFlags.set(clip, flags);
  }
  return flags[index] ?? false;
}

/** Ends the connection; one whose peer does not read its last bytes is dropped after 2 s. */
export function endSoon(socket: Socket): void {
  socket.end();
  setTimeout(() => socket.destroy(), 2000).unref();
}

export class Streamer {
  private readonly streams = new Set<PlayingStream>();
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly clips: ClipSet) {}

  /** The clip a camera with these faults shows. */
  clipFor(faults: RtspFaults): H264Clip {
    return this.clips[clipKindFor(faults)];
  }

  get size(): number {
    return this.streams.size;
  }

  start(socket: Socket, camera: RtspCameraView, rtp: RtpStreamState, tsBase: number): PlayingStream {
    const stream: PlayingStream = {
      socket,
      camera,
      rtp,
      tsBase,
      clip: this.clips[clipKindFor(camera.faults())],
      index: 0,
      slots: 0,
      nextDue: Date.now(),
      needIdr: false,
    };
    this.streams.add(stream);
    if (!this.timer) {
      this.timer = setInterval(() => this.tick(), TICK_MS);
      this.timer.unref();
    }
    return stream;
  }

  stop(stream: PlayingStream | null | undefined): void {
    if (!stream) return;
    this.streams.delete(stream);
    if (this.streams.size === 0 && this.timer) {
      clearInterval(this.timer);
      this.timer = null;
    }
  }

  stopAll(): void {
    for (const stream of [...this.streams]) this.stop(stream);
  }

  private tick(): void {
    const now = Date.now();
    for (const stream of this.streams) {
      if (stream.nextDue > now) continue;
      try {
        this.advance(stream, now);
      } catch {
        this.stop(stream);
        stream.socket.destroy();
      }
    }
  }

  private advance(stream: PlayingStream, now: number): void {
    const { socket, camera } = stream;
    if (socket.destroyed || !socket.writable) {
      this.stop(stream);
      return;
    }
    const faults = camera.faults();
    if (faults.offline) {
      this.stop(stream);
      socket.destroy();
      return;
    }
    const fps = stream.clip.fps;
    if (faults.streamEnd && stream.slots >= STREAM_END_SECONDS * fps) {
      this.stop(stream);
      endSoon(socket);
      return;
    }
    const clip = this.clips[clipKindFor(faults)];
    if (clip !== stream.clip) {
      stream.clip = clip;
      stream.index = 0; // every clip starts with an IDR frame carrying its SPS/PPS
    }
    const frameMs = 1000 / clip.fps;
    const tsPerFrame = RTP_CLOCK_RATE / clip.fps;
    for (let n = 0; n < MAX_CATCH_UP && stream.nextDue <= now; n++) {
      const frame = clip.frames[stream.index];
      const withhold = faults.streamStall || socket.writableLength > MAX_QUEUED_BYTES;
      if (withhold) stream.needIdr = true;
      else if (frame && (!stream.needIdr || isIdrFrame(clip, stream.index))) {
        stream.needIdr = false;
        const timestamp = stream.tsBase + Math.round(stream.slots * tsPerFrame);
        socket.cork();
        const packetize = clip.codec === 'H265' ? packetizeH265Frame : packetizeFrame;
        for (const chunk of packetize(frame, stream.rtp, timestamp)) socket.write(chunk);
        socket.uncork();
      }
      stream.index = (stream.index + 1) % clip.frames.length;
      stream.slots++;
      stream.nextDue += frameMs;
    }
    if (now - stream.nextDue > 500) stream.nextDue = now + frameMs;
  }
}
