import { describe, expect, it } from 'vitest';
import {
  isKeyframeStart,
  isRtp,
  RtpFrameCounter,
  rtpMarker,
  rtpPayloadOffset,
  rtpPayloadType,
  rtpSequence,
  rtpTimestamp,
} from '../../src/rtsp/rtp-h26x.js';

interface PacketSpec {
  marker?: boolean;
  pt?: number;
  seq?: number;
  ts?: number;
  csrcs?: number;
  extensionWords?: number;
  payload: number[];
}

/** An RTP packet (RFC 3550 §5.1) built byte by byte. */
function rtp(spec: PacketSpec): Buffer {
  const csrcs = spec.csrcs ?? 0;
  const ext = spec.extensionWords;
  const header = Buffer.alloc(12 + csrcs * 4 + (ext === undefined ? 0 : 4 + ext * 4));
  header[0] = 0x80 | (ext === undefined ? 0 : 0x10) | csrcs;
  header[1] = (spec.marker ? 0x80 : 0) | (spec.pt ?? 96);
  header.writeUInt16BE(spec.seq ?? 1, 2);
  header.writeUInt32BE(spec.ts ?? 0, 4);
  header.writeUInt32BE(0x12345678, 8);
  if (ext !== undefined) header.writeUInt16BE(ext, 12 + csrcs * 4 + 2);
  return Buffer.concat([header, Buffer.from(spec.payload)]);
}

const key264 = (payload: number[]) => {
  const p = rtp({ payload });
  return isKeyframeStart('H264', p, rtpPayloadOffset(p));
};
const key265 = (payload: number[]) => {
  const p = rtp({ payload });
  return isKeyframeStart('H265', p, rtpPayloadOffset(p));
};

describe('RTP header', () => {
  it('reads marker, payload type, sequence and timestamp', () => {
    const p = rtp({ marker: true, pt: 97, seq: 65_535, ts: 0xfedcba98, payload: [0x65] });
    expect(isRtp(p)).toBe(true);
    expect(rtpMarker(p)).toBe(true);
    expect(rtpPayloadType(p)).toBe(97);
    expect(rtpSequence(p)).toBe(65_535);
    expect(rtpTimestamp(p)).toBe(0xfedcba98);
    expect(rtpMarker(rtp({ payload: [0x41] }))).toBe(false);
  });

  it('finds the payload after CSRCs and a header extension', () => {
    expect(rtpPayloadOffset(rtp({ payload: [1] }))).toBe(12);
    expect(rtpPayloadOffset(rtp({ csrcs: 2, payload: [1] }))).toBe(20);
    expect(rtpPayloadOffset(rtp({ extensionWords: 1, payload: [1] }))).toBe(20);
    expect(rtpPayloadOffset(rtp({ csrcs: 1, extensionWords: 2, payload: [1] }))).toBe(28);
  });

  it('refuses what is not RTP v2 or whose header overruns the packet', () => {
    const v1 = rtp({ payload: [1] });
    v1[0] = 0x40;
    expect(isRtp(v1)).toBe(false);
    expect(rtpPayloadOffset(v1)).toBe(-1);
    expect(rtpPayloadOffset(Buffer.from([0x80, 96, 0, 1]))).toBe(-1);
    const overrun = rtp({ payload: [] });
    overrun[0] = 0x8f; // 15 CSRCs announced, none present
    expect(rtpPayloadOffset(overrun)).toBe(-1);
    // a prefix of a longer packet: the header fits the full length
    const long = rtp({ csrcs: 1, payload: [0x65, 1, 2, 3] });
    expect(rtpPayloadOffset(long.subarray(0, 17), 200)).toBe(16);
  });
});

describe('H.264 keyframes (RFC 6184)', () => {
  it('single NAL units: IDR slice yes, others no', () => {
    expect(key264([0x65, 0x88])).toBe(true); // nal_ref_idc 3, type 5
    expect(key264([0x25, 0x88])).toBe(true); // nal_ref_idc 1, type 5
    expect(key264([0x41, 0x9a])).toBe(false); // non-IDR slice
    expect(key264([0x67, 0x42])).toBe(false); // a lone SPS is not a picture
    expect(key264([0x06, 0x05])).toBe(false); // SEI
  });

  it('FU-A / FU-B: the start fragment of an IDR slice', () => {
    expect(key264([0x7c, 0x85, 0xb8])).toBe(true); // FU-A, S=1, type 5
    expect(key264([0x7c, 0x05, 0xb8])).toBe(false); // middle fragment
    expect(key264([0x7c, 0x45, 0xb8])).toBe(false); // end fragment
    expect(key264([0x5c, 0x81, 0x9a])).toBe(false); // FU-A start of a non-IDR slice
    expect(key264([0x7d, 0x85, 0x00, 0x01])).toBe(true); // FU-B
    expect(key264([0x7c])).toBe(false); // truncated
  });

  it('STAP-A / STAP-B holding an SPS or an IDR slice', () => {
    const sps = [0x67, 0x42, 0xc0, 0x1e];
    const pps = [0x68, 0xce, 0x3c, 0x80];
    const stap = (units: number[][], type = 24, don: number[] = []) => [
      type,
      ...don,
      ...units.flatMap((u) => [u.length >> 8, u.length & 0xff, ...u]),
    ];
    expect(key264(stap([sps, pps]))).toBe(true);
    expect(
      key264(
        stap([
          [0x06, 0x05, 0x01],
          [0x65, 0x88],
        ]),
      ),
    ).toBe(true);
    expect(
      key264(
        stap([
          [0x06, 0x05, 0x01],
          [0x41, 0x9a],
        ]),
      ),
    ).toBe(false);
    expect(key264(stap([sps], 25, [0, 1]))).toBe(true);
    expect(key264([24, 0x00])).toBe(false); // truncated size
    expect(key264([24, 0xff, 0xff, 0x41])).toBe(false); // a size running past the packet
    expect(key264([24, 0x00, 0x00, 0x65])).toBe(false); // zero-size unit
  });

  it('reads only within the given end and is false for other codecs', () => {
    const p = rtp({ payload: [0x41, 0x65] });
    expect(isKeyframeStart('H264', p, 13)).toBe(true);
    expect(isKeyframeStart('H264', p, 13, 13)).toBe(false);
    expect(isKeyframeStart('other', rtp({ payload: [0x65] }), 12)).toBe(false);
  });
});

describe('H.265 keyframes (RFC 7798)', () => {
  const nal = (type: number) => [type << 1, 0x01];

  it('IRAP pictures (types 16–21) yes, others no', () => {
    for (const type of [16, 17, 18, 19, 20, 21]) expect(key265([...nal(type), 0xaf])).toBe(true);
    for (const type of [0, 1, 9, 22, 32, 33, 34, 39]) expect(key265([...nal(type), 0xaf])).toBe(false);
  });

  it('FU: the start fragment of an IRAP picture', () => {
    expect(key265([...nal(49), 0x80 | 19, 0xaf])).toBe(true);
    expect(key265([...nal(49), 0x80 | 21, 0xaf])).toBe(true);
    expect(key265([...nal(49), 19, 0xaf])).toBe(false); // middle fragment
    expect(key265([...nal(49), 0x80 | 1, 0xaf])).toBe(false);
    expect(key265([...nal(49)])).toBe(false); // truncated
  });

  it('AP: aggregated parameter sets and an IRAP picture', () => {
    const unit = (bytes: number[]) => [bytes.length >> 8, bytes.length & 0xff, ...bytes];
    const params = [...unit([...nal(32), 1]), ...unit([...nal(33), 1]), ...unit([...nal(34), 1])];
    expect(key265([...nal(48), ...params, ...unit([...nal(19), 0xaf])])).toBe(true);
    expect(key265([...nal(48), ...params])).toBe(false);
    expect(key265([...nal(48), 0x00, 0x01])).toBe(false); // a unit shorter than a NAL header
  });
});

describe('RtpFrameCounter', () => {
  /** A fake clock the test moves by hand. */
  const clock = () => {
    const c = { now: 1000, read: () => c.now };
    return c;
  };

  it('counts frames by marker, keyframes per frame, packets and bytes', () => {
    const t = clock();
    const counter = new RtpFrameCounter('H264', t.read);
    const sps = rtp({ ts: 0, payload: [0x67, 0x42, 0xc0, 0x1e] });
    const idrStart = rtp({ ts: 0, payload: [0x7c, 0x85, 1, 2] });
    const idrEnd = rtp({ ts: 0, marker: true, payload: [0x7c, 0x45, 3] });
    t.now = 1040;
    for (const p of [sps, idrStart, idrEnd]) counter.push(p);
    for (let i = 1; i <= 9; i++) {
      t.now = 1040 + i * 40;
      counter.push(rtp({ ts: i * 3600, marker: true, payload: [0x41, 0x9a] }));
    }
    expect(counter).toMatchObject({
      frames: 10,
      keyframes: 1,
      packets: 12,
      firstFrameAt: 1040,
      lastFrameAt: 1400,
    });
    expect(counter.bytes).toBe(sps.length + idrStart.length + idrEnd.length + 9 * 14);
    expect(counter.summary(1000, 1400)).toEqual({
      frames: 10,
      keyframes: 1,
      packets: 12,
      bytes: counter.bytes,
      fps: 25,
      bitrateKbps: Math.round(((counter.bytes * 8) / 400) * 100) / 100,
      firstFrameMs: 40,
    });
    expect(counter.verdict(1000, 1400)).toEqual({ outcome: 'ok', error: null });
  });

  it('ends frames on a timestamp change when the sender sets no marker', () => {
    const counter = new RtpFrameCounter('H264', () => 0);
    counter.push(rtp({ ts: 0, payload: [0x65, 1] }));
    counter.push(rtp({ ts: 0, payload: [0x65, 2] }));
    counter.push(rtp({ ts: 3600, payload: [0x41, 1] }));
    counter.push(rtp({ ts: 7200, payload: [0x41, 1] }));
    expect(counter).toMatchObject({ frames: 2, keyframes: 1, packets: 4 });
  });

  it('counts but does not decode packets that are not RTP', () => {
    const counter = new RtpFrameCounter('H264', () => 0);
    counter.push(Buffer.from([0x00, 0x01, 0x02]));
    counter.push(Buffer.alloc(200), 1400); // a prefix of a longer packet, version 0
    expect(counter).toMatchObject({ frames: 0, packets: 2, bytes: 1403 });
  });

  it('verdicts: nothing, a stall, a single non-key frame', () => {
    const t = clock();
    const none = new RtpFrameCounter('H264', t.read);
    expect(none.verdict(1000, 3000)).toEqual({ outcome: 'no_frames', error: 'no RTP data after PLAY' });
    none.push(rtp({ payload: [0x7c, 0x85] }));
    expect(none.verdict(1000, 3000).error).toBe('RTP packets but no complete frame');

    const stalled = new RtpFrameCounter('H264', t.read);
    t.now = 1200;
    stalled.push(rtp({ marker: true, payload: [0x65] }));
    stalled.push(rtp({ ts: 3600, marker: true, payload: [0x41] }));
    expect(stalled.verdict(1000, 3000)).toEqual({
      outcome: 'stalled',
      error: 'no frames for the last 1800 ms',
    });
    expect(stalled.verdict(1000, 1250).outcome).toBe('ok');

    const single = new RtpFrameCounter('H264', t.read);
    single.push(rtp({ marker: true, payload: [0x41] }));
    expect(single.verdict(1000, 1300)).toEqual({ outcome: 'no_frames', error: 'one frame and no keyframe' });
    expect(single.summary(1000, 1300).firstFrameMs).toBe(200);
  });
});
