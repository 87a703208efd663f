/**
 * H.264 over RTP (RFC 6184) in RTSP interleaved framing (RFC 2326 §10.12): single NAL unit packets, and
 * FU-A fragments (type 28) for NAL units larger than the payload limit. Payloads are views into the clip's
 * shared Buffer; only the small headers are allocated, one block per frame.
 */

export const RTP_PAYLOAD_MTU = 1400;
export const RTP_CLOCK_RATE = 90_000;
const PAYLOAD_TYPE = 96;

export interface RtpStreamState {
  channel: number;
  ssrc: number;
  /** Next sequence number (16 bit, wraps). */
  seq: number;
}

/**
 * The buffers (to be written in order, under cork) that carry one access unit: per packet a header chunk
 * ('$', channel, length, 12-byte RTP header, and for FU-A the FU indicator and header), then the payload.
 * The marker bit is set on the access unit's last packet.
 */
export function packetizeFrame(
  frame: readonly Buffer[],
  state: RtpStreamState,
  timestamp: number,
  mtu = RTP_PAYLOAD_MTU,
): Buffer[] {
  let packets = 0;
  for (const nal of frame) packets += nal.length <= mtu ? 1 : Math.ceil((nal.length - 1) / (mtu - 2));
  const headers = Buffer.allocUnsafe(packets * 18);
  const out: Buffer[] = [];
  let used = 0;
  let sent = 0;
  const ts = timestamp >>> 0;

  const header = (payloadLength: number, fu: number): Buffer => {
    sent++;
    const size = fu >= 0 ? 18 : 16;
    const h = headers.subarray(used, used + size);
    used += size;
    const rtpLength = 12 + payloadLength + (fu >= 0 ? 2 : 0);
    h[0] = 0x24;
    h[1] = state.channel;
    h.writeUInt16BE(rtpLength, 2);
    h[4] = 0x80; // V=2, no padding, no extension, no CSRC
    h[5] = (sent === packets ? 0x80 : 0) | PAYLOAD_TYPE;
    h.writeUInt16BE(state.seq, 6);
    state.seq = (state.seq + 1) & 0xffff;
    h.writeUInt32BE(ts, 8);
    h.writeUInt32BE(state.ssrc >>> 0, 12);
    if (fu >= 0) {
      h[16] = fu >> 8;
      h[17] = fu & 0xff;
    }
    return h;
  };

  for (const nal of frame) {
    if (nal.length <= mtu) {
      out.push(header(nal.length, -1), nal);
      continue;
    }
    const nalHeader = nal[0] ?? 0;
    const indicator = (nalHeader & 0xe0) | 28;
    const type = nalHeader & 0x1f;
    const chunk = mtu - 2;
    for (let offset = 1; offset < nal.length; offset += chunk) {
      const end = Math.min(offset + chunk, nal.length);
      const fuHeader = (offset === 1 ? 0x80 : 0) | (end === nal.length ? 0x40 : 0) | type;
      out.push(header(end - offset, (indicator << 8) | fuHeader), nal.subarray(offset, end));
    }
  }
  return out;
}
