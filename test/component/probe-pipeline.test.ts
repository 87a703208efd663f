import { createServer } from 'node:net';
import type { Queue, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createProbeMetrics } from '../../src/probing/metrics.js';
import { createProbeWorker } from '../../src/probing/worker.js';
import { bullConnection, createQueue, type ProbeJob, QUEUES } from '../../src/queues.js';
import { buildCountyFixture, PASSWORD } from '../support/county-fixture.js';
import { login, startTestApi, type TestApi } from '../support/harness.js';
import { type RtspCounty, startRtspCounty } from '../support/rtsp-county.js';

// Probe workers on BullMQ against simulated RTSP cameras: slots, layers, hysteresis and the stored health.
const INTERVAL_MS = 1000;
let api: TestApi;
let county: RtspCounty;
let connection: Redis;
let queue: Queue<ProbeJob>;
let worker: Worker<ProbeJob>;
const registry = new Registry();

beforeAll(async () => {
  api = await startTestApi({
    env: {
      XUELIANG_PROBE_INTERVAL_MS: String(INTERVAL_MS),
      XUELIANG_PROBE_SHARDS: '4',
      XUELIANG_PROBE_TIMEOUT_MS: '800',
      XUELIANG_PROBE_STREAM_WINDOW_MS: '400',
    },
  });
  const fx = await buildCountyFixture(api.deps.db);
  // the fixture's own cameras have no stream URL and are not probed
  county = await startRtspCounty(api.deps.db, api.deps.vault, fx.node.A1s, 12, '127.56.0.1');
  connection = bullConnection(api.config, 'test-probe', api.deps.log);
  queue = createQueue<ProbeJob>(api.config, QUEUES.probe, connection, api.deps.log);
  const ctx = {
    db: api.deps.db,
    vault: api.deps.vault,
    config: api.config,
    log: api.deps.log,
    probeMetrics: createProbeMetrics(registry),
  };
  worker = await createProbeWorker(ctx, queue, connection, 8);
}, 60_000);

afterAll(async () => {
  await worker?.close();
  await queue?.close();
  connection?.disconnect();
  await county?.server.close();
  await api?.close();
});

const stateOf = async (cameraId: string) =>
  (await api.deps.db.query('SELECT state, reason FROM camera_health WHERE camera_id = $1', [cameraId]))
    .rows[0] ?? null;

async function waitFor<T>(
  read: () => Promise<T>,
  ok: (v: T) => boolean,
  ms: number,
): Promise<{ value: T; ms: number }> {
  const started = Date.now();
  for (;;) {
    const value = await read();
    if (ok(value) || Date.now() - started > ms) return { value, ms: Date.now() - started };
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('probing on BullMQ', () => {
  it('brings every camera online and records each slot of each camera once', async () => {
    const { value } = await waitFor(
      async () =>
        (await api.deps.db.query("SELECT count(*)::int AS n FROM camera_health WHERE state = 'online'"))
          .rows[0].n,
      (n) => n === 12,
      15_000,
    );
    expect(value).toBe(12);
    const slots = async () =>
      (
        await api.deps.db.query<{ slot_at: Date; n: number }>(
          `SELECT slot_at, count(*)::int AS n FROM probe_results WHERE kind = 'slot' AND camera_id = ANY($1::uuid[])
            GROUP BY slot_at ORDER BY slot_at`,
          [county.cameraIds],
        )
      ).rows;
    const { value: rows } = await waitFor(slots, (r) => r.length >= 4, 15_000);
    // the slots in the middle of the run are complete: one result for each of the 12 cameras
    const middle = rows.slice(1, -1);
    expect(middle.length).toBeGreaterThanOrEqual(2);
    for (const r of middle) expect(r.n).toBe(12);
  });

  it('a camera going dark is offline within seconds (three failures, fast re-probes)', async () => {
    const cam = county.cameraIds[0] as string;
    county.setFaults(cam, { offline: true });
    const { value, ms } = await waitFor(
      () => stateOf(cam),
      (s) => s?.state === 'offline',
      15_000,
    );
    expect(value).toMatchObject({ state: 'offline', reason: 'network' });
    expect(ms).toBeLessThan(15_000);
    const { rows } = await api.deps.db.query(
      "SELECT count(*)::int AS n FROM probe_results WHERE camera_id = $1 AND kind = 'reprobe'",
      [cam],
    );
    expect(rows[0].n).toBeGreaterThanOrEqual(1);
    county.setFaults(cam, { offline: false });
    await waitFor(
      () => stateOf(cam),
      (s) => s?.state === 'online',
      15_000,
    );
    expect((await stateOf(cam))?.state).toBe('online');
  });

  it('refused credentials are an auth failure, not offline', async () => {
    const cam = county.cameraIds[1] as string;
    county.setFaults(cam, { authFails: true });
    const { value } = await waitFor(
      () => stateOf(cam),
      (s) => s?.state !== 'online',
      15_000,
    );
    expect(value).toMatchObject({ state: 'degraded', reason: 'auth_failure' });
    county.setFaults(cam, { authFails: false });
  });

  it('a session limit (453) is inconclusive: the camera stays as it was', async () => {
    const cam = county.cameraIds[2] as string;
    county.setFaults(cam, { sessionLimit: true });
    // the simulator answers 453 at SETUP, which only the stream layer sends (every sixth slot)
    await new Promise((r) => setTimeout(r, 8 * INTERVAL_MS));
    expect(await stateOf(cam)).toMatchObject({ state: 'online' });
    const { rows } = await api.deps.db.query(
      "SELECT count(*)::int AS n FROM probe_results WHERE camera_id = $1 AND handshake = 'session_limit'",
      [cam],
    );
    expect(rows[0].n).toBeGreaterThanOrEqual(1);
    county.setFaults(cam, { sessionLimit: false });
  });

  it('a stream that stalls with RTSP up is caught by the stream layer', async () => {
    const cam = county.cameraIds[3] as string;
    county.setFaults(cam, { streamStall: true });
    const { value } = await waitFor(
      () => stateOf(cam),
      (s) => s?.state === 'offline',
      30_000,
    );
    expect(value).toMatchObject({ state: 'offline' });
    const { rows } = await api.deps.db.query(
      "SELECT stream->>'outcome' AS outcome FROM probe_results WHERE camera_id = $1 AND stream IS NOT NULL ORDER BY slot_at DESC LIMIT 1",
      [cam],
    );
    expect(['stalled', 'no_frames']).toContain(rows[0].outcome);
    county.setFaults(cam, { streamStall: false });
  });

  it('the health view shows each layer; the ONVIF port is checked with the stream layer', async () => {
    const [open, closed] = [county.cameraIds[4] as string, county.cameraIds[5] as string];
    const listener = createServer((socket) => socket.destroy());
    await new Promise<void>((r) => listener.listen(0, '127.56.0.1', r));
    const port = (listener.address() as { port: number }).port;
    try {
      await api.deps.db.query('UPDATE cameras SET onvif_url = $2 WHERE id = $1', [
        open,
        `http://127.56.0.1:${port}/onvif/device_service`,
      ]);
      // nothing listens there
      await api.deps.db.query('UPDATE cameras SET onvif_url = $2 WHERE id = $1', [
        closed,
        'http://127.56.0.1:9/onvif/device_service',
      ]);
      const admin = await login(api.app, 'admin', PASSWORD);
      const layersOf = async (id: string) =>
        (await api.app.inject({ url: `/api/v1/cameras/${id}/health`, headers: admin })).json().layers;
      const { value } = await waitFor(
        async () => [await layersOf(open), await layersOf(closed)],
        ([a, b]) => a.network.onvifPort.ok !== null && b.network.onvifPort.ok !== null,
        20_000,
      );
      const [a, b] = value;
      expect(a.network).toMatchObject({ ok: true, outcome: 'ok', onvifPort: { ok: true, outcome: 'ok' } });
      expect(b.network.onvifPort).toMatchObject({ ok: false, outcome: 'refused' });
      // the video is fine whatever the management port does
      expect(b.stream).toMatchObject({ ok: true, outcome: 'ok' });
      expect(b.signalling).toMatchObject({ ok: true, outcome: 'ok' });
      expect(await stateOf(closed)).toMatchObject({ state: 'online' });
    } finally {
      await new Promise((r) => listener.close(r));
    }
  });

  it('every change is a durable event', async () => {
    const { rows } = await api.deps.db.query(
      'SELECT to_state, to_reason FROM health_events WHERE camera_id = $1 ORDER BY id',
      [county.cameraIds[0]],
    );
    expect(rows.map((r) => r.to_state)).toEqual(['online', 'offline', 'online']);
  });
});

describe('probe metrics', () => {
  it('count probes by layer and outcome, and cameras by state per town on the API', async () => {
    const text = await registry.metrics();
    expect(text).toMatch(/xueliang_probes_total\{layer="handshake",outcome="ok"\} [1-9]/);
    expect(text).toMatch(/xueliang_probes_total\{layer="(handshake|stream)",outcome="network"\} [1-9]/);
    expect(text).toMatch(/xueliang_probe_duration_seconds_count\{layer="stream"\} [1-9]/);
    expect(text).not.toContain(county.cameraIds[0]);
    const api_ = await api.app.inject({ url: '/metrics' });
    // the fixture's town A ('FX-A') holds the twelve RTSP cameras (plus two fixture cameras never probed)
    expect(api_.body).toMatch(/xueliang_cameras\{town="FX-A",state="online"\} 1[0-2]/);
    expect(api_.body).toMatch(/xueliang_cameras\{town="FX-B",state="unknown"\} 1/);
  });
});
