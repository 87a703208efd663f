import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localDate } from '../../src/governance/local-date.js';
import { localMonthBounds } from '../../src/health/calendar.js';
import { documentedMetrics, readRepoFile } from '../ops/ops-support.js';
import { buildCountyFixture, type CountyFixture, PASSWORD } from '../support/county-fixture.js';
import { login, startTestApi, type TestApi } from '../support/harness.js';
import { isDefaultMetric, parseExposition } from '../support/metrics-text.js';

// The gauges an API instance serves at /metrics: the county's, towns' and police districts' rates now (the same
// figures /availability/live gives), cameras by state, alerts, tickets and queues; and a town that is deleted
// loses its series at the next scrape.
let api: TestApi;
let fx: CountyFixture;
let admin: { authorization: string };

beforeAll(async () => {
  api = await startTestApi();
  fx = await buildCountyFixture(api.deps.db);
  admin = await login(api.app, 'admin', PASSWORD);
  // A1: online; A2: offline; B1: degraded by its picture (online, not effective); plus three more cameras on
  // A1's site: one degraded by compliance only (still effective), one in maintenance and one never judged
  const extra = [];
  for (const [i, name] of ['合规', '维护', '未知'].entries()) {
    const { rows } = await api.deps.db.query<{ id: string }>(
      'INSERT INTO cameras (site_id, name, gb_code) VALUES ($1, $2, $3) RETURNING id',
      [fx.node.A1s, name, `6404250000132000099${i}`],
    );
    extra.push((rows[0] as { id: string }).id);
  }
  const health: [string, string, string | null][] = [
    [fx.camera.A1, 'online', null],
    [fx.camera.A2, 'offline', 'network'],
    [fx.camera.B1, 'degraded', 'picture:black'],
    [extra[0] as string, 'degraded', 'compliance:clock_drift'],
    [extra[1] as string, 'maintenance', 'maintenance'],
  ];
  for (const [id, state, reason] of health) {
    await api.deps.db.query(
      `INSERT INTO camera_health (camera_id, state, reason, since, memory) VALUES ($1, $2, $3, now(), '{}')`,
      [id, state, reason],
    );
  }
});
afterAll(() => api.close());

async function scrape(): Promise<Map<string, number>> {
  const res = await api.app.inject({ url: '/metrics' });
  expect(res.statusCode).toBe(200);
  const series = new Map<string, number>();
  for (const line of res.body.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const at = line.lastIndexOf(' ');
    series.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return series;
}

async function liveShare(nodeId: string): Promise<number | null> {
  const res = await api.app.inject({ url: `/api/v1/availability/live?nodeId=${nodeId}`, headers: admin });
  expect(res.statusCode).toBe(200);
  return res.json().effectiveShare;
}

describe('rates now at /metrics', () => {
  it('gives the county, each town and each police district the effective share /availability/live gives', async () => {
    const m = await scrape();
    // counted: A1, A2, B1 and the compliance-only camera (maintenance and never-judged count in neither part)
    expect(m.get('xueliang_county_effective_ratio')).toBeCloseTo(
      (await liveShare(fx.node.county)) as number,
      9,
    );
    expect(m.get('xueliang_county_effective_ratio')).toBeCloseTo(2 / 4, 9);
    expect(m.get('xueliang_county_online_ratio')).toBeCloseTo(3 / 4, 9);
    expect(m.get('xueliang_town_effective_ratio{town="FX-A"}')).toBeCloseTo(
      (await liveShare(fx.node.A)) as number,
      9,
    );
    expect(m.get('xueliang_town_effective_ratio{town="FX-B"}')).toBe(0);
    expect(m.get('xueliang_town_online_ratio{town="FX-B"}')).toBe(1);
    expect(m.get('xueliang_police_district_effective_ratio{town="FX-A",district="FX-A1"}')).toBeCloseTo(
      (await liveShare(fx.node.A1)) as number,
      9,
    );
    expect(m.get('xueliang_police_district_effective_ratio{town="FX-A",district="FX-A2"}')).toBe(0);
    expect(m.get('xueliang_effective_target_ratio')).toBe(0.95);
    expect(m.get('xueliang_cameras{town="FX-A",state="maintenance"}')).toBe(1);
    expect(m.get('xueliang_cameras{town="FX-A",state="unknown"}')).toBe(1);
    expect(m.get('xueliang_cameras{town="FX-A",state="degraded"}')).toBe(1);
    expect(m.get('xueliang_cameras{town="FX-B",state="offline"}')).toBe(0);
  });

  it('counts unresolved alerts by severity, active tickets by status, and queue depths', async () => {
    await api.deps.db.query(
      `INSERT INTO alerts (kind, camera_id, place_id, cause, severity, status, opened_at)
       VALUES ('camera', $1, $2, 'offline', 'critical', 'acknowledged', now()),
              ('camera', $3, $4, 'picture', 'major', 'resolved', now())`,
      [fx.camera.A2, fx.node.A2s, fx.camera.B1, fx.node.B1s],
    );
    // A2's ticket: opened a minute ago, due ten seconds ago, escalated by the sweep; B1's: acknowledged, in time
    await api.deps.db.query(
      `INSERT INTO tickets (camera_id, contractor_id, contract_id, cause, priority, status, fault_since, opened_at,
         sla_due_at, escalated_at)
       VALUES ($1, $3, $4, 'offline', 'P1', 'open', now() - interval '2 hours', now() - interval '1 minute',
               now() - interval '10 seconds', now()),
              ($2, $5, $6, 'picture', 'P2', 'acknowledged', now() - interval '1 hour', now() - interval '30 minutes',
               now() + interval '1 day', NULL)`,
      [fx.camera.A2, fx.camera.B1, fx.contractor.K1, fx.contract.K1, fx.contractor.K2, fx.contract.K2],
    );
    const m = await scrape();
    expect(m.get('xueliang_alerts_open{severity="critical",kind="camera"}')).toBe(1);
    expect(m.get('xueliang_alerts_open{severity="major",kind="camera"}')).toBe(0);
    expect(m.get('xueliang_tickets_open{status="open"}')).toBe(1);
    expect(m.get('xueliang_tickets_open{status="acknowledged"}')).toBe(1);
    expect(m.get('xueliang_tickets_open{status="verifying"}')).toBe(0);
    expect(m.get('xueliang_tickets_overdue')).toBe(1);
    const month = localMonthBounds(
      localDate(new Date(), api.config.timeZone).slice(0, 7),
      api.config.timeZone,
    );
    const report = await api.app.inject({
      url: `/api/v1/reports/contractors?from=${month.from.toISOString()}&to=${month.to.toISOString()}`,
      headers: admin,
    });
    const breached = report.json().rows.reduce((sum: number, r: { breached: number }) => sum + r.breached, 0);
    expect(breached).toBe(1);
    expect(m.get('xueliang_tickets_breached_month')).toBe(breached);

    const scan = await api.app.inject({
      method: 'POST',
      url: '/api/v1/discovery/scans',
      headers: admin,
      payload: { kind: 'unicast', cidrs: ['127.91.0.0/30'] },
    });
    expect(scan.statusCode).toBe(202);
    const after = await scrape();
    expect(after.get('xueliang_queue_jobs{queue="discovery",state="waiting"}')).toBe(1);
    expect(after.get('xueliang_queue_oldest_waiting_seconds{queue="discovery"}')).toBeGreaterThanOrEqual(0);
    expect(after.get('xueliang_queue_jobs{queue="probe",state="active"}')).toBe(0);
  });

  it('drops the series of a town deleted after its cameras moved away', async () => {
    const post = async (payload: object) => {
      const res = await api.app.inject({ method: 'POST', url: '/api/v1/districts', headers: admin, payload });
      expect(res.statusCode).toBe(201);
      return res.json().id as string;
    };
    const town = await post({ kind: 'town', name: '新镇', code: 'FX-T', parentId: fx.node.county });
    const pd = await post({ kind: 'police_district', name: '新警务区', code: 'FX-T1', parentId: town });
    const village = await post({ kind: 'village', name: '新村', code: 'FX-T1v', parentId: pd });
    const site = await post({ kind: 'site', name: '新点位', code: 'FX-T1s', parentId: village });
    await api.deps.db.query('UPDATE cameras SET site_id = $2 WHERE id = $1', [fx.camera.A1, site]);

    const before = await scrape();
    expect(before.get('xueliang_town_effective_ratio{town="FX-T"}')).toBe(1);
    expect(before.get('xueliang_police_district_effective_ratio{town="FX-T",district="FX-T1"}')).toBe(1);
    expect(before.get('xueliang_cameras{town="FX-T",state="online"}')).toBe(1);

    const moved = await api.app.inject({
      method: 'PATCH',
      url: `/api/v1/cameras/${fx.camera.A1}`,
      headers: admin,
      payload: { siteId: fx.node.A1s },
    });
    expect(moved.statusCode).toBe(200);
    for (const id of [site, village, pd, town]) {
      const res = await api.app.inject({ method: 'DELETE', url: `/api/v1/districts/${id}`, headers: admin });
      expect(res.statusCode).toBe(204);
    }
    const after = await scrape();
    expect([...after.keys()].filter((k) => k.includes('FX-T'))).toEqual([]);
    expect(after.get('xueliang_cameras{town="FX-A",state="online"}')).toBe(1);
  });
});

describe("the API's metrics as docs/metrics.md documents them", () => {
  it('serves every documented API metric, and nothing undocumented, with the documented type and labels', async () => {
    const doc = documentedMetrics(readRepoFile('docs/metrics.md'));
    const served = parseExposition((await api.app.inject({ url: '/metrics' })).body);
    const problems: string[] = [];
    for (const [name, family] of served) {
      if (!name.startsWith('xueliang_')) continue;
      if (isDefaultMetric(name) && !doc.types.has(name)) continue;
      if (!doc.types.has(name)) problems.push(`${name}: served, not documented`);
      else if (doc.types.get(name) !== family.type)
        problems.push(`${name}: ${family.type}, documented ${doc.types.get(name)}`);
      else if (
        family.samples.size > 0 &&
        [...family.labelNames].sort().join() !== doc.labels.get(name)?.join()
      ) {
        problems.push(`${name}: labels ${[...family.labelNames].sort()}, documented ${doc.labels.get(name)}`);
      }
    }
    for (const [name, where] of doc.process) {
      if (where === 'API' && !served.has(name)) problems.push(`${name}: documented for the API, not served`);
    }
    expect(problems).toEqual([]);
  });
});
