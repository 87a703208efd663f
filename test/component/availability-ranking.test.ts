import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { localDate } from '../../src/governance/local-date.js';
import { addDays, localDayBounds } from '../../src/health/calendar.js';
import { invalidateDays, rollupMissingDays } from '../../src/health/rollup-repo.js';
import {
  buildCountyFixture,
  type CountyFixture,
  type NodeName,
  PASSWORD,
} from '../support/county-fixture.js';
import { type AuthHeaders, login, startTestApi, type TestApi } from '../support/harness.js';

// GET /availability/ranking against GET /availability node by node, over a window from the middle of a past
// day to now: whole past days answered by the rollups (one of them invalidated, so computed from the ledger),
// the first day's part and today's from the ledger.
let api: TestApi;
let fx: CountyFixture;
let bureau: AuthHeaders;
let tz: string;
let today: string;
const NOW = new Date();
const HOUR = 3_600_000;
/** A police district under town A and a town, neither with a camera: no rate, ranked last. */
const empty = { A3: '', C: '' };

/** Local day k of the test: day 10 is today. */
const D = (k: number) => addDays(today, k - 10);
const at = (k: number, h = 0, m = 0) =>
  new Date(localDayBounds(D(k), tz).from.getTime() + h * HOUR + m * 60_000);
const db = () => api.deps.db;
const WINDOW = () => ({ from: at(2, 13, 30).toISOString(), to: NOW.toISOString() });

interface Figures {
  scheduledMs: number;
  effectiveMs: number;
  effectiveRate: number | null;
  onlineRate: number | null;
}
interface Row {
  nodeId: string;
  kind: string;
  name: string;
  parentId: string | null;
  parentName: string | null;
  cameras: number;
  meetsTarget: boolean | null;
  figures: Figures;
}
interface Ranking {
  kind: string;
  from: string;
  to: string;
  target: number;
  rows: Row[];
}

async function get(url: string, headers: AuthHeaders) {
  return api.app.inject({ method: 'GET', url: `/api/v1${url}`, headers });
}

async function ranking(kind: string, headers: AuthHeaders = bureau): Promise<Ranking> {
  const w = WINDOW();
  const res = await get(`/availability/ranking?kind=${kind}&from=${w.from}&to=${w.to}`, headers);
  expect(res.statusCode, res.body).toBe(200);
  return res.json() as Ranking;
}

/** Each row against GET /availability of its node over the same window, as the same caller. */
async function expectEachAsAvailability(rows: Row[], headers: AuthHeaders) {
  const w = WINDOW();
  for (const row of rows) {
    const res = await get(`/availability?nodeId=${row.nodeId}&from=${w.from}&to=${w.to}`, headers);
    expect(res.statusCode, res.body).toBe(200);
    const single = res.json();
    expect({
      node: row.name,
      cameras: row.cameras,
      meetsTarget: row.meetsTarget,
      figures: row.figures,
    }).toEqual({
      node: row.name,
      cameras: single.cameras,
      meetsTarget: single.meetsTarget,
      figures: single.figures,
    });
  }
}

const names = (r: Ranking) => r.rows.map((x) => x.name);

beforeAll(async () => {
  api = await startTestApi();
  fx = await buildCountyFixture(api.deps.db);
  bureau = await login(api.app, 'bureau', PASSWORD);
  tz = api.config.timeZone;
  today = localDate(NOW, tz);
  const district = async (kind: string, key: string, parent: string) =>
    (
      await db().query<{ id: string }>(
        'INSERT INTO districts (kind, name, code, parent_id) VALUES ($1, $2, $3, $4) RETURNING id',
        [kind, `节点${key}`, `FX-${key}`, parent],
      )
    ).rows[0]?.id ?? '';
  empty.A3 = await district('police_district', 'A3', fx.node.A);
  empty.C = await district('town', 'C', fx.node.county);
  await db().query('UPDATE cameras SET commissioned_at = $1', [at(0)]);
  const { A1, A2, B1 } = fx.camera;
  // A1 down a day and a half, B1 half a day (two hours of it an external cause), A2 an hour
  const intervals: [string, Date, Date | null, string, string | null][] = [
    [A1, at(0), at(4, 6), 'online', null],
    [A1, at(4, 6), at(5, 18), 'offline', 'network'],
    [A1, at(5, 18), null, 'online', null],
    [A2, at(0), at(3, 8), 'online', null],
    [A2, at(3, 8), at(3, 12), 'maintenance', 'maintenance'],
    [A2, at(3, 12), at(6, 18), 'online', null],
    [A2, at(6, 18), at(6, 19), 'offline', 'signalling'],
    [A2, at(6, 19), null, 'online', null],
    [B1, at(0), at(7), 'online', null],
    [B1, at(7), at(7, 12), 'offline', 'stream'],
    [B1, at(7, 12), null, 'online', null],
  ];
  for (const [id, from, to, state, reason] of intervals)
    await db().query(
      'INSERT INTO state_intervals (camera_id, from_at, to_at, state, reason) VALUES ($1, $2, $3, $4, $5)',
      [id, from, to, state, reason],
    );
  const exclusions: [string, string | null, NodeName | null, Date, Date][] = [
    ['maintenance', A2, null, at(3, 8), at(3, 12)],
    ['external_cause', null, 'B', at(7, 2), at(7, 4)],
    // across midnight into today
    ['maintenance', null, 'A', at(9, 22), at(10, 2)],
  ];
  for (const [kind, cameraId, node, from, to] of exclusions)
    await db().query(
      `INSERT INTO availability_exclusions (kind, camera_id, district_id, from_at, to_at, reason, status)
       VALUES ($1, $2, $3, $4, $5, '测试', 'approved')`,
      [kind, cameraId, node ? fx.node[node] : null, from, to],
    );
  await rollupMissingDays(db(), tz, NOW, 400);
  // an exclusion approved after its day was rolled up: that day is computed from the ledger until rolled again
  await db().query(
    `INSERT INTO availability_exclusions (kind, camera_id, from_at, to_at, reason, status)
     VALUES ('external_cause', $1, $2, $3, '补批', 'approved')`,
    [A1, at(5, 8), at(5, 10)],
  );
  expect(await invalidateDays(db(), A1, at(5, 8), at(5, 10))).toEqual([D(5)]);
});
afterAll(() => api?.close());

describe('GET /availability/ranking', () => {
  it('reads a window of rolled-up days, an invalidated day, and the ledger at both ends', async () => {
    const { rows } = await db().query<{ day: string; valid: boolean }>(
      `SELECT day::text, invalidated_at IS NULL AS valid FROM availability_rollup_days
        WHERE day BETWEEN $1 AND $2 ORDER BY day`,
      [D(3), D(9)],
    );
    expect(rows.map((r) => [r.day, r.valid])).toEqual([3, 4, 5, 6, 7, 8, 9].map((k) => [D(k), k !== 5]));
  });

  it('gives every police district the figures GET /availability gives it, worst first', async () => {
    const r = await ranking('police_district');
    expect(r).toMatchObject({ kind: 'police_district', target: 0.95, ...WINDOW() });
    expect(names(r)).toEqual(['节点A1', '节点B1', '节点A2', '节点A3']);
    expect(r.rows.map((x) => [x.parentId, x.parentName])).toEqual([
      [fx.node.A, '节点A'],
      [fx.node.B, '节点B'],
      [fx.node.A, '节点A'],
      [fx.node.A, '节点A'],
    ]);
    expect(r.rows.at(-1)).toMatchObject({ cameras: 0, meetsTarget: null, figures: { effectiveRate: null } });
    await expectEachAsAvailability(r.rows, bureau);
  });

  it('ranks the town level, towns and townships alike, under the county', async () => {
    const r = await ranking('town');
    expect(names(r)).toEqual(['节点A', '节点B', '节点C']);
    expect(r.rows.map((x) => [x.kind, x.parentName])).toEqual([
      ['town', '节点county'],
      ['township', '节点county'],
      ['town', '节点county'],
    ]);
    expect(r.rows[0]?.cameras).toBe(2);
    await expectEachAsAvailability(r.rows, bureau);
  });

  it('reads the rollups as GET /availability does: a changed rollup shows in both', async () => {
    const before = (await ranking('police_district')).rows.find((x) => x.nodeId === fx.node.B1) as Row;
    await db().query(
      'UPDATE availability_node_daily SET effective_ms = effective_ms - 1 WHERE node_id = $1 AND day = $2',
      [fx.node.B1, D(7)],
    );
    try {
      const after = (await ranking('police_district')).rows.find((x) => x.nodeId === fx.node.B1) as Row;
      expect(after.figures.effectiveMs).toBe(before.figures.effectiveMs - 1);
      await expectEachAsAvailability([after], bureau);
    } finally {
      await db().query(
        'UPDATE availability_node_daily SET effective_ms = effective_ms + 1 WHERE node_id = $1 AND day = $2',
        [fx.node.B1, D(7)],
      );
    }
  });

  it('takes as many queries for four nodes as for three', async () => {
    const count = async (kind: string) => {
      const spy = vi.spyOn(db(), 'query');
      try {
        await ranking(kind);
        return spy.mock.calls.length;
      } finally {
        spy.mockRestore();
      }
    };
    const towns = await count('town');
    expect(towns).toBeGreaterThan(0);
    expect(await count('police_district')).toBe(towns);
  });

  it('shows a duty desk its own subtree only, with the same figures', async () => {
    const dutyA1 = await login(api.app, 'dutya1', PASSWORD);
    expect(names(await ranking('police_district', dutyA1))).toEqual(['节点A1']);
    expect((await ranking('town', dutyA1)).rows).toEqual([]);
    const dutyA = await login(api.app, 'dutya', PASSWORD);
    const districts = await ranking('police_district', dutyA);
    expect(names(districts)).toEqual(['节点A1', '节点A2', '节点A3']);
    await expectEachAsAvailability(districts.rows, dutyA);
    expect(names(await ranking('town', dutyA))).toEqual(['节点A']);
  });

  it('refuses contractors, and a level that is not one', async () => {
    const w = WINDOW();
    const contractor = await login(api.app, 'contractork1', PASSWORD);
    const refused = await get(`/availability/ranking?kind=town&from=${w.from}&to=${w.to}`, contractor);
    expect(refused.statusCode).toBe(403);
    for (const kind of ['village', 'township', '']) {
      const res = await get(`/availability/ranking?kind=${kind}&from=${w.from}&to=${w.to}`, bureau);
      expect(res.statusCode, kind).toBe(400);
      expect(res.json().field).toBe('kind');
    }
    const missing = await get(`/availability/ranking?from=${w.from}&to=${w.to}`, bureau);
    expect([missing.statusCode, missing.json().field]).toEqual([400, 'kind']);
    const backwards = await get(`/availability/ranking?kind=town&from=${w.to}&to=${w.from}`, bureau);
    expect([backwards.statusCode, backwards.json().field]).toEqual([400, 'to']);
  });
});
