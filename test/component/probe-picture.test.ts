import { readdirSync, readFileSync } from 'node:fs';
import type { Queue, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPictureContext } from '../../src/probing/picture-context.js';
import { createProbeWorker } from '../../src/probing/worker.js';
import { bullConnection, createQueue, type ProbeJob, QUEUES } from '../../src/queues.js';
import { buildCountyFixture, PASSWORD } from '../support/county-fixture.js';
import { login, startTestApi, type TestApi } from '../support/harness.js';
import { RTSP_PASSWORD, type RtspCounty, startRtspCounty } from '../support/rtsp-county.js';

// The picture layer in the probe pipeline: ffmpeg through the credential hop, a verdict into the ledger,
// the last frame kept as the camera's snapshot.
let api: TestApi;
let county: RtspCounty;
let connection: Redis;
let queue: Queue<ProbeJob>;
let worker: Worker<ProbeJob>;
let pictures: Awaited<ReturnType<typeof startPictureContext>>;

beforeAll(async () => {
  api = await startTestApi({
    env: {
      XUELIANG_PROBE_INTERVAL_MS: '2000',
      XUELIANG_PROBE_SHARDS: '2',
      XUELIANG_PROBE_TIMEOUT_MS: '1000',
      // each camera's picture every fourth slot (8 s): a check takes about 5 s, so they never overlap
      XUELIANG_PROBE_PICTURE_EVERY: '4',
      XUELIANG_MAX_DECODERS: '2',
    },
  });
  const fx = await buildCountyFixture(api.deps.db);
  county = await startRtspCounty(api.deps.db, api.deps.vault, fx.node.A1s, 2, '127.58.0.1');
  connection = bullConnection(api.config, 'test-picture', api.deps.log);
  queue = createQueue<ProbeJob>(api.config, QUEUES.probe, connection, api.deps.log);
  pictures = await startPictureContext(api.config, connection);
  const ctx = {
    db: api.deps.db,
    vault: api.deps.vault,
    config: api.config,
    log: api.deps.log,
    picture: pictures.picture,
  };
  worker = await createProbeWorker(ctx, queue, connection, 4);
}, 60_000);

afterAll(async () => {
  await worker?.close();
  await queue?.close();
  await pictures?.close();
  connection?.disconnect();
  await county?.server.close();
  await api?.close();
});

const stateOf = async (cameraId: string) =>
  (await api.deps.db.query('SELECT state, reason FROM camera_health WHERE camera_id = $1', [cameraId]))
    .rows[0] ?? null;

async function waitForState(
  cameraId: string,
  ok: (s: { state: string; reason: string | null } | null) => boolean,
) {
  const deadline = Date.now() + 40_000;
  for (;;) {
    const s = await stateOf(cameraId);
    if (ok(s) || Date.now() > deadline) return s;
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Every process command line on the machine, read while the probes run. */
function commandLines(): string[] {
  return readdirSync('/proc')
    .filter((e) => /^\d+$/.test(e))
    .map((pid) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
      } catch {
        return '';
      }
    });
}

describe('the picture layer', () => {
  it('a black picture makes a camera degraded (online, not effective); its snapshot is served; it recovers', async () => {
    const [cam, other] = county.cameraIds as [string, string];
    // while ffmpeg decodes, no command line on the machine may carry the camera password
    const seen = { ffmpeg: 0, leaks: [] as string[] };
    const sampler = setInterval(() => {
      for (const line of commandLines()) {
        if (line.includes('ffmpeg')) seen.ffmpeg++;
        if (line.includes(RTSP_PASSWORD) || line.includes(encodeURIComponent(RTSP_PASSWORD)))
          seen.leaks.push(line);
      }
    }, 100);
    county.setFaults(cam, { black: true });
    expect(await waitForState(cam, (s) => s?.state === 'degraded')).toEqual({
      state: 'degraded',
      reason: 'picture:black',
    });
    const admin = await login(api.app, 'admin', PASSWORD);
    const snapshot = await api.app.inject({ url: `/api/v1/cameras/${cam}/snapshot`, headers: admin });
    expect(snapshot.statusCode).toBe(200);
    expect(snapshot.headers['content-type']).toBe('image/jpeg');
    expect(snapshot.rawPayload.subarray(0, 2).toString('hex')).toBe('ffd8');
    county.setFaults(cam, { black: false });
    expect(await waitForState(cam, (s) => s?.state === 'online')).toEqual({ state: 'online', reason: null });
    // the other camera's moving picture raised nothing all along
    const { rows } = await api.deps.db.query(
      "SELECT count(*)::int AS n FROM health_events WHERE camera_id = $1 AND to_state <> 'online'",
      [other],
    );
    expect(rows[0].n).toBe(0);
    clearInterval(sampler);
    expect(seen.ffmpeg).toBeGreaterThan(0);
    expect(seen.leaks).toEqual([]);
  }, 100_000);
});
