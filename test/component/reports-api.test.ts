import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sweepTickets } from '../../src/tickets/sweep.js';
import { buildCountyFixture, type CountyFixture, PASSWORD } from '../support/county-fixture.js';
import { type AuthHeaders, login, startTestApi, type TestApi } from '../support/harness.js';

let api: TestApi;
let fx: CountyFixture;
const as: Record<string, AuthHeaders> = {};
const MINUTE = 60_000;
const BASE = Math.floor(Date.now() / MINUTE) * MINUTE;
const at = (minutes: number) => new Date(BASE + minutes * MINUTE);

const q = <T extends object>(sql: string, values: unknown[] = []) =>
  api.deps.db.query<T>(sql, values).then((r) => r.rows);

async function alert(cameraId: string, since: Date, severity: string, cause: string) {
  await q(
    `INSERT INTO alerts (kind, camera_id, place_id, cause, severity, opened_at)
     SELECT 'camera', id, site_id, $2, $3, $4 FROM cameras WHERE id = $1`,
    [cameraId, cause, severity, since],
  );
  await q(
    `INSERT INTO camera_health (camera_id, state, since, memory) VALUES ($1, 'offline', $2, '{}')
     ON CONFLICT (camera_id) DO UPDATE SET state = 'offline', since = EXCLUDED.since`,
    [cameraId, since],
  );
}

async function heal(cameraId: string, since: Date) {
  await q(`UPDATE alerts SET status = 'resolved', resolved_at = $2 WHERE camera_id = $1`, [cameraId, since]);
  await q(`UPDATE camera_health SET state = 'online', since = $2 WHERE camera_id = $1`, [cameraId, since]);
}

const sweep = (minutes: number) => sweepTickets(api.deps.db, api.config, at(minutes));

/**
 * A1 (contractor K1): acknowledged after 30 min, restored after 2 h — met.
 * A2 (K1): never acknowledged, restored after 49 h — breached.
 * B1 (K2): still open, 5 h of approved external cause.
 */
beforeAll(async () => {
  api = await startTestApi();
  fx = await buildCountyFixture(api.deps.db);
  for (const user of ['admin', 'bureau', 'dutya1', 'dutya', 'contractork1']) {
    as[user] = await login(api.app, user, PASSWORD);
  }
  for (const cam of [fx.camera.A1, fx.camera.A2, fx.camera.B1])
    await alert(cam, at(-60), 'critical', 'offline');
  await sweep(0);
  await q(`UPDATE tickets SET acknowledged_at = $2, status = 'acknowledged' WHERE camera_id = $1`, [
    fx.camera.A1,
    at(30),
  ]);
  await heal(fx.camera.A1, at(120));
  await sweep(150);
  await heal(fx.camera.A2, at(49 * 60));
  await sweep(49 * 60 + 31);
  await q(
    `INSERT INTO availability_exclusions (kind, camera_id, from_at, to_at, reason, status)
     VALUES ('external_cause', $1, $2, $3, '停电', 'approved')`,
    [fx.camera.B1, at(60), at(6 * 60)],
  );
});
afterAll(() => api.close());

const get = (url: string, who: string) =>
  api.app.inject({ method: 'GET', url: `/api/v1${url}`, headers: as[who] });
const period = `from=${encodeURIComponent(at(-60).toISOString())}&to=${encodeURIComponent(at(60).toISOString())}`;

describe('contractor report', () => {
  const k1 = {
    contractorName: '运维K1',
    opened: 2,
    closed: 2,
    stillOpen: 0,
    metSla: 1,
    breached: 1,
    meanMinutesToAcknowledge: 30,
    meanMinutesToRepair: (120 + 49 * 60) / 2,
    externalCauseHours: 0,
  };
  const k2 = {
    contractorName: '运维K2',
    opened: 1,
    closed: 0,
    stillOpen: 1,
    metSla: 0,
    breached: 0,
    meanMinutesToAcknowledge: null,
    meanMinutesToRepair: null,
    externalCauseHours: 5,
  };

  it('gives the bureau every contractor', async () => {
    const res = await get(`/reports/contractors?${period}`, 'bureau');
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().rows).toEqual([
      { contractorId: fx.contractor.K1, ...k1 },
      { contractorId: fx.contractor.K2, ...k2 },
    ]);
  });

  it('gives a contractor its own row, a duty desk only the tickets under its node', async () => {
    expect((await get(`/reports/contractors?${period}`, 'contractork1')).json().rows).toEqual([
      { contractorId: fx.contractor.K1, ...k1 },
    ]);
    const duty = (await get(`/reports/contractors?${period}`, 'dutya1')).json().rows;
    expect(duty).toMatchObject([{ contractorId: fx.contractor.K1, opened: 1, metSla: 1, breached: 0 }]);
  });

  it('counts the tickets opened in the period only', async () => {
    const later = `from=${encodeURIComponent(at(1).toISOString())}&to=${encodeURIComponent(at(90).toISOString())}`;
    const rows = (await get(`/reports/contractors?${later}`, 'bureau')).json().rows;
    expect(rows.map((r: { opened: number }) => r.opened)).toEqual([0, 0]);
    expect(
      (
        await get(`/reports/contractors?from=${at(5).toISOString()}&to=${at(1).toISOString()}`, 'bureau')
      ).json(),
    ).toMatchObject({ statusCode: 400, field: 'to' });
  });
});

describe('open-faults report', () => {
  beforeAll(async () => {
    await alert(fx.camera.A1, at(-90), 'major', 'picture');
    await alert(fx.camera.A2, at(-30), 'minor', 'osd_mismatch');
  });

  const row = (
    d: 'A1' | 'A2' | 'B1',
    critical: number,
    major: number,
    minor: number,
    oldest: number,
    tickets: number,
  ) =>
    expect.objectContaining({
      districtId: fx.node[d],
      name: `节点${d}`,
      openAlerts: { critical, major, minor },
      oldestOpenedAt: at(oldest).toISOString(),
      openTickets: tickets,
    });

  it('gives the bureau every police district with its open alerts by severity, the oldest and open tickets', async () => {
    const res = await get('/reports/open-faults', 'bureau');
    expect(res.statusCode, res.body).toBe(200);
    const rows = res.json().rows;
    expect(rows).toEqual([
      row('A1', 0, 1, 0, -90, 0),
      row('A2', 0, 0, 1, -30, 0),
      row('B1', 1, 0, 0, -60, 1),
    ]);
    expect(rows[0].placePath).toEqual(['节点county', '节点A', '节点A1']);
    const age = rows[0].oldestAgeMinutes;
    expect(age).toBeGreaterThanOrEqual(90);
    expect(age).toBeLessThan(95);
  });

  it('narrows to a node, and keeps a duty desk inside its own', async () => {
    const resA = await get(`/reports/open-faults?districtId=${fx.node.A}`, 'bureau');
    expect(resA.statusCode, resA.body).toBe(200);
    const underA = resA.json().rows;
    expect(underA.map((r: { districtId: string }) => r.districtId)).toEqual([fx.node.A1, fx.node.A2]);
    const site = (await get(`/reports/open-faults?districtId=${fx.node.B1s}`, 'bureau')).json().rows;
    expect(site.map((r: { districtId: string }) => r.districtId)).toEqual([fx.node.B1]);
    expect((await get('/reports/open-faults', 'dutya1')).json().rows).toEqual([row('A1', 0, 1, 0, -90, 0)]);
    expect((await get('/reports/open-faults', 'dutya')).json().rows).toHaveLength(2);
    expect((await get(`/reports/open-faults?districtId=${fx.node.B}`, 'dutya1')).statusCode).toBe(404);
    expect((await get('/reports/open-faults', 'contractork1')).statusCode).toBe(403);
  });
});
