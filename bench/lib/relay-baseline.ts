/**
 * The relay bench's baseline, in a process of its own: node-rtsp-stream 0.0.9 (one ffmpeg per camera that
 * transcodes to MPEG-1 for jsmpeg, fanned out by its own WebSocket server). Reads `{ cameras: [{ url }] }` as one
 * JSON line on stdin, prints `READY <port>,<port>,…` (one WebSocket port per camera, on 127.0.0.1), and exits
 * when stdin closes, killing its ffmpeg children.
 */
import type { ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';

const require = createRequire(import.meta.url);
// node-rtsp-stream binds its WebSocket server to every interface; the bench keeps everything on loopback, so its
// own copy of ws is told the host before the streams are made (the module reads `ws.Server` at call time).
const ws = require('node-rtsp-stream/node_modules/ws') as { Server: new (...args: unknown[]) => unknown };
const Original = ws.Server;
ws.Server = class extends (Original as new (options: object, cb?: () => void) => object) {
  constructor(options: object, cb?: () => void) {
    super({ ...options, host: '127.0.0.1' }, cb);
  }
} as unknown as typeof ws.Server;
const VideoStream = require('node-rtsp-stream') as new (
  options: object,
) => {
  stream: ChildProcess;
  stop(): void;
};

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

let input = '';
for await (const chunk of process.stdin) {
  input += chunk;
  if (input.includes('\n')) break;
}
const spec = JSON.parse(input) as { cameras: { url: string }[] };
const streams: { stream: ChildProcess; stop(): void }[] = [];
const ports: number[] = [];
for (const [i, camera] of spec.cameras.entries()) {
  const port = await freePort();
  ports.push(port);
  streams.push(
    new VideoStream({
      name: `cam${i}`,
      streamUrl: camera.url,
      wsPort: port,
      // as its README suggests, plus a bitrate like the source's so the viewers get comparable bytes
      ffmpegOptions: { '-stats': '', '-r': 25, '-b:v': '2000k' },
    }),
  );
}
for (const [i, s] of streams.entries()) {
  s.stream.once('exit', (code, signal) =>
    console.log(`EXIT camera ${i}: ffmpeg code ${code} signal ${signal}`),
  );
}
console.log(`READY ${ports.join(',')}`);
const stop = () => {
  for (const s of streams) {
    s.stream.kill('SIGKILL');
    try {
      s.stop();
    } catch {}
  }
  setTimeout(() => process.exit(0), 200);
};
process.stdin.on('end', stop);
process.on('SIGTERM', stop);
process.stdin.resume();
