import type { Queue, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateSimCameraSpecs } from '../../sim/camera-state.js';
import { type SimCounty, startSimCounty } from '../../sim/county.js';
import { pollCamera } from '../../src/inventory/poll-service.js';
import { enqueueDueInventory } from '../../src/inventory/schedule.js';
import { createInventoryWorker } from '../../src/inventory/worker.js';
import { bullConnection, createQueue, type InventoryJob, QUEUES } from '../../src/queues.js';
import { buildCountyFixture, type CountyFixture, PASSWORD } from '../support/county-fixture.js';
import { login, startTestApi, type TestApi } from '../support/harness.js';

// A canary in the credentials: it must never reach a stored reply, a change record or an API response.
const CANARY = 'Inv:c@n/%ary1';
const specs = generateSimCameraSpecs({ count: 3, base: '127.53.0.1', password: CANARY });
const TIMEOUT_MS = 1500;

let api: TestApi;
let fx: CountyFixture;
let sim: SimCounty;
let admin: { authorization: string };
const cameraIds: string[] = [];

beforeAll(async () => {
  api = await startTestApi({
    env: { XUELIANG_ONVIF_TIMEOUT_MS: String(TIMEOUT_MS), XUELIANG_INVENTORY_INTERVAL_SECONDS: '60' },
  });
  fx = await buildCountyFixture(api.deps.db);
  admin = await login(api.app, 'admin', PASSWORD);
  sim = await startSimCounty({ cameras: specs });
  for (const [i, spec] of specs.entries()) {
    const res = await api.app.inject({
      method: 'POST',
      url: '/api/v1/cameras',
      headers: admin,
      payload: {
        // the simulator's on-screen label is '雪亮 SIM 000n': the registered name appears in it
        name: `SIM ${String(i + 1).padStart(4, '0')}`,
        siteId: fx.node.A1s,
        gbCode: `64042500001320008${String(i).padStart(3, '0')}`,
        ip: spec.host,
        onvifUrl: sim.camera(spec.id)?.deviceUrl,
        credentials: { username: spec.credentials.username, password: CANARY },
      },
    });
    expect(res.statusCode).toBe(201);
    cameraIds.push(res.json().id);
  }
}, 60_000);

afterAll(async () => {
  await sim?.close();
  await api?.close();
});

const ctx = () => ({ db: api.deps.db, vault: api.deps.vault, config: api.config, log: api.deps.log });
const inventory = (id: string) =>
  api.app.inject({ url: `/api/v1/cameras/${id}/inventory`, headers: admin }).then((r) => r.json());
const id0 = () => cameraIds[0] as string;
const sim0 = () => sim.camera(specs[0]?.id ?? '');

describe('ONVIF inventory polling', () => {
  it('reads identity, streams, clock and label, and learns the serial number', async () => {
    const stored = await pollCamera(ctx(), id0());
    expect(stored?.ok).toBe(true);
    const inv = await inventory(id0());
    expect(inv).toMatchObject({
      ok: true,
      manufacturer: specs[0]?.identity.manufacturer,
      model: specs[0]?.identity.model,
      firmwareVersion: specs[0]?.identity.firmwareVersion,
      serialNumber: specs[0]?.identity.serialNumber,
      mainStreamUri: specs[0]?.rtspUrls.main,
      subStreamUri: specs[0]?.rtspUrls.sub,
      flags: { clockDrift: false, osdMismatch: false },
      changes: [],
    });
    expect(Math.abs(inv.clockOffsetSeconds)).toBeLessThan(5);
    expect(inv.osdTexts).toContain('雪亮 SIM 0001');
    const { rows } = await api.deps.db.query('SELECT serial_number FROM cameras WHERE id = $1', [id0()]);
    expect(rows[0].serial_number).toBe(specs[0]?.identity.serialNumber);
  });

  // 600 s is beyond the 5 minutes in which a camera accepts a WS-UsernameToken stamped with our own clock
  it('flags a firmware change, a drifting clock and a wrong on-screen label', async () => {
    await sim0()?.setIdentity({ firmwareVersion: 'V9.9.9 build 261129' });
    await sim0()?.setFaults({ clockDriftSeconds: 600, osdLabel: '古城镇 错误的位置' });
    await pollCamera(ctx(), id0());
    const inv = await inventory(id0());
    expect(inv.flags).toEqual({ clockDrift: true, osdMismatch: true });
    expect(inv.clockOffsetSeconds).toBeGreaterThan(595);
    const fields = inv.changes.map((c: { field: string }) => c.field).sort();
    expect(fields).toEqual(['clock_offset', 'firmware_version', 'osd_label']);
    const firmware = inv.changes.find((c: { field: string }) => c.field === 'firmware_version');
    expect(firmware).toMatchObject({
      oldValue: specs[0]?.identity.firmwareVersion,
      newValue: 'V9.9.9 build 261129',
    });
    // a second read of the same state records nothing new
    await pollCamera(ctx(), id0());
    expect((await inventory(id0())).changes).toHaveLength(3);
  });

  it.each([
    ['authFails', { authFails: true }, 'auth'],
    ['malformedSoap', { malformedSoap: true }, 'malformed'],
    ['offline', { offline: true }, 'refused'],
    ['onvifHangs', { onvifHangs: true }, 'timeout'],
  ] as const)(
    'a camera with %s is a recorded failed read of kind %s, in time',
    async (_name, faults, kind) => {
      await sim0()?.resetFaults();
      await sim0()?.setFaults(faults);
      const started = Date.now();
      const stored = await pollCamera(ctx(), id0());
      // functional deadline: the whole read ends within the call deadline, with generous slack
      expect(Date.now() - started).toBeLessThan(TIMEOUT_MS * 2 + 2000);
      expect(stored).toMatchObject({ ok: false, errorKind: kind });
      const inv = await inventory(id0());
      expect(inv.ok).toBe(false);
      // the last good identity stays
      expect(inv.firmwareVersion).toBe('V9.9.9 build 261129');
      await sim0()?.resetFaults();
    },
  );

  it('no stored reply, change or response carries the camera password', async () => {
    const { rows } = await api.deps.db.query(
      `SELECT (SELECT string_agg(i::text, ' ') FROM camera_inventory i) AS inv,
              (SELECT string_agg(c::text, ' ') FROM inventory_changes c) AS changes`,
    );
    const body = JSON.stringify(await inventory(id0()));
    for (const text of [rows[0].inv, rows[0].changes ?? '', body]) {
      for (const form of [CANARY, encodeURIComponent(CANARY)]) expect(text).not.toContain(form);
    }
  });

  it('contractors see the inventory of their cameras without stream addresses', async () => {
    const k1 = await login(api.app, 'contractork1', PASSWORD);
    const res = await api.app.inject({ url: `/api/v1/cameras/${id0()}/inventory`, headers: k1 });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ mainStreamUri: null, subStreamUri: null, snapshotUri: null });
    const duty = await login(api.app, 'dutya1', PASSWORD);
    expect(
      (await api.app.inject({ url: `/api/v1/cameras/${fx.camera.B1}/inventory`, headers: duty })).statusCode,
    ).toBe(404);
  });
});

describe('inventory scheduling on BullMQ', () => {
  let connection: Redis;
  let queue: Queue<InventoryJob>;
  let worker: Worker<InventoryJob> | undefined;

  afterAll(async () => {
    await worker?.close();
    await queue?.close();
    connection?.disconnect();
  });

  it('enqueues each due camera once per slot, however many ticks run, and the worker reads them', async () => {
    connection = bullConnection(api.config, 'test-inventory', api.deps.log);
    queue = createQueue<InventoryJob>(api.config, QUEUES.inventory, connection, api.deps.log);
    await api.deps.db.query('DELETE FROM camera_inventory');
    const first = await enqueueDueInventory(api.deps.db, queue, 60);
    const second = await enqueueDueInventory(api.deps.db, queue, 60);
    expect(first).toBe(3);
    expect(second).toBe(3); // still due: nothing read yet …
    const counts = await queue.getJobCounts('delayed', 'waiting');
    expect((counts.delayed ?? 0) + (counts.waiting ?? 0)).toBe(3); // … but the same three jobs
    await queue.promoteJobs();
    worker = await createInventoryWorker(ctx(), queue, connection, 4);
    const deadline = Date.now() + 20_000;
    let polled = 0;
    while (polled < 3 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 200));
      const { rows } = await api.deps.db.query('SELECT count(*)::int AS n FROM camera_inventory WHERE ok');
      polled = rows[0].n;
    }
    expect(polled).toBe(3);
    expect(await enqueueDueInventory(api.deps.db, queue, 60)).toBe(0);
  });

  it('no job in Redis carries a credential: payloads are ids', async () => {
    let cursor = '0';
    let seen = 0;
    do {
      const [next, keys] = await connection.scan(
        cursor,
        'MATCH',
        `${api.config.redisPrefix}bull:*`,
        'COUNT',
        500,
      );
      cursor = next;
      for (const key of keys) {
        if ((await connection.type(key)) !== 'hash') continue;
        const text = JSON.stringify(await connection.hgetall(key));
        seen++;
        for (const form of [CANARY, encodeURIComponent(CANARY)]) expect(text).not.toContain(form);
      }
    } while (cursor !== '0');
    expect(seen).toBeGreaterThan(3);
  });
});
