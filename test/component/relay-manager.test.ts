import { randomBytes } from 'node:crypto';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { NO_FAULTS, type RtspCameraView } from '../../sim/rtsp/fault-view.js';
import { type GstRtspServer, startGstRtspServer } from '../../sim/rtsp/gst-server.js';
import { ensureH265Clip } from '../../sim/rtsp/h265-clip.js';
import { type LightRtspServer, startLightRtspServer } from '../../sim/rtsp/light-server.js';
import { type CredentialHop, startCredentialHop } from '../../src/media/credential-hop.js';
import { localUpstreamFactory } from '../../src/relay/ffmpeg-upstream.js';
import { createRelayMetrics } from '../../src/relay/metrics.js';
import { CLOSE_TOO_SLOW, RelayManager } from '../../src/relay/relay-manager.js';
import { probeTs, processesWith, startRelayDb, TestViewer, waitFor } from '../support/relay-rig.js';

const GST_HOST = '127.61.0.1';
const HOP_HOST = '127.61.0.2';
const H265_HOST = '127.61.0.3';
const CREDS = { username: 'relay', password: 'Relay:p@ss/%1' };
const TAG = `xlt-relay-${randomBytes(5).toString('hex')}`;
const log = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });

let rig: Awaited<ReturnType<typeof startRelayDb>>;
let gst: GstRtspServer;
let hop: CredentialHop;
let h265: LightRtspServer;
const h265Camera = (id: string): RtspCameraView => ({
  id,
  path: `/cam/${id}/main`,
  ...CREDS,
  auth: 'digest',
  faults: () => NO_FAULTS,
});
const managers: RelayManager[] = [];

const mount = (path: string) => ({
  path,
  pattern: 'moving' as const,
  width: 320,
  height: 180,
  fps: 25,
  auth: { user: CREDS.username, password: CREDS.password },
});

beforeAll(async () => {
  rig = await startRelayDb({
    XUELIANG_RELAY_STALL_MS: '3000',
    XUELIANG_RELAY_RESTART_BASE_MS: '200',
    XUELIANG_RELAY_RESTART_MAX_MS: '1000',
    XUELIANG_RELAY_IDLE_STOP_MS: '300',
    XUELIANG_RELAY_VIEWER_MAX_BUFFER_BYTES: String(64 << 10),
    XUELIANG_RELAY_MAX_TRANSCODES: '1',
  });
  gst = await startGstRtspServer({
    host: GST_HOST,
    port: 0,
    mounts: ['/fan', '/late', '/slow', '/stall'].map(mount),
  });
  hop = await startCredentialHop({ host: HOP_HOST });
  h265 = await startLightRtspServer({
    host: H265_HOST,
    port: 0,
    clip: await ensureH265Clip(),
    cameras: [h265Camera('hevc1'), h265Camera('hevc2')],
  });
}, 60_000);

afterEach(async () => {
  for (const m of managers.splice(0)) await m.close();
});

afterAll(async () => {
  for (const m of managers.splice(0)) await m.close();
  await hop?.close();
  await h265?.close();
  await gst?.close();
  await rig?.close();
});

function manager(metrics?: ReturnType<typeof createRelayMetrics>) {
  const factory = localUpstreamFactory({
    db: rig.db,
    vault: rig.vault,
    hop,
    config: rig.config,
    log,
    tag: TAG,
  });
  const m = new RelayManager(factory, rig.config, log, metrics);
  managers.push(m);
  return m;
}

describe('relay manager over ffmpeg and a GStreamer camera', () => {
  it('ten viewers of one camera: one session at the camera, valid MPEG-TS for each, metrics', async () => {
    const camera = await rig.addCamera(gst.url('/fan'), null, CREDS);
    const metrics = createRelayMetrics(new Registry());
    const m = manager(metrics);
    const viewers = Array.from({ length: 10 }, () => new TestViewer());
    const detach = await Promise.all(viewers.map((v) => m.attach(camera, v)));
    await waitFor('every viewer to get 2 s of video', () =>
      viewers.every((v) => v.received > 0 && v.lastStatus === 'live'),
    );
    await new Promise((r) => setTimeout(r, 2000));
    const counts = await gst.sessions('/fan');
    expect(counts).toEqual({ media: 1, sessions: 1 });
    const ffmpegs = await processesWith(TAG);
    expect(ffmpegs.live.filter((p) => /^\d+ ffmpeg /.test(p) && p.includes(camera))).toHaveLength(1);
    expect(ffmpegs.live.join('\n')).not.toContain(CREDS.password);
    for (const v of viewers) {
      const probe = await probeTs(v.bytes());
      expect(probe.codec, probe.errors).toBe('h264');
      expect(probe.frames).toBeGreaterThanOrEqual(25);
      expect(probe.firstKey).toBe(true);
    }
    const stats = m.stats(camera);
    expect(stats).toMatchObject({ status: 'live', kind: 'copy', viewers: 10 });
    expect(stats?.fps).toBeGreaterThan(10);
    expect(stats?.keyframes).toBeGreaterThan(0);
    expect((await metrics.viewers.get()).values[0]?.value).toBe(10);
    expect((await metrics.bytesOut.get()).values[0]?.value).toBeGreaterThan(0);
    for (const d of detach) d();
    await waitFor('the idle stop', async () => (await processesWith(TAG)).live.length === 0);
    expect(m.stats(camera)).toBeNull();
    // our side lets go at once; the server ends the session when it sees that (or, at worst, at its own
    // 60 s session timeout, which a loaded machine has been seen to need)
    await waitFor('the hop to let go of the camera', () => hop.connections === 0);
    await waitFor(
      'the camera session to end',
      async () => (await gst.sessions('/fan')).sessions === 0,
      65_000,
    );
  }, 120_000);

  it('a late viewer starts with PAT, PMT and a keyframe', async () => {
    const camera = await rig.addCamera(gst.url('/late'), null, CREDS);
    const m = manager();
    const first = new TestViewer();
    await m.attach(camera, first);
    await waitFor('bytes', () => first.received > 0);
    await new Promise((r) => setTimeout(r, 1500)); // well inside a GOP (1 s here) or past it
    const late = new TestViewer();
    await m.attach(camera, late);
    expect(late.received).toBeGreaterThan(0); // served from the cache at once
    await new Promise((r) => setTimeout(r, 1000));
    const bytes = late.bytes();
    const pid = (at: number) => ((bytes[at + 1] ?? 0) & 0x1f) * 256 + (bytes[at + 2] ?? 0);
    expect(pid(0)).toBe(0);
    // the PAT's first programme names the PMT's PID
    const pmtPid = ((bytes[5 + 8 + 2] ?? 0) & 0x1f) * 256 + (bytes[5 + 8 + 3] ?? 0);
    expect(pid(188)).toBe(pmtPid);
    expect((bytes[376 + 1] ?? 0) & 0x40).toBe(0x40); // a PES starts there
    const probe = await probeTs(bytes);
    expect(probe.codec).toBe('h264');
    expect(probe.firstKey).toBe(true);
  });

  it('a viewer that stops reading is skipped ahead, then closed; the others do not notice', async () => {
    const camera = await rig.addCamera(gst.url('/slow'), null, CREDS);
    const m = new RelayManager(
      localUpstreamFactory({ db: rig.db, vault: rig.vault, hop, config: rig.config, log, tag: TAG }),
      rig.config,
      log,
      undefined,
      { giveUpMs: 3000 },
    );
    managers.push(m);
    const slow = new TestViewer();
    const fast = new TestViewer();
    await m.attach(camera, slow);
    await m.attach(camera, fast);
    await waitFor('bytes', () => slow.received > 0 && fast.received > 0);
    slow.paused = true;
    const before = fast.received;
    const startedAt = Date.now();
    await waitFor('the slow viewer to be closed', () => slow.closed !== null, 15_000);
    expect(slow.closed?.code).toBe(CLOSE_TOO_SLOW);
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(3000);
    // its backlog never grew much past the limit: one chunk over at most
    expect(slow.maxBacklog).toBeLessThan(rig.config.relay.viewerMaxBufferBytes + (256 << 10));
    await new Promise((r) => setTimeout(r, 1000));
    expect(fast.closed).toBeNull();
    const probe = await probeTs(fast.bytes().subarray(0));
    expect(probe.frames).toBeGreaterThan(25 * 3);
    expect(fast.received).toBeGreaterThan(before);
  });

  it('a viewer that falls behind and drains resumes at a keyframe with PAT and PMT first', async () => {
    const camera = await rig.addCamera(gst.url('/slow'), null, CREDS);
    const m = manager();
    const v = new TestViewer();
    await m.attach(camera, v);
    await waitFor('bytes', () => v.received > 0);
    v.paused = true;
    await waitFor('a backlog over the limit', () => v.backlog > rig.config.relay.viewerMaxBufferBytes);
    await new Promise((r) => setTimeout(r, 300));
    const atResume = v.chunks.length;
    v.paused = false;
    v.backlog = 0; // the client caught up
    await waitFor('bytes again', () => v.chunks.length > atResume + 3);
    const resumed = Buffer.concat(v.chunks.slice(atResume));
    expect(((resumed[1] ?? 0) & 0x1f) * 256 + (resumed[2] ?? 0)).toBe(0);
    await new Promise((r) => setTimeout(r, 1000));
    const probe = await probeTs(Buffer.concat(v.chunks.slice(atResume)));
    expect(probe.firstKey).toBe(true);
    expect(v.closed).toBeNull();
  });

  it('an upstream stall: viewers see reconnecting, the upstream restarts, viewers resume', async () => {
    const camera = await rig.addCamera(gst.url('/stall'), null, CREDS);
    const m = manager();
    const v = new TestViewer();
    await m.attach(camera, v);
    await waitFor('live', () => v.lastStatus === 'live' && v.received > 0);
    await gst.setStall('/stall', true);
    await waitFor('reconnecting', () => v.lastStatus === 'reconnecting', 10_000);
    const pid = (await processesWith(TAG)).live;
    await gst.setStall('/stall', false);
    const before = v.received;
    await waitFor('live again', () => v.lastStatus === 'live' && v.received > before, 20_000);
    expect(v.statuses.map((s) => s.status)).toEqual(
      expect.arrayContaining(['starting', 'live', 'reconnecting', 'live']),
    );
    // a new ffmpeg: the stalled one was killed
    const now = (await processesWith(TAG)).live;
    expect(now.filter((p) => /^\d+ ffmpeg /.test(p))).toHaveLength(1);
    expect(now.filter((p) => pid.includes(p))).toHaveLength(0);
    expect(v.closed).toBeNull();
    await new Promise((r) => setTimeout(r, 1500));
    const reconnectedAt = v.statuses.find((s) => s.status === 'reconnecting')?.at ?? 0;
    const after = Buffer.concat(v.chunks.slice(reconnectedAt));
    expect(((after[1] ?? 0) & 0x1f) * 256 + (after[2] ?? 0)).toBe(0); // PAT first
    const probe = await probeTs(after);
    expect(probe.firstKey).toBe(true);
    expect(probe.frames).toBeGreaterThan(10);
  });

  it('an H.265 camera is transcoded to H.264 for every viewer; past the cap viewers get snapshots_only', async () => {
    const first = await rig.addCamera(h265.url('hevc1'), h265.url('hevc1', 'sub'), CREDS);
    const second = await rig.addCamera(h265.url('hevc2'), h265.url('hevc2', 'sub'), CREDS);
    const m = manager();
    const [a, b, c] = [new TestViewer(), new TestViewer(), new TestViewer()];
    await m.attach(first, a);
    await m.attach(first, b);
    await waitFor('transcoded bytes', () => a.received > 0 && b.received > 0, 20_000);
    expect(m.stats(first)?.kind).toBe('transcode');
    await m.attach(second, c);
    await waitFor('the refusal', () => c.closed !== null);
    expect(c.lastStatus).toBe('snapshots_only');
    expect(c.received).toBe(0);
    expect(m.stats(second)).toBeNull();
    await new Promise((r) => setTimeout(r, 2000));
    for (const v of [a, b]) {
      const probe = await probeTs(v.bytes());
      expect(probe.codec, probe.errors).toBe('h264');
      expect(probe.frames).toBeGreaterThan(10);
      expect(probe.firstKey).toBe(true);
    }
    // the transcode's slot comes back once it stopped
    await m.close();
    const d = new TestViewer();
    const again = manager();
    await again.attach(second, d);
    await waitFor('the second camera transcoded', () => d.received > 0, 20_000);
    expect(d.statuses.map((s) => s.status)).not.toContain('snapshots_only');
  });
});
