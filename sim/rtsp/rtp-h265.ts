import { RTP_PAYLOAD_MTU, type RtpStreamState } from './rtp-h264.js';

/**
 * H.265 over RTP (RFC 7798) in RTSP interleaved framing: single NAL unit packets, and fragmentation units
 * (type 49: a two-byte payload header and a one-byte FU header) for larger NAL units. Same contract as
 * packetizeFrame of rtp-h264.ts: header chunks and payload views, in order; the marker on the last packet.
 */
const PAYLOAD_TYPE = 96;
const FU_TYPE = 49;

export function packetizeH265Frame(
  frame: readonly Buffer[],
  state: RtpStreamState,
  timestamp: number,
  mtu = RTP_PAYLOAD_MTU,
): Buffer[] {
  let packets = 0;
  for (const nal of frame) packets += nal.length <= mtu ? 1 : Math.ceil((nal.length - 2) / (mtu - 3));
  const out: Buffer[] = [];
  let sent = 0;
  const header = (payloadLength: number, fu: Buffer | null): Buffer => {
    sent++;
    const h = Buffer.allocUnsafe(16 + (fu ? 3 : 0));
    h[0] = 0x24;
    h[1] = state.channel;
    h.writeUInt16BE(12 + payloadLength + (fu ? 3 : 0), 2);
    h[4] = 0x80;
    h[5] = (sent === packets ? 0x80 : 0) | PAYLOAD_TYPE;
    h.writeUInt16BE(state.seq, 6);
    state.seq = (state.seq + 1) & 0xffff;
    h.writeUInt32BE(timestamp >>> 0, 8);
    h.writeUInt32BE(state.ssrc >>> 0, 12);
    if (fu) fu.copy(h, 16);
    return h;
  };
  for (const nal of frame) {
    if (nal.length <= mtu) {
      out.push(header(nal.length, null), nal);
      continue;
    }
    const type = ((nal[0] ?? 0) >> 1) & 0x3f;
    const chunk = mtu - 3;
    for (let offset = 2; offset < nal.length; offset += chunk) {
      const end = Math.min(offset + chunk, nal.length);
      const fuHeader = (offset === 2 ? 0x80 : 0) | (end === nal.length ? 0x40 : 0) | type;
      const fu = Buffer.from([((nal[0] ?? 0) & 0x81) | (FU_TYPE << 1), nal[1] ?? 1, fuHeader]);
      out.push(header(end - offset, fu), nal.subarray(offset, end));
    }
  }
  return out;
}
