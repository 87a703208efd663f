/**
 * The relay bench's cameras, in a process of their own (so their CPU is not the relay's): the light RTSP
 * responder playing one pre-encoded ~2 Mbit/s 720p H.264 clip on every camera, with a send-time stamp burned
 * into each frame. Reads `{ host, cameras: [{ id, username, password }] }` as one JSON line on stdin, prints
 * `READY <port>`, and exits when stdin closes.
 *
 * The stamp is an SEI user-data NAL (uuid LATENCY_MARKER, then 16 ASCII digits: microseconds since the epoch)
 * put before each frame's first slice at the moment the frame is packetized, so a viewer can read how long the
 * frame took from here to it. ASCII digits need no emulation prevention.
 */
import { readFile } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import { NO_FAULTS, type RtspCameraView } from '../../sim/rtsp/fault-view.js';
import { type H264Clip, parseH264Clip } from '../../sim/rtsp/h264-clip.js';
import { startLightRtspServer } from '../../sim/rtsp/light-server.js';
import { CLIP, clipFile } from './relay-clip.js';
import { LATENCY_MARKER } from './relay-ts.js';

function stampNal(): Buffer {
  const micros = Math.round((performance.timeOrigin + performance.now()) * 1000);
  const digits = Buffer.from(String(micros).padStart(16, '0'));
  const payload = Buffer.concat([LATENCY_MARKER, digits]);
  return Buffer.concat([Buffer.from([0x06, 0x05, payload.length]), payload, Buffer.from([0x80])]);
}

/**
 * The light streamer reads `clip.frames[i]` right before packetizing frame i; this view hands it the frame
 * with a fresh stamp (a new Buffer each time: queued socket writes keep referencing what they were given).
 */
function stamped(clip: H264Clip): H264Clip {
  const frames = new Proxy(clip.frames, {
    get(target, key, receiver) {
      const frame: unknown = Reflect.get(target, key, receiver);
      if (typeof key !== 'string' || !/^\d+$/.test(key) || !Array.isArray(frame)) return frame;
      const nals = frame as Buffer[];
      const firstSlice = nals.findIndex((nal) => {
        const type = (nal[0] ?? 0) & 0x1f;
        return type >= 1 && type <= 5;
      });
      return [...nals.slice(0, firstSlice), stampNal(), ...nals.slice(firstSlice)];
    },
  });
  return { ...clip, frames };
}

let input = '';
for await (const chunk of process.stdin) {
  input += chunk;
  if (input.includes('\n')) break;
}
const spec = JSON.parse(input) as {
  host: string;
  cameras: { id: string; username: string; password: string }[];
};
const clip = stamped(parseH264Clip(await readFile(await clipFile()), CLIP.fps));
const views: RtspCameraView[] = spec.cameras.map((c) => ({
  id: c.id,
  path: `/cam/${c.id}/main`,
  username: c.username,
  password: c.password,
  auth: 'digest',
  faults: () => NO_FAULTS,
}));
const server = await startLightRtspServer({ host: spec.host, port: 0, cameras: views, clip });
console.log(`READY ${server.port}`);
process.stdin.on('end', () => void server.close().then(() => process.exit(0)));
process.stdin.resume();
