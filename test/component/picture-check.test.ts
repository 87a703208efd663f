import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ClipKind, NO_FAULTS, type RtspCameraView, type RtspFaults } from '../../sim/rtsp/fault-view.js';
import { type GstRtspServer, startGstRtspServer } from '../../sim/rtsp/gst-server.js';
import { defaultClipCacheDir, ensureClips } from '../../sim/rtsp/h264-clip.js';
import { type LightRtspServer, startLightRtspServer } from '../../sim/rtsp/light-server.js';
import { type CredentialHop, startCredentialHop } from '../../src/media/credential-hop.js';
import { liveChildren } from '../../src/media/ffmpeg-process.js';
import { checkPicture, type PictureCheckOptions, type PictureResult } from '../../src/media/picture-check.js';
import type { PictureContext, PictureFault } from '../../src/media/picture-verdict.js';
import { encodeScene, type SceneName } from '../fixtures/picture-clips.js';

const HOST = '127.0.0.1';
const CREDS = { username: 'admin', password: 'Hop:p@ss/%9' };
const DAY: PictureContext = { isNight: false };
const NIGHT: PictureContext = { isNight: true };
/** On every ffmpeg this suite starts, so the end can prove none is left. */
const MARKER = `xlt-picture-${randomBytes(5).toString('hex')}`;

function camera(id: string, faults: Partial<RtspFaults> = {}): RtspCameraView {
  const state = { ...NO_FAULTS, ...faults };
  return { id, path: `/cam/${id}/main`, ...CREDS, auth: 'digest', faults: () => state };
}

let workDir: string;
let light: LightRtspServer;
let gst: GstRtspServer;
const sceneServers = new Map<SceneName, LightRtspServer>();
let hop: CredentialHop;

const check = (cameraUrl: string, context: PictureContext, extra: Partial<PictureCheckOptions> = {}) =>
  checkPicture({ cameraUrl, credentials: CREDS, hop, deadlineMs: 30_000, context, tag: MARKER, ...extra });

/** Runs the checks at most `limit` at a time (two cores: each one decodes in real time). */
async function inPool<T, R>(items: T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await work(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: limit }, worker));
  return results;
}

const describeResult = (r: PictureResult) =>
  `${r.outcome} ${r.verdict?.fault} ${JSON.stringify(r.verdict?.detail)} ${r.error ?? ''}`;

async function markedProcesses(): Promise<string[]> {
  const found: string[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const cmdline = await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '');
    const status = await readFile(`/proc/${entry}/status`, 'utf8').catch(() => '');
    if (cmdline.includes(MARKER) && !/^State:\s+Z/m.test(status)) found.push(`${entry} ${cmdline}`);
  }
  return found;
}

beforeAll(async () => {
  workDir = await mkdtemp(join(tmpdir(), 'xueliang-picture-'));
  light = await startLightRtspServer({
    host: HOST,
    port: 0,
    clips: await ensureClips(defaultClipCacheDir()),
    cameras: [
      camera('moving'),
      camera('black', { black: true }),
      camera('frozen', { frozen: true }),
      camera('noise', { noise: true }),
      camera('stalled', { streamStall: true }),
      camera('ending', { streamEnd: true }),
    ],
  });
  for (const scene of ['darkLiveIr', 'darkLiveColour', 'blurred', 'colourCast'] as const) {
    const clip = await encodeScene(workDir, scene);
    sceneServers.set(
      scene,
      await startLightRtspServer({ host: HOST, port: 0, clip, cameras: [camera(scene)] }),
    );
  }
  gst = await startGstRtspServer({
    host: HOST,
    port: 0,
    mounts: (['moving', 'black', 'frozen', 'noise'] as const).map((pattern) => ({
      path: `/cam/gst-${pattern}/main`,
      pattern,
      width: 640,
      height: 360,
      fps: 25,
      auth: { user: CREDS.username, password: CREDS.password },
    })),
  });
  hop = await startCredentialHop({ host: HOST });
}, 180_000);

afterAll(async () => {
  await hop?.close();
  await light?.close();
  await gst?.close();
  for (const server of sceneServers.values()) await server.close();
  await rm(workDir, { recursive: true, force: true });
  expect(liveChildren()).toEqual([]);
  expect(await markedProcesses()).toEqual([]);
});

describe('checkPicture', () => {
  it('judges each simulator clip through the hop, and keeps its last frame as a JPEG', async () => {
    const cases: Array<[ClipKind, PictureContext, PictureFault | null]> = [
      ['moving', DAY, null],
      ['moving', NIGHT, null],
      ['black', NIGHT, 'black'],
      ['frozen', DAY, 'frozen'],
      ['noise', DAY, 'noise'],
    ];
    const results = await inPool(cases, 3, ([kind, context]) =>
      check(light.url(kind), context, { snapshotPath: join(workDir, `${kind}-${context.isNight}.jpg`) }),
    );
    results.forEach((result, i) => {
      const [kind, context, fault] = cases[i] as (typeof cases)[number];
      expect(result.outcome, describeResult(result)).toBe('ok');
      expect(result.verdict?.fault, `${kind}: ${describeResult(result)}`).toBe(fault);
      expect(result.frames).toBeGreaterThanOrEqual(90); // 4 s at 25 fps
      expect(result.partial).toBe(false);
      expect(result.snapshotPath).toBe(join(workDir, `${kind}-${context.isNight}.jpg`));
    });
    for (const result of results) {
      const jpeg = await readFile(result.snapshotPath as string);
      expect(jpeg.subarray(0, 2)).toEqual(Buffer.from([0xff, 0xd8]));
      expect(jpeg.subarray(-2)).toEqual(Buffer.from([0xff, 0xd9]));
    }
    // Only the finished snapshots are left, no partial files.
    expect((await readdir(workDir)).filter((f) => f.includes('partial'))).toEqual([]);
  }, 90_000);

  it('a dark live scene at night raises nothing; by day it is a brightness fault', async () => {
    const ir = sceneServers.get('darkLiveIr') as LightRtspServer;
    const colour = sceneServers.get('darkLiveColour') as LightRtspServer;
    const [irNight, colourNight, irDay] = await inPool(
      [
        [ir, NIGHT],
        [colour, NIGHT],
        [ir, DAY],
      ] as const,
      3,
      ([server, context]) => check(server.url(server === ir ? 'darkLiveIr' : 'darkLiveColour'), context),
    );
    expect(irNight?.verdict, describeResult(irNight as PictureResult)).toMatchObject({
      fault: null,
      dark: true,
      infrared: true,
    });
    expect(colourNight?.verdict).toMatchObject({ fault: null, dark: true, infrared: false });
    expect(irDay?.verdict?.fault).toBe('brightness');
    // With a baseline this dim, the same picture by day is normal for the camera.
    const dimCamera = await check(ir.url('darkLiveIr'), { isNight: false, baseline: { yavg: 30 } });
    expect(dimCamera.verdict?.fault).toBeNull();
  }, 90_000);

  it('finds blur and a colour cast by day', async () => {
    const [blurred, cast] = await inPool(['blurred', 'colourCast'] as const, 2, (scene) =>
      check((sceneServers.get(scene) as LightRtspServer).url(scene), DAY, { seconds: 2 }),
    );
    expect(blurred?.verdict?.fault, describeResult(blurred as PictureResult)).toBe('blur');
    expect(cast?.verdict?.fault, describeResult(cast as PictureResult)).toBe('colour_cast');
  }, 60_000);

  it('judges the GStreamer server’s live encoder the same way (Basic auth)', async () => {
    const patterns = ['moving', 'black', 'frozen', 'noise'] as const;
    const results = await inPool([...patterns], 2, (p) =>
      check(gst.url(`/cam/gst-${p}/main`), DAY, { seconds: 2 }),
    );
    expect(results.map((r) => (r.outcome === 'ok' ? r.verdict?.fault : r.outcome))).toEqual([
      null,
      'black',
      'frozen',
      'noise',
    ]);
  }, 90_000);

  it('reports failures instead of verdicts', async () => {
    const wrong = await checkPicture({
      cameraUrl: light.url('moving'),
      credentials: { ...CREDS, password: 'nope' },
      hop,
      deadlineMs: 10_000,
      context: DAY,
      tag: MARKER,
    });
    expect(wrong).toMatchObject({ outcome: 'auth_failed', verdict: null, frames: 0 });
    expect(wrong.error).toContain('401');
    expect(wrong.error).not.toContain('nope');

    const missing = await check(light.url('moving').replace('/moving/', '/nobody/'), DAY, {
      deadlineMs: 10_000,
    });
    expect(missing.outcome).toBe('not_found');
  });

  it('a stalled stream ends within the deadline with no frames, and leaves no snapshot', async () => {
    const snapshotPath = join(workDir, 'stalled.jpg');
    const started = Date.now();
    const result = await check(light.url('stalled'), DAY, {
      deadlineMs: 4000,
      ioTimeoutMs: 1000,
      snapshotPath,
    });
    expect(Date.now() - started).toBeLessThan(4000 + 2000 + 1000);
    expect(['no_frames', 'timeout']).toContain(result.outcome);
    expect(result).toMatchObject({ frames: 0, verdict: null, snapshotPath: null });
    await expect(readFile(snapshotPath)).rejects.toThrow();

    // A deadline shorter than ffmpeg's own I/O timeout: the hard deadline ends it.
    const cut = await check(light.url('stalled'), DAY, { deadlineMs: 1500, ioTimeoutMs: 3000 });
    expect(cut).toMatchObject({ outcome: 'timeout', timedOut: true, frames: 0 });
    expect(cut.ms).toBeLessThan(1500 + 2000 + 1000);
  });

  it('a stream that ends early is judged on what came, and reported partial', async () => {
    const result = await check(light.url('ending'), DAY);
    expect(result.outcome).toBe('ok');
    expect(result.partial).toBe(true);
    expect(result.streamSeconds).toBeLessThan(3);
    expect(result.frames).toBeGreaterThan(20);
    expect(result.verdict?.fault).toBeNull();
  });
});
