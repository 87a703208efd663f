/**
 * The little of MPEG-TS (ISO/IEC 13818-1) the relay needs: cutting a byte stream into 188-byte packets,
 * remembering the latest PAT and PMT, and finding where a video frame and a keyframe start. Pure.
 */

export const TS_PACKET_SIZE = 188;
const SYNC = 0x47;
const PAT_PID = 0;
const NULL_PID = 0x1fff;
/** A run of this many sync bytes 188 apart is taken as alignment after garbage. */
const SYNC_RUN = 3;

/** H.264 (0x1b) and H.265 (0x24) elementary stream types in a PMT. */
const VIDEO_STREAM_TYPES = new Set([0x1b, 0x24]);

/** Cuts arbitrary chunks into whole packets; bytes before a sync run are dropped. */
export class TsSplitter {
  private rest: Buffer | null = null;
  /** The last chunk ended on a packet boundary of a good stream: no sync run needed to go on. */
  private synced = false;
  /** Bytes dropped while looking for sync. */
  dropped = 0;

  /** The whole packets completed by `chunk` (possibly empty), as one Buffer. */
  push(chunk: Buffer): Buffer {
    let buf = this.rest ? Buffer.concat([this.rest, chunk]) : chunk;
    this.rest = null;
    const start = this.synced && buf[0] === SYNC ? 0 : findSync(buf);
    if (start < 0) {
      // Keep the tail that could still begin a sync run.
      const keep = Math.min(buf.length, TS_PACKET_SIZE * SYNC_RUN - 1);
      this.dropped += buf.length - keep;
      this.rest = Buffer.from(buf.subarray(buf.length - keep));
      return EMPTY;
    }
    this.dropped += start;
    buf = buf.subarray(start);
    let whole = buf.length - (buf.length % TS_PACKET_SIZE);
    // A packet inside the run that lost sync: everything from it on is resynchronised next time.
    this.synced = true;
    for (let at = 0; at < whole; at += TS_PACKET_SIZE) {
      if (buf[at] !== SYNC) {
        whole = at;
        this.synced = false;
        break;
      }
    }
    if (whole < buf.length) this.rest = Buffer.from(buf.subarray(whole));
    return buf.subarray(0, whole);
  }
}

const EMPTY = Buffer.alloc(0);

/** The first offset with a sync byte that is followed by more at packet distance (as far as the data goes). */
function findSync(buf: Buffer): number {
  for (let i = buf.indexOf(SYNC); i >= 0; i = buf.indexOf(SYNC, i + 1)) {
    let ok = true;
    for (let k = 1; k < SYNC_RUN; k++) {
      const at = i + k * TS_PACKET_SIZE;
      if (at >= buf.length) {
        if (k === 1 && buf.length - i < TS_PACKET_SIZE) ok = false; // not even one whole packet yet
        break;
      }
      if (buf[at] !== SYNC) {
        ok = false;
        break;
      }
    }
    if (ok) return i;
  }
  return -1;
}

export interface ChunkScan {
  /** Offsets (multiples of 188) of the packets where a keyframe starts. */
  keyframes: number[];
  /** Video frames (PES starts on the video PID) in the chunk. */
  frames: number;
  /** Copies of the latest PAT and PMT packets in the chunk, if any. */
  pat: Buffer | null;
  pmt: Buffer | null;
}

/** Follows the program tables of one stream across chunks of whole packets. */
export class TsScanner {
  private pmtPid = -1;
  private videoPid = -1;

  scan(chunk: Buffer): ChunkScan {
    const out: ChunkScan = { keyframes: [], frames: 0, pat: null, pmt: null };
    for (let at = 0; at + TS_PACKET_SIZE <= chunk.length; at += TS_PACKET_SIZE) {
      if (chunk[at] !== SYNC) continue;
      const b1 = chunk[at + 1] ?? 0;
      const pid = ((b1 & 0x1f) << 8) | (chunk[at + 2] ?? 0);
      if (pid === NULL_PID) continue;
      const unitStart = (b1 & 0x40) !== 0;
      if (pid === PAT_PID && unitStart) {
        const pmtPid = patPmtPid(chunk, at);
        if (pmtPid >= 0) {
          this.pmtPid = pmtPid;
          out.pat = Buffer.from(chunk.subarray(at, at + TS_PACKET_SIZE));
        }
      } else if (pid === this.pmtPid && unitStart) {
        const videoPid = pmtVideoPid(chunk, at);
        if (videoPid >= 0) {
          this.videoPid = videoPid;
          out.pmt = Buffer.from(chunk.subarray(at, at + TS_PACKET_SIZE));
        }
      } else if (pid === this.videoPid && unitStart) {
        out.frames++;
        if (isKeyframePacket(chunk, at)) out.keyframes.push(at);
      }
    }
    return out;
  }
}

/** Where a packet's payload starts, or -1 when it has none. */
export function payloadOffset(buf: Buffer, at: number): number {
  const control = ((buf[at + 3] ?? 0) >> 4) & 0x3;
  if ((control & 0x1) === 0) return -1;
  const offset = control & 0x2 ? at + 5 + (buf[at + 4] ?? 0) : at + 4;
  return offset < at + TS_PACKET_SIZE ? offset : -1;
}

/** The random_access_indicator of the packet's adaptation field. */
export function randomAccess(buf: Buffer, at: number): boolean {
  const control = ((buf[at + 3] ?? 0) >> 4) & 0x3;
  return (control & 0x2) !== 0 && (buf[at + 4] ?? 0) > 0 && ((buf[at + 5] ?? 0) & 0x40) !== 0;
}

/** A PES start whose packet is flagged random access or carries an H.264 IDR slice or SPS. */
export function isKeyframePacket(buf: Buffer, at: number): boolean {
  if (randomAccess(buf, at)) return true;
  const pes = payloadOffset(buf, at);
  const end = at + TS_PACKET_SIZE;
  if (pes < 0 || pes + 9 > end || buf[pes] !== 0 || buf[pes + 1] !== 0 || buf[pes + 2] !== 1) return false;
  for (let i = pes + 9 + (buf[pes + 8] ?? 0); i + 3 < end; i++) {
    if (buf[i] === 0 && buf[i + 1] === 0 && buf[i + 2] === 1) {
      const type = (buf[i + 3] ?? 0) & 0x1f;
      if (type === 5 || type === 7) return true;
      if (type === 1) return false; // a non-IDR slice: not a keyframe
      i += 2;
    }
  }
  return false;
}

/** The section inside a packet starting a PSI section: [start, end) of its bytes after the pointer field. */
function section(buf: Buffer, at: number): [number, number] | null {
  const payload = payloadOffset(buf, at);
  if (payload < 0) return null;
  const start = payload + 1 + (buf[payload] ?? 0);
  if (start + 3 > at + TS_PACKET_SIZE) return null;
  const length = (((buf[start + 1] ?? 0) & 0x0f) << 8) | (buf[start + 2] ?? 0);
  // A section longer than one packet is read as far as it goes (ours never are).
  const end = Math.min(start + 3 + length - 4, at + TS_PACKET_SIZE);
  return [start, end];
}

/** The PMT PID of the PAT's first programme (program_number != 0), or -1. */
function patPmtPid(buf: Buffer, at: number): number {
  const s = section(buf, at);
  if (!s || buf[s[0]] !== 0x00) return -1;
  for (let i = s[0] + 8; i + 4 <= s[1]; i += 4) {
    const program = ((buf[i] ?? 0) << 8) | (buf[i + 1] ?? 0);
    if (program !== 0) return (((buf[i + 2] ?? 0) & 0x1f) << 8) | (buf[i + 3] ?? 0);
  }
  return -1;
}

/** The PID of the PMT's first H.264/H.265 stream, or -1. */
function pmtVideoPid(buf: Buffer, at: number): number {
  const s = section(buf, at);
  if (!s || buf[s[0]] !== 0x02) return -1;
  const infoLength = (((buf[s[0] + 10] ?? 0) & 0x0f) << 8) | (buf[s[0] + 11] ?? 0);
  for (let i = s[0] + 12 + infoLength; i + 5 <= s[1]; ) {
    const type = buf[i] ?? 0;
    const pid = (((buf[i + 1] ?? 0) & 0x1f) << 8) | (buf[i + 2] ?? 0);
    if (VIDEO_STREAM_TYPES.has(type)) return pid;
    i += 5 + ((((buf[i + 3] ?? 0) & 0x0f) << 8) | (buf[i + 4] ?? 0));
  }
  return -1;
}
