import type { Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateSimCameraSpecs } from '../../sim/camera-state.js';
import { type SimCounty, startSimCounty } from '../../sim/county.js';
import { createDiscoveryWorker } from '../../src/discovery/worker.js';
import { bullConnection } from '../../src/queues.js';
import { buildCountyFixture, type CountyFixture, PASSWORD } from '../support/county-fixture.js';
import { login, startTestApi, type TestApi } from '../support/harness.js';

/**
 * Unicast discovery end to end: a scan request on the API → a BullMQ job → a worker probing simulated cameras on
 * 127.51.0.0/27 → results reconciled with the registry → adoption and an accepted move through the API.
 */
let api: TestApi;
let fx: CountyFixture;
let sim: SimCounty;
let worker: Worker;
let connection: Redis;
let admin: { authorization: string };
const specs = generateSimCameraSpecs({ count: 5, base: '127.51.0.1', password: 'Sim:pw@/%1' });

beforeAll(async () => {
  api = await startTestApi({
    env: { XUELIANG_DISCOVERY_PROBE_TIMEOUT_MS: '300', XUELIANG_ONVIF_TIMEOUT_MS: '2000' },
  });
  fx = await buildCountyFixture(api.deps.db);
  admin = await login(api.app, 'admin', PASSWORD);
  sim = await startSimCounty({ cameras: specs });
  connection = bullConnection(api.config, 'test-discovery', api.deps.log);
  worker = createDiscoveryWorker(
    { db: api.deps.db, vault: api.deps.vault, config: api.config, log: api.deps.log },
    connection,
  );
  // the registry knows .1 (as it is), .2 (which will move), .3 (whose unit will be swapped) and .9 (gone)
  const register = async (n: number, host: string, serial: string | null) => {
    const res = await api.app.inject({
      method: 'POST',
      url: '/api/v1/cameras',
      headers: admin,
      payload: {
        name: `登记摄像机${n}`,
        siteId: fx.node.A1s,
        gbCode: `640425000013200071${String(n).padStart(2, '0')}`,
        ip: host,
        onvifUrl: `http://${host}/onvif/device_service`,
        rtspMainUrl: `rtsp://${host}:554/Streaming/Channels/101`,
        rtspSubUrl: `rtsp://${host}/Streaming/Channels/102`,
        credentials: { username: 'admin', password: 'Sim:pw@/%1' },
      },
    });
    expect(res.statusCode).toBe(201);
    if (serial)
      await api.deps.db.query('UPDATE cameras SET serial_number = $2 WHERE id = $1', [res.json().id, serial]);
    return res.json().id as string;
  };
  registered.one = await register(1, '127.51.0.1', specs[0]?.identity.serialNumber ?? null);
  registered.two = await register(2, '127.51.0.2', specs[1]?.identity.serialNumber ?? null);
  registered.three = await register(3, '127.51.0.3', specs[2]?.identity.serialNumber ?? null);
  registered.gone = await register(9, '127.51.0.9', 'GONE-1');
  await sim.camera('sim-0002')?.setIdentity({ host: '127.51.0.20' });
  await sim.camera('sim-0003')?.setIdentity({ serialNumber: 'SWAPPED-UNIT-1' });
}, 60_000);

afterAll(async () => {
  await worker?.close();
  connection?.disconnect();
  await sim?.close();
  await api?.close();
});

const registered = { one: '', two: '', three: '', gone: '' };

async function waitForScan(id: string, until: (status: string) => boolean, ms = 20_000) {
  const deadline = Date.now() + ms;
  for (;;) {
    const res = await api.app.inject({ url: `/api/v1/discovery/scans/${id}`, headers: admin });
    if (until(res.json().status) || Date.now() > deadline) return res.json();
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('unicast discovery', () => {
  let devices: {
    id: string;
    address: string;
    match: string;
    cameraId: string | null;
    serialNumber: string | null;
  }[];

  it('a scan runs as a job, reports progress and finds what the registry knows and does not', async () => {
    const res = await api.app.inject({
      method: 'POST',
      url: '/api/v1/discovery/scans',
      headers: admin,
      payload: { kind: 'unicast', cidrs: ['127.51.0.0/27'], concurrency: 16 },
    });
    expect(res.statusCode).toBe(202);
    expect(res.json()).toMatchObject({ status: 'queued', progress: { total: 30, probed: 0 } });
    const done = await waitForScan(res.json().id, (s) => s === 'done' || s === 'failed');
    expect(done).toMatchObject({ status: 'done', progress: { total: 30, probed: 30, found: 5 } });
    const list = await api.app.inject({ url: `/api/v1/discovery/scans/${done.id}/devices`, headers: admin });
    devices = list.json().items;
    const summary = Object.fromEntries(devices.map((d) => [d.address, [d.match, d.cameraId]]));
    expect(summary).toEqual({
      '127.51.0.1': ['known', registered.one],
      '127.51.0.3': ['serial_changed', registered.three],
      '127.51.0.4': ['new', null],
      '127.51.0.5': ['new', null],
      '127.51.0.9': ['missing', registered.gone],
      '127.51.0.20': ['moved', registered.two],
    });
    expect(devices.find((d) => d.address === '127.51.0.3')?.serialNumber).toBe('SWAPPED-UNIT-1');
  });

  it('a new device is adopted into a site, once', async () => {
    const device = devices.find((d) => d.address === '127.51.0.4');
    const adopt = () =>
      api.app.inject({
        method: 'POST',
        url: `/api/v1/discovery/devices/${device?.id}/adopt`,
        headers: admin,
        payload: { siteId: fx.node.B1s, name: '新发现的摄像机', gbCode: '64042500001320007200' },
      });
    const first = await adopt();
    expect(first.statusCode).toBe(201);
    const camera = await api.app.inject({ url: `/api/v1/cameras/${first.json().cameraId}`, headers: admin });
    expect(camera.json()).toMatchObject({ ip: '127.51.0.4', siteId: fx.node.B1s });
    expect(camera.json().onvifUrl).toMatch(/^http:\/\/127\.51\.0\.4(:80)?\/onvif\/device_service$/);
    const { rows } = await api.deps.db.query('SELECT endpoint_ref FROM cameras WHERE id = $1', [
      first.json().cameraId,
    ]);
    expect(rows[0].endpoint_ref).toMatch(/^urn:uuid:/);
    expect((await adopt()).statusCode).toBe(409);
  });

  it('a moved camera follows its device when the move is accepted; a known one cannot be adopted', async () => {
    const moved = devices.find((d) => d.match === 'moved');
    const res = await api.app.inject({
      method: 'POST',
      url: `/api/v1/discovery/devices/${moved?.id}/accept-move`,
      headers: admin,
    });
    expect(res.statusCode).toBe(200);
    const camera = await api.app.inject({ url: `/api/v1/cameras/${registered.two}`, headers: admin });
    expect(camera.json()).toMatchObject({
      ip: '127.51.0.20',
      rtspMainUrl: 'rtsp://127.51.0.20:554/Streaming/Channels/101',
      rtspSubUrl: 'rtsp://127.51.0.20/Streaming/Channels/102',
    });
    expect(camera.json().onvifUrl).toMatch(/^http:\/\/127\.51\.0\.20(:80)?\/onvif\/device_service$/);
    const known = devices.find((d) => d.match === 'known');
    const adopt = await api.app.inject({
      method: 'POST',
      url: `/api/v1/discovery/devices/${known?.id}/adopt`,
      headers: admin,
      payload: { siteId: fx.node.B1s, name: 'x', gbCode: '64042500001320007201' },
    });
    expect(adopt.statusCode).toBe(409);
  });

  it('a running scan can be cancelled', async () => {
    const res = await api.app.inject({
      method: 'POST',
      url: '/api/v1/discovery/scans',
      headers: admin,
      payload: { kind: 'unicast', cidrs: ['127.52.0.0/20'], concurrency: 8 },
    });
    await waitForScan(res.json().id, (s) => s === 'running');
    const cancel = await api.app.inject({
      method: 'POST',
      url: `/api/v1/discovery/scans/${res.json().id}/cancel`,
      headers: admin,
    });
    expect(cancel.statusCode).toBe(202);
    const end = await waitForScan(res.json().id, (s) => s === 'cancelled' || s === 'done');
    expect(end.status).toBe('cancelled');
    expect(end.progress.probed).toBeLessThan(end.progress.total);
  });

  it.each([
    [{ kind: 'unicast', cidrs: ['10.0.0.0/33'] }, 400, 'cidrs.0'],
    [{ kind: 'unicast', cidrs: ['10.0.0.0/8'] }, 400, 'cidrs.0'],
    [{ kind: 'unicast' }, 400, 'cidrs'],
    [{ kind: 'unicast', districtId: 'A' }, 400, 'districtId'],
    [{ kind: 'multicast' }, 400, 'interface'],
    [{ kind: 'broadcast' }, 400, 'kind'],
  ])('%o → %i naming %s', async (payload, status, field) => {
    const body = { ...payload } as Record<string, unknown>;
    if (body.districtId === 'A') body.districtId = fx.node.A;
    const res = await api.app.inject({
      method: 'POST',
      url: '/api/v1/discovery/scans',
      headers: admin,
      payload: body,
    });
    expect(res.statusCode).toBe(status);
    expect(res.json().field).toBe(field);
  });

  it('with Redis unreachable a scan request answers 503 at once and the scan is marked failed', async () => {
    const broken = await startTestApi({
      databaseUrl: api.config.databaseUrl,
      env: { REDIS_URL: 'redis://127.0.0.1:9' },
    });
    try {
      const res = await broken.app.inject({
        method: 'POST',
        url: '/api/v1/discovery/scans',
        headers: admin,
        payload: { kind: 'unicast', cidrs: ['127.51.0.0/30'] },
      });
      expect(res.statusCode).toBe(503);
      const { rows } = await api.deps.db.query(
        "SELECT status, error FROM discovery_scans WHERE params->>'cidrs' = '[\"127.51.0.0/30\"]'",
      );
      expect(rows).toEqual([{ status: 'failed', error: 'the job queue could not be reached' }]);
    } finally {
      await broken.close();
    }
  });

  it('a town with network ranges can be scanned by naming it; only admins scan', async () => {
    const patch = await api.app.inject({
      method: 'PATCH',
      url: `/api/v1/districts/${fx.node.A}`,
      headers: admin,
      payload: { networkCidrs: ['127.51.0.0/29'] },
    });
    expect(patch.json().networkCidrs).toEqual(['127.51.0.0/29']);
    const scan = await api.app.inject({
      method: 'POST',
      url: '/api/v1/discovery/scans',
      headers: admin,
      payload: { kind: 'unicast', districtId: fx.node.A },
    });
    expect(scan.json().progress.total).toBe(6);
    const bureau = await login(api.app, 'bureau', PASSWORD);
    const denied = await api.app.inject({
      method: 'POST',
      url: '/api/v1/discovery/scans',
      headers: bureau,
      payload: { kind: 'unicast', cidrs: ['127.51.0.0/29'] },
    });
    expect(denied.statusCode).toBe(403);
    await waitForScan(scan.json().id, (s) => s === 'done');
  });
});
