import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GstRtspServer, startGstRtspServer } from '../../sim/rtsp/gst-server.js';
import { type CredentialHop, startCredentialHop } from '../../src/media/credential-hop.js';
import { liveChildren } from '../../src/media/ffmpeg-process.js';
import { localUpstreamFactory } from '../../src/relay/ffmpeg-upstream.js';
import { RelayManager } from '../../src/relay/relay-manager.js';
import { processesWith, startRelayDb, TestViewer, waitFor } from '../support/relay-rig.js';

// Process hygiene of the relay: no ffmpeg, zombie, descriptor or memory left behind by open/close cycles,
// whenever the viewer leaves; none survives the relay's process being killed -9.
const GST_HOST = '127.61.0.11';
const HOP_HOST = '127.61.0.12';
const CREDS = { username: 'hygiene', password: 'Hyg:p@ss/%2' };
const TAG = `xlt-relayh-${randomBytes(5).toString('hex')}`;
const log = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });

let rig: Awaited<ReturnType<typeof startRelayDb>>;
let gst: GstRtspServer;
let hop: CredentialHop;
let child: ChildProcess | null = null;

beforeAll(async () => {
  rig = await startRelayDb({ XUELIANG_RELAY_IDLE_STOP_MS: '0', XUELIANG_RELAY_STALL_MS: '3000' });
  const mount = { pattern: 'moving' as const, width: 320, height: 180, fps: 25 };
  gst = await startGstRtspServer({
    host: GST_HOST,
    port: 0,
    mounts: [
      { path: '/cycles', ...mount, auth: { user: CREDS.username, password: CREDS.password } },
      { path: '/open', ...mount },
    ],
  });
  hop = await startCredentialHop({ host: HOP_HOST });
}, 60_000);

afterAll(async () => {
  child?.kill('SIGKILL');
  await hop?.close();
  await gst?.close();
  await rig?.close();
});

const fdCount = async () => (await readdir('/proc/self/fd')).length;
const ourFfmpegs = async () => (await processesWith(TAG)).live;

describe('relay process hygiene', () => {
  it('50 open/close cycles, many closed before the first frame: no ffmpeg, zombie, fd or memory left', async () => {
    const camera = await rig.addCamera(gst.url('/cycles'), null, CREDS);
    const factory = localUpstreamFactory({
      db: rig.db,
      vault: rig.vault,
      hop,
      config: rig.config,
      log,
      tag: TAG,
    });
    const manager = new RelayManager(factory, rig.config, log);
    const cycle = async (i: number) => {
      const viewer = new TestViewer();
      viewer.keep = false;
      const detach = await manager.attach(camera, viewer);
      if (i % 3 === 1) await new Promise((r) => setTimeout(r, 150)); // ffmpeg starting, no frame yet
      if (i % 3 === 2) await waitFor('first bytes', () => viewer.received > 0);
      detach(); // i % 3 === 0: before the upstream even exists
      return viewer.received > 0;
    };
    for (let i = 0; i < 5; i++) await cycle(i); // warm-up: lazy allocations are not leaks
    await waitFor('no ffmpeg after the warm-up', async () => (await ourFfmpegs()).length === 0);
    const fdsBefore = await fdCount();
    const rssBefore = process.memoryUsage().rss;
    let withBytes = 0;
    for (let i = 0; i < 50; i++) if (await cycle(i)) withBytes++;
    expect(withBytes).toBeGreaterThanOrEqual(16);
    await waitFor('every ffmpeg gone', async () => (await ourFfmpegs()).length === 0, 15_000);
    const { zombies } = await processesWith(TAG);
    expect(zombies).toEqual([]);
    expect(liveChildren().filter((c) => c.args.join(' ').includes(TAG))).toEqual([]);
    expect(manager.cameras()).toEqual([]);
    await waitFor('the camera sessions to end', async () => (await gst.sessions('/cycles')).media === 0);
    expect(hop.connections).toBe(0);
    // sockets of the last runs may take a moment to be closed on our side
    await waitFor('descriptors back', async () => (await fdCount()) <= fdsBefore + 2, 5000);
    expect(process.memoryUsage().rss - rssBefore).toBeLessThan(64 << 20);
    await manager.close();
  }, 180_000);

  it('close() while upstreams open, start and run: everything is reaped before it resolves', async () => {
    const camera = await rig.addCamera(gst.url('/cycles'), null, CREDS);
    const factory = localUpstreamFactory({
      db: rig.db,
      vault: rig.vault,
      hop,
      config: rig.config,
      log,
      tag: TAG,
    });
    const manager = new RelayManager(factory, rig.config, log);
    const viewer = new TestViewer();
    await manager.attach(camera, viewer);
    await waitFor('bytes', () => viewer.received > 0);
    const other = await rig.addCamera(gst.url('/cycles'), null, CREDS);
    await manager.attach(other, new TestViewer()); // its factory is still running when close() comes
    await manager.close();
    expect(viewer.closed?.code).toBe(1001);
    expect(await ourFfmpegs()).toEqual([]);
    await expect(manager.attach(camera, new TestViewer())).rejects.toThrow(/closed/);
  });

  it('the relay process killed -9: its ffmpeg is gone within 5 s', async () => {
    const marker = `${TAG}-child`;
    child = spawn(
      process.execPath,
      ['--import', 'tsx', 'test/fixtures/relay-child.ts', marker, gst.url('/open')],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    const line = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('the relay child did not go live')), 30_000);
      createInterface({ input: child?.stdout as NodeJS.ReadableStream }).once('line', (l) => {
        clearTimeout(timer);
        resolve(l);
      });
    });
    expect(line).toBe('LIVE');
    const running = (await processesWith(marker)).live;
    expect(running.some((p) => /^\d+ ffmpeg /.test(p))).toBe(true);
    const exited = new Promise((r) => child?.once('exit', r));
    child.kill('SIGKILL');
    await exited;
    child = null;
    await waitFor(
      'no ffmpeg of the killed relay',
      async () => (await processesWith(marker)).live.length === 0,
      5000,
    );
  });
});
