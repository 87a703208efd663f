/**
 * The little of an SDP description (RFC 4566) a probe needs: the first video media section's codec, payload
 * type, clock rate, control URL (and the session-level one, for aggregate PLAY), size and H.264
 * profile-level-id. Size comes from a=framesize (RFC 6064 style), a=x-dimensions, or else the H.264 SPS in
 * sprop-parameter-sets (RFC 6184 §8.1). Pure, linear, regex-free.
 */

export type VideoCodec = 'H264' | 'H265' | 'other';

export interface SdpVideo {
  codec: VideoCodec;
  /** The rtpmap encoding name upper-cased (e.g. 'H264', 'H265', 'JPEG'); '' when unknown. */
  encoding: string;
  payloadType: number;
  /** From rtpmap (or the static payload table); null when not given. */
  clockRate: number | null;
  /** The media-level a=control value as written (relative, absolute or '*'), less any userinfo. */
  control: string | null;
  /** The session-level a=control value, the aggregate control URL. */
  sessionControl: string | null;
  width: number | null;
  height: number | null;
  /** H.264 only: six hex digits, lower-case. */
  profileLevelId: string | null;
  /** a=framerate, when given. */
  framerate: number | null;
}

/** Static video payload types (RFC 3551 table 5). */
const STATIC_VIDEO: Record<number, string> = { 26: 'JPEG', 31: 'H261', 32: 'MPV', 33: 'MP2T', 34: 'H263' };

function codecOf(encoding: string): VideoCodec {
  if (encoding === 'H264') return 'H264';
  if (encoding === 'H265' || encoding === 'HEVC') return 'H265';
  return 'other';
}

/** `<pt> <rest>` for a=rtpmap/fmtp/framesize lines naming the payload type; null for other types. */
function forPayload(value: string, pt: number): string | null {
  const space = value.indexOf(' ');
  const head = space < 0 ? value : value.slice(0, space);
  if (Number(head) !== pt) return null;
  return space < 0 ? '' : value.slice(space + 1).trim();
}

function positive(s: string | undefined): number | null {
  const v = Number((s ?? '').trim());
  return Number.isInteger(v) && v > 0 && v <= 65535 ? v : null;
}

/** The attributes read, each matched in place as `a=<name>:` (no slicing of lines that are skipped). */
const ATTRIBUTES = ['control', 'rtpmap', 'fmtp', 'framesize', 'x-dimensions', 'framerate'] as const;
type Attribute = (typeof ATTRIBUTES)[number];

function attributeAt(text: string, at: number): Attribute | null {
  for (const name of ATTRIBUTES) {
    if (text.charCodeAt(at + name.length) === 0x3a && text.startsWith(name, at)) return name;
  }
  return null;
}

/** Parses an SDP text; null when it has no video media section (or no usable one). */
export function parseSdp(text: string): SdpVideo | null {
  let sessionControl: string | null = null;
  let inSession = true;
  let video: SdpVideo | null = null;
  let fmtp: string | null = null;
  let start = 0;
  while (start < text.length) {
    const line = start;
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    start = end + 1;
    if (text.charCodeAt(end - 1) === 0x0d) end--;
    if (end - line < 2 || text.charCodeAt(line + 1) !== 0x3d /* '=' */) continue;
    const type = text.charCodeAt(line);
    if (type === 0x6d /* 'm' */) {
      if (video !== null) break; // the first video section is complete
      inSession = false;
      const parts = text
        .slice(line + 2, end)
        .trim()
        .split(' ');
      if (parts[0] !== 'video' || parts.length < 4) continue;
      const pt = Number(parts[3]);
      if (!Number.isInteger(pt) || pt < 0 || pt > 127) continue;
      const encoding = STATIC_VIDEO[pt] ?? '';
      video = {
        codec: codecOf(encoding),
        encoding,
        payloadType: pt,
        clockRate: encoding === '' ? null : 90_000,
        control: null,
        sessionControl: null,
        width: null,
        height: null,
        profileLevelId: null,
        framerate: null,
      };
      continue;
    }
    if (type !== 0x61 /* 'a' */ || (!inSession && video === null)) continue;
    const name = attributeAt(text, line + 2);
    if (name === null || (inSession && name !== 'control')) continue;
    const attr = text.slice(line + 3 + name.length, end).trim();
    if (name === 'control') {
      if (inSession) sessionControl = stripUserinfo(attr);
      else if (video !== null) video.control = stripUserinfo(attr);
      continue;
    }
    if (video === null) continue;
    const pt = video.payloadType;
    if (name === 'rtpmap') {
      const map = forPayload(attr, pt);
      if (map === null) continue;
      const [encoding = '', clock] = map.split('/');
      video.encoding = encoding.toUpperCase();
      video.codec = codecOf(video.encoding);
      const rate = Number(clock);
      video.clockRate = Number.isInteger(rate) && rate > 0 ? rate : null;
    } else if (name === 'fmtp') fmtp = forPayload(attr, pt) ?? fmtp;
    else if (name === 'framesize') {
      const size = forPayload(attr, pt);
      const dash = size?.indexOf('-') ?? -1;
      if (size && dash > 0) setSize(video, size.slice(0, dash), size.slice(dash + 1));
    } else if (name === 'x-dimensions') {
      const comma = attr.indexOf(',');
      if (comma > 0) setSize(video, attr.slice(0, comma), attr.slice(comma + 1));
    } else {
      const fps = Number(attr);
      if (fps > 0 && fps < 1000) video.framerate = fps;
    }
  }
  if (video === null) return null;
  video.sessionControl = sessionControl;
  if (fmtp !== null) applyFmtp(video, fmtp);
  return video;
}

function setSize(video: SdpVideo, w: string, h: string): void {
  const width = positive(w);
  const height = positive(h);
  if (width !== null && height !== null) {
    video.width = width;
    video.height = height;
  }
}

function applyFmtp(video: SdpVideo, fmtp: string): void {
  if (video.codec !== 'H264') return;
  let sprop: string | null = null;
  for (const part of fmtp.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    const key = part.slice(0, eq).trim().toLowerCase();
    const value = part.slice(eq + 1).trim();
    if (key === 'profile-level-id' && value.length === 6) video.profileLevelId = value.toLowerCase();
    else if (key === 'sprop-parameter-sets') sprop = value;
  }
  if (sprop === null || (video.width !== null && video.profileLevelId !== null)) return;
  const comma = sprop.indexOf(',');
  const sps = Buffer.from(comma < 0 ? sprop : sprop.slice(0, comma), 'base64');
  const size = video.width === null ? h264SpsSize(sps) : null;
  if (size) {
    video.width = size.width;
    video.height = size.height;
  }
  if (video.profileLevelId === null && sps.length >= 4 && ((sps[0] ?? 0) & 0x1f) === 7) {
    video.profileLevelId = sps.subarray(1, 4).toString('hex');
  }
}

/** Exp-Golomb reader over an RBSP (emulation prevention bytes already removed). Overrun reads as -1. */
class Bits {
  private pos = 0;
  constructor(private readonly data: Uint8Array) {}

  bit(): number {
    const byte = this.data[this.pos >> 3];
    if (byte === undefined) return -1;
    const v = (byte >> (7 - (this.pos & 7))) & 1;
    this.pos++;
    return v;
  }

  bits(n: number): number {
    let v = 0;
    for (let i = 0; i < n; i++) {
      const b = this.bit();
      if (b < 0) return -1;
      v = v * 2 + b;
    }
    return v;
  }

  ue(): number {
    let zeros = 0;
    for (;;) {
      const b = this.bit();
      if (b < 0 || zeros > 31) return -1;
      if (b === 1) break;
      zeros++;
    }
    const rest = this.bits(zeros);
    return rest < 0 ? -1 : 2 ** zeros - 1 + rest;
  }

  se(): number {
    const k = this.ue();
    if (k < 0) return Number.NaN;
    return k % 2 === 1 ? (k + 1) / 2 : -(k / 2);
  }
}

/** The NAL payload after its header, without emulation prevention bytes (00 00 03 → 00 00); no copy if none. */
function unescapeRbsp(nal: Uint8Array): Uint8Array {
  let i = 3;
  while (i < nal.length && !(nal[i] === 3 && nal[i - 1] === 0 && nal[i - 2] === 0)) i++;
  if (i >= nal.length) return nal.subarray(1);
  const out = new Uint8Array(nal.length);
  let n = 0;
  for (let j = 1; j < nal.length; j++) {
    if (nal[j] === 3 && j >= 3 && nal[j - 1] === 0 && nal[j - 2] === 0) continue;
    out[n++] = nal[j] as number;
  }
  return out.subarray(0, n);
}

const HIGH_PROFILES = new Set([100, 110, 122, 244, 44, 83, 86, 118, 128, 138, 139, 134, 135]);

/** Picture size from an H.264 SPS NAL unit (ITU-T H.264 §7.3.2.1.1, cropping applied); null when unreadable. */
export function h264SpsSize(nal: Uint8Array): { width: number; height: number } | null {
  if (nal.length < 4 || ((nal[0] ?? 0) & 0x1f) !== 7) return null;
  const r = new Bits(unescapeRbsp(nal));
  const profile = r.bits(8);
  r.bits(16); // constraint flags, level_idc
  r.ue(); // seq_parameter_set_id
  let chroma = 1;
  let separatePlanes = 0;
  if (HIGH_PROFILES.has(profile)) {
    chroma = r.ue();
    if (chroma === 3) separatePlanes = r.bit();
    r.ue(); // bit_depth_luma_minus8
    r.ue(); // bit_depth_chroma_minus8
    r.bit(); // qpprime_y_zero_transform_bypass_flag
    if (r.bit() === 1) {
      for (let i = 0; i < (chroma === 3 ? 12 : 8); i++) {
        if (r.bit() !== 1) continue;
        let last = 8;
        let next = 8;
        for (let j = 0; j < (i < 6 ? 16 : 64); j++) {
          if (next !== 0) {
            const delta = r.se();
            if (Number.isNaN(delta)) return null;
            next = (last + delta + 256) % 256;
          }
          last = next === 0 ? last : next;
        }
      }
    }
  }
  r.ue(); // log2_max_frame_num_minus4
  const pocType = r.ue();
  if (pocType === 0) r.ue();
  else if (pocType === 1) {
    r.bit();
    r.se();
    r.se();
    const cycle = r.ue();
    if (cycle < 0 || cycle > 255) return null;
    for (let i = 0; i < cycle; i++) r.se();
  } else if (pocType !== 2) return null;
  r.ue(); // max_num_ref_frames
  r.bit(); // gaps_in_frame_num_value_allowed_flag
  const widthMbs = r.ue() + 1;
  const heightMapUnits = r.ue() + 1;
  const frameMbsOnly = r.bit();
  if (frameMbsOnly < 0 || widthMbs <= 0 || heightMapUnits <= 0) return null;
  if (frameMbsOnly === 0) r.bit(); // mb_adaptive_frame_field_flag
  r.bit(); // direct_8x8_inference_flag
  let width = widthMbs * 16;
  let height = (2 - frameMbsOnly) * heightMapUnits * 16;
  const cropping = r.bit();
  if (cropping < 0) return null;
  if (cropping === 1) {
    const [left, right, top, bottom] = [r.ue(), r.ue(), r.ue(), r.ue()];
    if (left < 0 || right < 0 || top < 0 || bottom < 0) return null;
    const monochrome = chroma === 0 || separatePlanes === 1;
    const unitX = monochrome || chroma === 3 ? 1 : 2;
    const unitY = (monochrome || chroma !== 1 ? 1 : 2) * (2 - frameMbsOnly);
    width -= unitX * (left + right);
    height -= unitY * (top + bottom);
  }
  return width > 0 && height > 0 && width <= 16384 && height <= 16384 ? { width, height } : null;
}

/** rtsp://user:pw@host/… → rtsp://host/… */
export function stripUserinfo(url: string): string {
  const scheme = url.indexOf('://');
  if (scheme < 0) return url;
  const slash = url.indexOf('/', scheme + 3);
  const at = url.lastIndexOf('@', slash < 0 ? url.length : slash);
  return at > scheme ? url.slice(0, scheme + 3) + url.slice(at + 1) : url;
}

/**
 * A control attribute resolved against the base URL (Content-Base, Content-Location or the request URL,
 * RFC 2326 C.1.1) the way RTSP clients commonly do: absolute as is (userinfo dropped), '*' or none is the
 * base, '/path' replaces the base's path, anything else is appended after a '/'.
 */
export function resolveControl(base: string, control: string | null): string {
  if (control === null || control === '' || control === '*') return base;
  const lower = control.slice(0, 8).toLowerCase();
  if (lower.startsWith('rtsp://') || lower.startsWith('rtsps://')) return stripUserinfo(control);
  if (control.startsWith('/')) {
    const slash = base.indexOf('/', base.indexOf('://') + 3);
    return (slash < 0 ? base : base.slice(0, slash)) + control;
  }
  return base.endsWith('/') ? base + control : `${base}/${control}`;
}
