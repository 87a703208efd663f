import { describe, expect, it } from 'vitest';
import { GopCache } from '../../src/relay/gop-cache.js';
import { isKeyframePacket, TS_PACKET_SIZE, TsScanner, TsSplitter } from '../../src/relay/ts-packets.js';

const PMT_PID = 0x1000;
const VIDEO_PID = 0x100;

/** One 188-byte packet: header, optional adaptation field (random access flag), payload, stuffing. */
function packet(pid: number, opts: { start?: boolean; rai?: boolean; payload?: number[]; cc?: number } = {}) {
  const p = Buffer.alloc(TS_PACKET_SIZE, 0xff);
  p[0] = 0x47;
  p[1] = (opts.start ? 0x40 : 0) | ((pid >> 8) & 0x1f);
  p[2] = pid & 0xff;
  const payload = opts.payload ?? [];
  if (opts.rai) {
    p[3] = 0x30 | ((opts.cc ?? 0) & 0xf);
    p[4] = 1;
    p[5] = 0x40;
    Buffer.from(payload).copy(p, 6);
  } else {
    p[3] = 0x10 | ((opts.cc ?? 0) & 0xf);
    Buffer.from(payload).copy(p, 4);
  }
  return p;
}

// pointer 0; table 0x00; length; ts id; version; section numbers; programme 1 → PMT PID; CRC (not checked)
const PAT = packet(0, {
  start: true,
  payload: [0, 0x00, 0xb0, 13, 0, 1, 0xc1, 0, 0, 0, 1, 0xe0 | (PMT_PID >> 8), PMT_PID & 0xff, 1, 2, 3, 4],
});
// table 0x02; programme 1; PCR PID; no programme info; one H.264 stream (0x1b) on VIDEO_PID
const PMT = packet(PMT_PID, {
  start: true,
  payload: [0, 0x02, 0xb0, 18, 0, 1, 0xc1, 0, 0, 0xe1, 0, 0xf0, 0, 0x1b, 0xe1, 0, 0xf0, 0, 1, 2, 3, 4],
});
/** A PES header (no optional fields) and an Annex-B NAL of `type`. */
const pes = (nalType: number) => [0, 0, 1, 0xe0, 0, 0, 0x80, 0, 0, 0, 0, 0, 1, nalType, 0x88];

const idr = packet(VIDEO_PID, { start: true, payload: pes(0x65) });
const idrWithSps = packet(VIDEO_PID, { start: true, payload: pes(0x67) });
const flagged = packet(VIDEO_PID, { start: true, rai: true, payload: pes(0x41) });
const pframe = packet(VIDEO_PID, { start: true, payload: pes(0x41) });
const cont = packet(VIDEO_PID, { payload: [1, 2, 3] });

describe('TsSplitter', () => {
  it('passes aligned chunks through and joins packets cut across chunks', () => {
    const s = new TsSplitter();
    const stream = Buffer.concat([PAT, PMT, idr, cont, pframe]);
    expect(s.push(stream.subarray(0, 188 * 2))).toEqual(stream.subarray(0, 188 * 2));
    expect(s.push(stream.subarray(376, 500)).length).toBe(0);
    expect(s.push(stream.subarray(500, 800))).toEqual(stream.subarray(376, 752));
    expect(s.push(stream.subarray(800))).toEqual(stream.subarray(752));
    expect(s.dropped).toBe(0);
  });

  it('drops garbage before a sync run and resynchronises after a broken packet', () => {
    const s = new TsSplitter();
    const garbage = Buffer.from([1, 0x47, 3, 4, 5]);
    const out = s.push(Buffer.concat([garbage, PAT, PMT, idr]));
    expect(out).toEqual(Buffer.concat([PAT, PMT, idr]));
    expect(s.dropped).toBe(5);
    const broken = Buffer.from(cont);
    broken[0] = 0x00;
    const next = s.push(Buffer.concat([pframe, broken, cont, cont, cont]));
    expect(next).toEqual(pframe);
    expect(s.push(Buffer.alloc(0))).toEqual(Buffer.concat([cont, cont, cont]));
    expect(s.dropped).toBe(5 + 188);
  });
});

describe('TsScanner', () => {
  it('learns the PMT and video PIDs, copies PAT and PMT, counts frames and finds keyframes', () => {
    const scanner = new TsScanner();
    const chunk = Buffer.concat([PAT, PMT, idr, cont, pframe, cont, flagged]);
    const scan = scanner.scan(chunk);
    expect(scan.pat).toEqual(PAT);
    expect(scan.pmt).toEqual(PMT);
    expect(scan.frames).toBe(3);
    expect(scan.keyframes).toEqual([2 * 188, 6 * 188]);
    chunk.fill(0);
    expect(scan.pat).toEqual(PAT); // a copy, not a view of the chunk
  });

  it('sees no frames before it knows the tables', () => {
    const scan = new TsScanner().scan(Buffer.concat([idr, pframe]));
    expect(scan).toMatchObject({ frames: 0, keyframes: [] });
  });

  it('tells keyframes by random access flag, IDR slice or SPS; not a P slice or a continuation', () => {
    expect(isKeyframePacket(idr, 0)).toBe(true);
    expect(isKeyframePacket(idrWithSps, 0)).toBe(true);
    expect(isKeyframePacket(flagged, 0)).toBe(true);
    expect(isKeyframePacket(pframe, 0)).toBe(false);
    expect(isKeyframePacket(cont, 0)).toBe(false);
  });
});

describe('GopCache', () => {
  const feed = (cache: GopCache, scanner: TsScanner, ...packets: Buffer[]) => {
    const chunk = Buffer.concat(packets);
    cache.push(chunk, scanner.scan(chunk));
  };

  it('starts a joiner with PAT, PMT and everything since the last keyframe', () => {
    const cache = new GopCache(1 << 20);
    const scanner = new TsScanner();
    feed(cache, scanner, PAT, PMT, pframe, cont);
    expect(cache.start()).toBeNull(); // no keyframe yet
    feed(cache, scanner, cont, idr, cont);
    feed(cache, scanner, pframe, cont);
    expect(Buffer.concat(cache.start() ?? [])).toEqual(Buffer.concat([PAT, PMT, idr, cont, pframe, cont]));
    feed(cache, scanner, idrWithSps);
    expect(Buffer.concat(cache.start() ?? [])).toEqual(Buffer.concat([PAT, PMT, idrWithSps]));
    expect(cache.tables()).toEqual([PAT, PMT]);
  });

  it('drops a GOP larger than its bound until the next keyframe, and forgets all on clear', () => {
    const cache = new GopCache(188 * 3);
    const scanner = new TsScanner();
    feed(cache, scanner, PAT, PMT, idr, cont);
    expect(cache.start()).not.toBeNull();
    feed(cache, scanner, cont, cont);
    expect(cache.start()).toBeNull();
    expect(cache.bytes).toBe(0);
    feed(cache, scanner, cont);
    expect(cache.start()).toBeNull();
    feed(cache, scanner, idr);
    expect(cache.start()).toHaveLength(3);
    cache.clear();
    expect(cache.start()).toBeNull();
    expect(cache.tables()).toBeNull();
  });
});
