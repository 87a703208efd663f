/**
 * A light RTSP responder for benchmarks, in a process of its own (so its CPU is not the workers'): reads
 * `{ host, cameras: [{ id, username, password }] }` as JSON on stdin, serves every camera at /cam/<id>/main
 * with Digest auth, prints `READY <port>`, and exits when stdin closes.
 */
import { NO_FAULTS, type RtspCameraView } from '../../sim/rtsp/fault-view.js';
import { startLightRtspServer } from '../../sim/rtsp/light-server.js';

let input = '';
for await (const chunk of process.stdin) {
  input += chunk;
  if (input.includes('\n')) break;
}
const spec = JSON.parse(input) as {
  host: string;
  cameras: { id: string; username: string; password: string }[];
};
const views: RtspCameraView[] = spec.cameras.map((c) => ({
  id: c.id,
  path: `/cam/${c.id}/main`,
  username: c.username,
  password: c.password,
  auth: 'digest',
  faults: () => NO_FAULTS,
}));
const server = await startLightRtspServer({ host: spec.host, port: 0, cameras: views });
console.log(`READY ${server.port}`);
process.stdin.on('end', () => void server.close().then(() => process.exit(0)));
process.stdin.resume();
