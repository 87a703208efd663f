import { execFile } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GstRtspServer, startGstRtspServer } from '../../sim/rtsp/gst-server.js';
import { RawRtspClient, rawPlay } from '../../sim/rtsp/rtsp-raw-client.js';

const HOST = '127.0.0.1';
const MOVING = '/cam/gst-moving/main';
const STALL = '/cam/gst-stall/main';
const LOCKED = '/cam/gst-locked/main';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function run(cmd: string, args: string[], timeoutMs = 20_000): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      cmd,
      args,
      { timeout: timeoutMs, killSignal: 'SIGKILL', maxBuffer: 8 << 20 },
      (error, stdout, stderr) =>
        resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr }),
    );
  });
}

const probe = (url: string) =>
  run('ffprobe', [
    ...['-v', 'error', '-rtsp_transport', 'tcp', '-timeout', '5000000'],
    ...['-select_streams', 'v:0', '-show_entries', 'stream=codec_name,width,height', '-of', 'json', url],
  ]);

/** Live processes (pid, name, cmdline) whose parent is this test process. */
async function ourChildren(): Promise<Array<{ pid: number; name: string; cmdline: string }>> {
  const found: Array<{ pid: number; name: string; cmdline: string }> = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const status = await readFile(`/proc/${entry}/status`, 'utf8').catch(() => '');
    const ppid = Number(/^PPid:\s+(\d+)/m.exec(status)?.[1]);
    const state = /^State:\s+(\S)/m.exec(status)?.[1];
    if (ppid !== process.pid || state === 'Z') continue;
    const cmdline = (await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '')).split('\0').join(' ');
    found.push({ pid: Number(entry), name: /^Name:\s+(\S+)/m.exec(status)?.[1] ?? '', cmdline });
  }
  return found;
}

const alive = async (pid: number) => {
  const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
  return status !== '' && !/^State:\s+Z/m.test(status);
};

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

let server: GstRtspServer;
const seenPids = new Set<number>();

beforeAll(async () => {
  server = await startGstRtspServer({
    host: HOST,
    port: 0,
    mounts: [
      { path: MOVING, pattern: 'moving', width: 640, height: 360, fps: 25 },
      { path: STALL, pattern: 'moving', width: 320, height: 240, fps: 15 },
      {
        path: LOCKED,
        pattern: 'black',
        width: 320,
        height: 240,
        fps: 15,
        auth: { user: 'admin', password: 'pw' },
      },
    ],
  });
  if (server.pid) seenPids.add(server.pid);
}, 30_000);

afterAll(async () => {
  await server?.close();
  const left = (await ourChildren()).filter((p) =>
    /ffmpeg|ffprobe|python|gst-server/.test(p.cmdline + p.name),
  );
  expect(left).toEqual([]);
});

describe('GStreamer RTSP server', () => {
  it('ffprobe reads a moving mount as H.264', async () => {
    const result = await probe(server.url(MOVING));
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout).streams[0]).toMatchObject({
      codec_name: 'h264',
      width: 640,
      height: 360,
    });
  });

  it('basic auth: right password plays, wrong one is 401', async () => {
    const url = new URL(server.url(LOCKED));
    url.username = 'admin';
    url.password = 'pw';
    const ok = await probe(url.toString());
    expect(ok.code, ok.stderr).toBe(0);
    url.password = 'wrong';
    const denied = await probe(url.toString());
    expect(denied.code).not.toBe(0);
    expect(denied.stderr).toContain('401');
  });

  it('setStall stops RTP for a playing client while RTSP stays up, and resumes it', async () => {
    const client = await RawRtspClient.open(HOST, server.port);
    try {
      const replies = await rawPlay(client, server.url(STALL));
      expect(replies.map((r) => r.status)).toEqual([200, 200, 200, 200]);
      for (let i = 0; i < 50 && client.framesOn(0) < 10; i++) await sleep(100);
      expect(client.framesOn(0)).toBeGreaterThanOrEqual(10);
      await server.setStall(STALL, true);
      await sleep(300);
      const before = client.framesOn(0);
      await sleep(2000);
      expect(client.framesOn(0)).toBe(before); // RTCP on channel 1 may still flow
      expect(client.isClosed).toBe(false);
      const session = (replies[2]?.headers.get('session') ?? '').split(';')[0] ?? '';
      expect((await client.request('GET_PARAMETER', server.url(STALL), { Session: session })).status).toBe(
        200,
      );
      await server.setStall(STALL, false);
      for (let i = 0; i < 30 && client.framesOn(0) === before; i++) await sleep(100);
      expect(client.framesOn(0)).toBeGreaterThan(before);
    } finally {
      client.close();
    }
  });

  it('restarts the server on the same port after kill -9', async () => {
    const first = server.pid;
    expect(first).toBeDefined();
    process.kill(first as number, 'SIGKILL');
    for (let i = 0; i < 100 && (server.pid === undefined || server.pid === first); i++) await sleep(100);
    await server.whenReady();
    expect(server.pid).not.toBe(first);
    if (server.pid) seenPids.add(server.pid);
    expect(server.restarts).toBe(1);
    const result = await probe(server.url(MOVING));
    expect(result.code, result.stderr).toBe(0);
  }, 30_000);

  it('close() leaves no gst-server.py process behind', async () => {
    await server.close();
    for (const pid of seenPids) expect(await alive(pid)).toBe(false);
    const servers = (await ourChildren()).filter((p) => p.cmdline.includes('gst-server.py'));
    expect(servers).toEqual([]);
  });
});
