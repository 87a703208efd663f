/** What the relay bench reads from the MPEG-TS its viewers receive (see relay-source.ts for the stamps). */

export const LATENCY_MARKER = Buffer.from('XUELIANG-LATENCY');
const DIGITS = 16;
const START_CODE = Buffer.from([0, 0, 1]);

/** The send-time stamps (µs since the epoch) in a chunk; one cut by a TS packet header is skipped. */
export function readStamps(chunk: Buffer): number[] {
  const out: number[] = [];
  for (let at = chunk.indexOf(LATENCY_MARKER); at >= 0; at = chunk.indexOf(LATENCY_MARKER, at + 1)) {
    const digits = chunk.subarray(at + LATENCY_MARKER.length, at + LATENCY_MARKER.length + DIGITS);
    const text = digits.toString('latin1');
    if (text.length === DIGITS && /^\d+$/.test(text)) out.push(Number(text));
  }
  return out;
}

/** Whether a chunk holds the start of an H.264 IDR slice (NAL type 5). */
export function hasIdr(chunk: Buffer): boolean {
  for (let at = chunk.indexOf(START_CODE); at >= 0; at = chunk.indexOf(START_CODE, at + 1)) {
    if (((chunk[at + 3] ?? 0) & 0x1f) === 5) return true;
  }
  return false;
}
