import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withTransaction } from '../../src/db.js';
import { localDate } from '../../src/governance/local-date.js';
import { type Availability, gapToTarget, rates, sumAvailability } from '../../src/health/availability.js';
import { cameraFigures, loadLedger } from '../../src/health/availability-repo.js';
import { addDays, type Bounds, localDayBounds, splitByLocalDays } from '../../src/health/calendar.js';
import { dayPieces } from '../../src/health/day-pieces.js';
import { applyResults } from '../../src/health/ledger-repo.js';
import { nodeCameraFigures } from '../../src/health/node-camera-figures.js';
import { cameraFiguresFast, type NodeFigures, nodeFigures } from '../../src/health/node-figures.js';
import { invalidateDays, missingDays, rollupDay, rollupMissingDays } from '../../src/health/rollup-repo.js';
import { DEFAULT_HEALTH_PARAMS } from '../../src/health/types.js';
import {
  buildCountyFixture,
  type CountyFixture,
  type NodeName,
  PASSWORD,
} from '../support/county-fixture.js';
import { login, startTestApi, type TestApi } from '../support/harness.js';

// The daily rollups against the exact computation (loadLedger + cameraFigures, what GET /availability did
// before), over a hand-built ledger of ten past days and today in the county's zone: outages across midnight,
// a picture fault, a compliance fault, our own monitoring gap, a hole in the ledger, maintenance and external
// causes on cameras and on nodes (overlapping, one across midnight), a rejected and a requested exclusion, a
// camera commissioned and one retired in the middle of the window.
let api: TestApi;
let fx: CountyFixture;
let bureau: { authorization: string };
let tz: string;
let today: string;
/** The instant the figures are computed at: one for the whole file, so a midnight passing changes nothing. */
const NOW = new Date();
const HOUR = 3_600_000;
const MIN = 60_000;
const camera = { A1: '', A2: '', B1: '', N: '', R: '' };

/** Local day k of the test: day 10 is today. */
const D = (k: number) => addDays(today, k - 10);
/** An instant on local day k. */
const at = (k: number, h = 0, m = 0, s = 0, ms = 0) =>
  new Date(localDayBounds(D(k), tz).from.getTime() + h * HOUR + m * MIN + s * 1000 + ms);
const dayStart = (k: number) => localDayBounds(D(k), tz).from;
const db = () => api.deps.db;

async function exactNode(nodeId: string, window: Bounds, now: Date): Promise<NodeFigures> {
  const ledger = await loadLedger(db(), nodeId, window);
  return {
    cameras: ledger.cameras.length,
    total: sumAvailability(cameraFigures(ledger, window, now)),
    byDay: splitByLocalDays(window, tz).map((p) => ({
      day: p.day,
      figures: sumAvailability(cameraFigures(ledger, p, now)),
    })),
  };
}

async function exactCamera(cameraId: string, window: Bounds, now: Date): Promise<NodeFigures> {
  const { rows } = await db().query<{ site_id: string }>('SELECT site_id FROM cameras WHERE id = $1', [
    cameraId,
  ]);
  const ledger = await loadLedger(db(), rows[0]?.site_id ?? '', window);
  const pick = (list: ReturnType<typeof cameraFigures>): Availability => {
    const f = list.find((c) => c.cameraId === cameraId);
    return sumAvailability(
      f
        ? [
            {
              scheduledMs: f.scheduledMs,
              onlineMs: f.onlineMs,
              effectiveMs: f.effectiveMs,
              maintenanceMs: f.maintenanceMs,
              externalCauseMs: f.externalCauseMs,
              gapMs: f.gapMs,
              unknownMs: f.unknownMs,
            },
          ]
        : [],
    );
  };
  return {
    cameras: ledger.cameras.some((c) => c.id === cameraId) ? 1 : 0,
    total: pick(cameraFigures(ledger, window, now)),
    byDay: splitByLocalDays(window, tz).map((p) => ({
      day: p.day,
      figures: pick(cameraFigures(ledger, p, now)),
    })),
  };
}

async function exactCameraList(nodeId: string, window: Bounds, now: Date) {
  const ledger = await loadLedger(db(), nodeId, window);
  return cameraFigures(ledger, window, now)
    .map((c) => ({ id: c.cameraId, name: c.name, scheduledMs: c.scheduledMs, effectiveMs: c.effectiveMs }))
    .sort((x, y) => (x.id < y.id ? -1 : 1));
}

const NODES: NodeName[] = ['county', 'A', 'A1', 'A2', 'B', 'B1', 'A1v', 'A1s', 'B1s'];

/** The windows every figure is checked over (some reach into today, which is computed with `now`). */
function windows(now: Date): Record<string, Bounds> {
  return {
    aligned: { from: dayStart(0), to: dayStart(10) },
    alignedInside: { from: dayStart(2), to: dayStart(7) },
    cutInTheMiddle: { from: at(1, 13, 37, 11, 111), to: at(8, 5, 11) },
    intoToday: { from: at(3, 6), to: now },
    toTomorrow: { from: dayStart(0), to: dayStart(11) },
    withinADay: { from: at(5, 10), to: at(5, 22) },
    withinToday: { from: dayStart(10), to: now },
    beforeAnything: { from: dayStart(-40), to: dayStart(-20) },
    acrossTheStart: { from: dayStart(-6), to: at(2, 12) },
  };
}

async function expectAllEqualExact(now: Date) {
  for (const [name, window] of Object.entries(windows(now))) {
    for (const node of NODES) {
      const fast = await nodeFigures(db(), fx.node[node], window, now, tz);
      expect({ name, node, ...fast }).toEqual({
        name,
        node,
        ...(await exactNode(fx.node[node], window, now)),
      });
      expect({
        name,
        node,
        list: (await nodeCameraFigures(db(), fx.node[node], window, now, tz)).sort((x, y) =>
          x.id < y.id ? -1 : 1,
        ),
      }).toEqual({
        name,
        node,
        list: await exactCameraList(fx.node[node], window, now),
      });
    }
    for (const [key, id] of Object.entries(camera)) {
      expect({ name, key, ...(await cameraFiguresFast(db(), id, window, now, tz)) }).toEqual({
        name,
        key,
        ...(await exactCamera(id, window, now)),
      });
    }
  }
}

async function snapshot() {
  const q = async (sql: string) => (await db().query(sql)).rows;
  return {
    cameras: await q('SELECT * FROM availability_camera_daily ORDER BY day, camera_id'),
    nodes: await q('SELECT * FROM availability_node_daily ORDER BY day, node_id'),
    days: await q('SELECT * FROM availability_rollup_days ORDER BY day'),
  };
}

beforeAll(async () => {
  api = await startTestApi();
  fx = await buildCountyFixture(api.deps.db);
  bureau = await login(api.app, 'bureau', PASSWORD);
  tz = api.config.timeZone;
  today = localDate(NOW, tz);
  camera.A1 = fx.camera.A1;
  camera.A2 = fx.camera.A2;
  camera.B1 = fx.camera.B1;
  await db().query('UPDATE cameras SET commissioned_at = $1', [dayStart(-8)]);
  const add = async (site: NodeName, name: string, gb: string, commissioned: Date, retired: Date | null) =>
    (
      await db().query<{ id: string }>(
        `INSERT INTO cameras (site_id, name, gb_code, commissioned_at, retired_at) VALUES ($1, $2, $3, $4, $5)
         RETURNING id`,
        [fx.node[site], name, gb, commissioned, retired],
      )
    ).rows[0]?.id ?? '';
  camera.N = await add('A1s', '新装摄像机', '64042500001320009901', at(4, 10, 17, 23, 456), null);
  camera.R = await add('B1s', '拆除摄像机', '64042500001320009902', dayStart(-8), at(6, 14));

  type Row = [string, Date, Date | null, string, string | null];
  const intervals: Row[] = [
    [camera.A1, at(-1, 20), at(1, 3, 15), 'online', null],
    [camera.A1, at(1, 3, 15), at(1, 3, 47, 12, 345), 'offline', 'network'],
    [camera.A1, at(1, 3, 47, 12, 345), at(2, 23, 30), 'online', null],
    [camera.A1, at(2, 23, 30), at(4, 6, 10), 'offline', 'stream'],
    [camera.A1, at(4, 6, 10), at(5, 12), 'degraded', 'picture:blur'],
    [camera.A1, at(5, 12), at(5, 13), 'degraded', 'compliance:clock_drift'],
    [camera.A1, at(5, 13), at(7, 2), 'online', null],
    [camera.A1, at(7, 2), at(7, 5), 'unknown', 'monitoring_gap'],
    [camera.A1, at(7, 5), at(8, 10), 'online', null],
    // nothing recorded 10:00–11:30 on day 8
    [camera.A1, at(8, 11, 30), at(9, 22), 'online', null],
    [camera.A1, at(9, 22), null, 'offline', 'network'],
    [camera.A2, at(-3, 9), at(2, 9), 'online', null],
    [camera.A2, at(2, 9), at(2, 17), 'maintenance', 'maintenance'],
    [camera.A2, at(2, 17), at(6, 18), 'online', null],
    [camera.A2, at(6, 18), at(6, 18, 5), 'offline', 'signalling'],
    [camera.A2, at(6, 18, 5), null, 'online', null],
    [camera.B1, at(-2, 7), at(3), 'online', null],
    [camera.B1, at(3), at(5, 8), 'offline', 'network'],
    [camera.B1, at(5, 8), null, 'online', null],
    [camera.N, at(4, 10, 20), at(4, 11), 'unknown', null],
    [camera.N, at(4, 11), at(8, 15), 'online', null],
    [camera.N, at(8, 15), null, 'degraded', 'picture:black'],
    [camera.R, at(-1), at(6, 14), 'online', null],
  ];
  for (const [id, from, to, state, reason] of intervals) {
    await db().query(
      'INSERT INTO state_intervals (camera_id, from_at, to_at, state, reason) VALUES ($1, $2, $3, $4, $5)',
      [id, from, to, state, reason],
    );
  }
  // Postgres keeps microseconds (now() does), the figures are in milliseconds: some instants between two
  await db().query(
    `UPDATE state_intervals SET from_at = from_at + CASE WHEN from_at = $2 THEN interval '999 microseconds' ELSE '0' END,
                                to_at = to_at + CASE WHEN to_at = $2 THEN interval '999 microseconds' ELSE '0' END
      WHERE camera_id = $1`,
    [camera.B1, at(5, 8)],
  );
  await db().query(
    `UPDATE state_intervals SET to_at = to_at + interval '250 microseconds' WHERE camera_id = $1 AND to_at = $2`,
    [camera.R, at(6, 14)],
  );
  await db().query("UPDATE cameras SET retired_at = retired_at + interval '250 microseconds' WHERE id = $1", [
    camera.R,
  ]);
  type Exclusion = [string, string | null, NodeName | null, Date, Date, string];
  const exclusions: Exclusion[] = [
    ['maintenance', camera.A2, null, at(2, 8, 30), at(2, 17, 30), 'approved'],
    ['external_cause', null, 'A', at(5, 20), at(6, 4), 'approved'],
    ['external_cause', camera.A1, null, at(3), at(3, 12), 'approved'],
    ['maintenance', camera.A1, null, at(3, 10), at(3, 14), 'approved'],
    ['external_cause', null, 'B', at(4), at(4, 6), 'rejected'],
    ['maintenance', null, 'county', at(9, 1), at(9, 2), 'approved'],
    ['maintenance', camera.B1, null, at(7, 9), at(7, 12), 'requested'],
    ['external_cause', null, 'B1', at(10, 0, 30), at(10, 1, 30), 'approved'],
  ];
  for (const [kind, cameraId, node, from, to, status] of exclusions) {
    await db().query(
      `INSERT INTO availability_exclusions (kind, camera_id, district_id, from_at, to_at, reason, status)
       VALUES ($1, $2, $3, $4, $5, '测试', $6)`,
      [kind, cameraId, node ? fx.node[node] : null, from, to, status],
    );
  }
});
afterAll(() => api.close());

describe('availability rollups', () => {
  it('local day pieces are those of splitByLocalDays, in any zone', () => {
    const cases: [string, Bounds][] = [
      ['Asia/Shanghai', { from: new Date('2024-12-30T13:00:00.123Z'), to: new Date('2026-01-02T01:00:00Z') }],
      ['Europe/Berlin', { from: new Date('2025-03-29T10:00:00Z'), to: new Date('2025-10-27T10:00:00Z') }],
      ['America/Sao_Paulo', { from: new Date('2018-11-01T00:00:00Z'), to: new Date('2019-02-20T00:00:00Z') }],
      ['Asia/Shanghai', { from: new Date('2025-01-01T00:00:00Z'), to: new Date('2025-01-01T00:00:00Z') }],
    ];
    for (const [zone, window] of cases) {
      expect(dayPieces(window, zone)).toEqual(splitByLocalDays(window, zone));
      expect(dayPieces(window, zone)).toEqual(splitByLocalDays(window, zone)); // from the memo
    }
  });

  it('with nothing rolled up yet, every figure is the exact one', async () => {
    expect(await missingDays(db(), tz, NOW, 400)).toHaveLength(13); // day -3 (earliest interval) to 9
    const { rows } = await db().query(
      `SELECT count(*)::int AS n FROM state_intervals
        WHERE date_trunc('milliseconds', from_at) <> from_at OR date_trunc('milliseconds', to_at) <> to_at`,
    );
    expect(rows[0].n).toBe(3);
    await expectAllEqualExact(NOW);
  });

  it('rolls up every day from the earliest interval to yesterday, never today', async () => {
    const now = NOW;
    const done = await rollupMissingDays(db(), tz, now, 400);
    expect(done.map((r) => r.day)).toEqual(Array.from({ length: 13 }, (_, i) => D(i - 3)));
    expect(done.find((r) => r.day === D(5))?.cameras).toBe(5);
    expect(done.find((r) => r.day === D(3))?.cameras).toBe(4); // N not yet commissioned
    expect(done.find((r) => r.day === D(7))?.cameras).toBe(4); // R retired on day 6
    expect(await missingDays(db(), tz, now, 400)).toEqual([]);
    expect(await rollupMissingDays(db(), tz, now, 400)).toEqual([]);
    await expect(rollupDay(db(), today, tz, now)).rejects.toThrow(RangeError);
    const { rows } = await db().query(
      'SELECT count(*)::int AS n FROM availability_rollup_days WHERE day >= $1',
      [today],
    );
    expect(rows[0].n).toBe(0);
    // a node row per node above each camera's site, with the cameras counted
    const county = await db().query(
      'SELECT cameras FROM availability_node_daily WHERE node_id = $1 AND day = $2',
      [fx.node.county, D(5)],
    );
    expect(county.rows[0]?.cameras).toBe(5);
  });

  it('answers from the rollups and equals the exact computation to the millisecond', async () => {
    await expectAllEqualExact(NOW);
    // the rollups are what is read: a tampered day shows through, and a new rollup of it repairs it
    await db().query(
      'UPDATE availability_node_daily SET effective_ms = effective_ms - 1 WHERE node_id = $1 AND day = $2',
      [fx.node.A, D(4)],
    );
    const now = NOW;
    const window = { from: dayStart(0), to: dayStart(10) };
    const tampered = await nodeFigures(db(), fx.node.A, window, now, tz);
    const exact = await exactNode(fx.node.A, window, now);
    expect(tampered.total.effectiveMs).toBe(exact.total.effectiveMs - 1);
    const repaired = await rollupDay(db(), D(4), tz, now);
    expect(repaired).toMatchObject({ cameraRowsChanged: 0, nodeRowsChanged: 1 });
    expect(await nodeFigures(db(), fx.node.A, window, now, tz)).toEqual(exact);
  });

  it('a second rollup of a day changes nothing', async () => {
    const before = await snapshot();
    for (const k of [-3, 2, 5, 9]) {
      expect(await rollupDay(db(), D(k), tz, NOW)).toMatchObject({
        cameraRowsChanged: 0,
        nodeRowsChanged: 0,
      });
    }
    expect(await snapshot()).toEqual(before);
  });

  it('a late change is stale until invalidated, then exact at once and rolled up again by the job', async () => {
    // maintenance on camera B1 approved after day 6 was rolled up
    await db().query(
      `INSERT INTO availability_exclusions (kind, camera_id, from_at, to_at, reason, status)
       VALUES ('maintenance', $1, $2, $3, '补批', 'approved')`,
      [camera.B1, at(6, 9), at(6, 11)],
    );
    const now = NOW;
    const window = { from: dayStart(0), to: dayStart(10) };
    const exact = await exactNode(fx.node.B, window, now);
    expect((await nodeFigures(db(), fx.node.B, window, now, tz)).total).not.toEqual(exact.total);

    expect(await invalidateDays(db(), camera.B1, at(6, 9), at(6, 11))).toEqual([D(6)]);
    const rows = await db().query<{ camera_id: string }>(
      'SELECT camera_id FROM availability_camera_daily WHERE day = $1',
      [D(6)],
    );
    expect(rows.rows.map((r) => r.camera_id).sort()).toEqual(
      [camera.A1, camera.A2, camera.N, camera.R].sort(),
    );
    const nodes = await db().query<{ node_id: string }>(
      'SELECT node_id FROM availability_node_daily WHERE day = $1',
      [D(6)],
    );
    expect(nodes.rows.map((r) => r.node_id).sort()).toEqual(
      [fx.node.A, fx.node.A1, fx.node.A2, fx.node.A1v, fx.node.A2v, fx.node.A1s, fx.node.A2s].sort(),
    );
    // until the job runs, the day is computed exactly for every node
    await expectAllEqualExact(now);

    expect(await missingDays(db(), tz, now, 400)).toEqual([D(6)]);
    const redone = await rollupMissingDays(db(), tz, now, 400);
    expect(redone.map((r) => r.day)).toEqual([D(6)]);
    expect(redone[0]?.cameraRowsChanged).toBe(1);
    expect(await nodeFigures(db(), fx.node.B, window, now, tz)).toEqual(exact);
    await expectAllEqualExact(now);
  });

  it('invalidates whole days for every camera, by local days too', async () => {
    const now = NOW;
    const before = await snapshot();
    expect(await invalidateDays(db(), null, D(2), D(3))).toEqual([D(2), D(3)]);
    const { rows } = await db().query(
      'SELECT count(*)::int AS n FROM availability_camera_daily WHERE day BETWEEN $1 AND $2',
      [D(2), D(3)],
    );
    expect(rows[0].n).toBe(0);
    await expectAllEqualExact(now);
    // an instant window ending on a midnight touches only the day before it
    expect(await invalidateDays(db(), camera.A1, at(8, 23), dayStart(9))).toEqual([D(8)]);
    // two workers ticking at once: the days are rolled up once
    const [one, two] = await Promise.all([
      rollupMissingDays(db(), tz, now, 400),
      rollupMissingDays(db(), tz, now, 400),
    ]);
    expect([...one, ...two].map((r) => r.day)).toEqual([D(2), D(3), D(8)]);
    const after = await snapshot();
    const figuresOnly = (s: typeof before) => ({
      cameras: s.cameras.map(({ computed_at: _, ...r }) => r),
      nodes: s.nodes.map(({ computed_at: _, ...r }) => r),
      days: s.days.map((r) => [r.day, r.time_zone, r.cameras, r.invalidated_at]),
    });
    expect(figuresOnly(after)).toEqual(figuresOnly(before));
  });

  it('GET /availability and /availability/gap answer as the exact computation did', async () => {
    const cases: [NodeName, Bounds][] = [
      ['county', { from: dayStart(0), to: dayStart(10) }],
      ['A', { from: at(1, 13, 37, 11, 111), to: at(8, 5, 11) }],
      ['A1', { from: dayStart(-5), to: at(9, 23) }],
      ['B', { from: dayStart(2), to: dayStart(7) }],
      ['A1s', { from: at(4, 9), to: at(4, 12) }],
    ];
    for (const [node, window] of cases) {
      const query = `nodeId=${fx.node[node]}&from=${window.from.toISOString()}&to=${window.to.toISOString()}`;
      const res = await api.app.inject({ url: `/api/v1/availability?${query}`, headers: bureau });
      expect(res.statusCode).toBe(200);
      // the window is over: the exact figures do not depend on the instant they are computed at
      const exact = await exactNode(fx.node[node], window, new Date());
      const r = rates(exact.total);
      expect(res.json()).toEqual({
        nodeId: fx.node[node],
        from: window.from.toISOString(),
        to: window.to.toISOString(),
        cameras: exact.cameras,
        target: 0.95,
        meetsTarget: r.effectiveRate === null ? null : r.effectiveRate >= 0.95,
        figures: { ...exact.total, ...r },
        byDay: exact.byDay.map((d) => ({ day: d.day, figures: { ...d.figures, ...rates(d.figures) } })),
      });

      const gap = await api.app.inject({ url: `/api/v1/availability/gap?${query}`, headers: bureau });
      expect(gap.statusCode).toBe(200);
      const list = await exactCameraList(fx.node[node], window, new Date());
      const expected = gapToTarget(list, 0.95);
      expect(gap.json()).toEqual({
        ...expected,
        fixes: expected.fixes.map((id) => {
          const c = list.find((x) => x.id === id);
          return { cameraId: id, name: c?.name, lostMs: (c?.scheduledMs ?? 0) - (c?.effectiveMs ?? 0) };
        }),
      });
    }
    // the figures have something to show: town A misses the target, and its fixes are named
    const res = await api.app.inject({
      url: `/api/v1/availability/gap?nodeId=${fx.node.A}&from=${dayStart(0).toISOString()}&to=${dayStart(10).toISOString()}`,
      headers: bureau,
    });
    expect(res.json().fixes.length).toBeGreaterThan(0);
  });

  it('a monitoring gap dated back into rolled-up days has those days redone', async () => {
    const admin = await login(api.app, 'admin', PASSWORD);
    // registered today, in service since day 2: the days rolled up without it are redone
    const created = await api.app.inject({
      method: 'POST',
      url: '/api/v1/cameras',
      headers: admin,
      payload: {
        siteId: fx.node.A1s,
        name: 'Gap camera',
        gbCode: '64042500001329999992',
        commissionedAt: at(2),
      },
    });
    expect(created.statusCode).toBe(201);
    const id: string = created.json().id;
    expect(await missingDays(db(), tz, NOW, 400)).toEqual([D(2), D(3), D(4), D(5), D(6), D(7), D(8), D(9)]);
    const ok = (when: Date) => ({
      cameraId: id as string,
      result: { at: when, handshake: 'ok' as const, picture: null, compliance: [], inMaintenance: false },
    });
    const opts = { params: DEFAULT_HEALTH_PARAMS, gapAfterMs: 40_000 };
    // online on day 3 at noon, then nothing: the probes of this camera stopped
    await withTransaction(db(), (tx) => applyResults(tx, [ok(at(3, 12)), ok(at(3, 12, 0, 10))], opts));
    await rollupMissingDays(db(), tz, NOW, 400);
    expect(await missingDays(db(), tz, NOW, 400)).toEqual([]);
    const beforeGap = await nodeFigures(db(), fx.node.A1s, { from: dayStart(4), to: dayStart(5) }, NOW, tz);

    // the camera is heard of again today: from day 3 on its state was unknown, not online
    await withTransaction(db(), (tx) => applyResults(tx, [ok(at(10, 0, 0, 1))], opts));
    expect(await missingDays(db(), tz, NOW, 400)).toEqual([D(3), D(4), D(5), D(6), D(7), D(8), D(9)]);
    const day4 = { from: dayStart(4), to: dayStart(5) };
    const fresh = await nodeFigures(db(), fx.node.A1s, day4, NOW, tz);
    // a silence of our own making: the camera's day is unknown, out of its scheduled time
    expect(fresh.total.unknownMs).toBe(beforeGap.total.unknownMs + 24 * HOUR);
    expect(fresh.total.scheduledMs).toBe(beforeGap.total.scheduledMs - 24 * HOUR);
    await expectAllEqualExact(NOW);
    await rollupMissingDays(db(), tz, NOW, 400);
    expect(await nodeFigures(db(), fx.node.A1s, day4, NOW, tz)).toEqual(fresh);
    await expectAllEqualExact(NOW);

    // moved to another town: its past now counts there, on rolled-up days too
    const moved = await api.app.inject({
      method: 'PATCH',
      url: `/api/v1/cameras/${id}`,
      headers: admin,
      payload: { siteId: fx.node.B1s },
    });
    expect(moved.statusCode).toBe(200);
    expect(await missingDays(db(), tz, NOW, 400)).toEqual([D(2), D(3), D(4), D(5), D(6), D(7), D(8), D(9)]);
    await expectAllEqualExact(NOW);
    await rollupMissingDays(db(), tz, NOW, 400);
    await expectAllEqualExact(NOW);
  });
});
