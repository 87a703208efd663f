import ExcelJS from 'exceljs';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AlertingService, startAlertingService } from '../../src/alerting-service.js';
import { localMonth } from '../../src/governance/local-date.js';
import { addDays, localDayBounds, localMonthBounds } from '../../src/health/calendar.js';
import { bullConnection } from '../../src/queues.js';
import { generateDueReport } from '../../src/reports/monthly-repo.js';
import { previousMonth } from '../../src/reports/months.js';
import { sweepTickets } from '../../src/tickets/sweep.js';
import { buildCountyFixture, type CountyFixture, PASSWORD } from '../support/county-fixture.js';
import { type AuthHeaders, login, startTestApi, type TestApi } from '../support/harness.js';

// The monthly availability report, end to end: the alerting worker generates the month just ended (by its own
// clock, in the county's zone) exactly once however many workers check; what it keeps equals GET /availability
// and GET /reports/contractors for the month, and stays put when the ledger changes later; CSV and XLSX carry
// the same table; only the bureau and admins read it, only admins regenerate.
let api: TestApi;
let fx: CountyFixture;
let tz: string;
const as: Record<string, AuthHeaders> = {};
const HOUR = 3_600_000;

/** The month reported on: two months before the real one, so the real clock would not pick it. */
let MONTH: string;
let window: { from: Date; to: Date };
/** An instant on day d (1-based) of MONTH, h hours after local midnight. */
const at = (d: number, h = 0) =>
  new Date(localDayBounds(addDays(`${MONTH}-01`, d - 1), tz).from.getTime() + h * HOUR);

const q = <T extends object>(sql: string, values: unknown[] = []) =>
  api.deps.db.query<T>(sql, values).then((r) => r.rows);
const get = (url: string, who: string) =>
  api.app.inject({ method: 'GET', url: `/api/v1${url}`, headers: as[who] });
const range = () => `from=${window.from.toISOString()}&to=${window.to.toISOString()}`;
const availability = async (nodeId: string) => {
  const res = await get(`/availability?nodeId=${nodeId}&${range()}`, 'bureau');
  expect(res.statusCode, res.body).toBe(200);
  return res.json();
};

async function interval(camera: string, from: Date, to: Date | null, state: string, reason: string | null) {
  await q(
    'INSERT INTO state_intervals (camera_id, from_at, to_at, state, reason) VALUES ($1, $2, $3, $4, $5)',
    [camera, from, to, state, reason],
  );
}

/** A fault on A1's camera in the month, ticketed to K1, acknowledged after 20 min and repaired after 3 h. */
async function ticketInTheMonth() {
  const since = at(10, 8);
  await q(
    `INSERT INTO alerts (kind, camera_id, place_id, cause, severity, opened_at)
     SELECT 'camera', id, site_id, 'offline', 'critical', $2 FROM cameras WHERE id = $1`,
    [fx.camera.A1, since],
  );
  await q(`INSERT INTO camera_health (camera_id, state, since, memory) VALUES ($1, 'offline', $2, '{}')`, [
    fx.camera.A1,
    since,
  ]);
  await sweepTickets(api.deps.db, api.config, new Date(since.getTime() + HOUR));
  await q(`UPDATE tickets SET acknowledged_at = $2, status = 'acknowledged' WHERE camera_id = $1`, [
    fx.camera.A1,
    new Date(since.getTime() + HOUR + 20 * 60_000),
  ]);
  const healed = new Date(since.getTime() + 4 * HOUR);
  await q(`UPDATE alerts SET status = 'resolved', resolved_at = $2 WHERE camera_id = $1`, [
    fx.camera.A1,
    healed,
  ]);
  await q(`UPDATE camera_health SET state = 'online', since = $2 WHERE camera_id = $1`, [
    fx.camera.A1,
    healed,
  ]);
  await sweepTickets(api.deps.db, api.config, new Date(healed.getTime() + HOUR));
}

beforeAll(async () => {
  api = await startTestApi();
  fx = await buildCountyFixture(api.deps.db);
  tz = api.config.timeZone;
  MONTH = previousMonth(previousMonth(localMonth(new Date(), tz)));
  window = localMonthBounds(MONTH, tz);
  for (const user of ['admin', 'bureau', 'dutya1', 'dutya', 'contractork1']) {
    as[user] = await login(api.app, user, PASSWORD);
  }
  await q('UPDATE cameras SET commissioned_at = $1', [new Date(window.from.getTime() - 40 * 24 * HOUR)]);
  const before = new Date(window.from.getTime() - 2 * 24 * HOUR);
  // A1: 156 h offline in the month; A2: 5 h of a blurred picture and 6 h of approved maintenance; B1: online
  // across both ends of the month
  await interval(fx.camera.A1, before, at(10, 8), 'online', null);
  await interval(fx.camera.A1, at(10, 8), at(16, 20), 'offline', 'network');
  await interval(fx.camera.A1, at(16, 20), null, 'online', null);
  await interval(fx.camera.A2, before, at(20, 9), 'online', null);
  await interval(fx.camera.A2, at(20, 9), at(20, 14), 'degraded', 'picture:blur');
  await interval(fx.camera.A2, at(20, 14), null, 'online', null);
  await interval(fx.camera.B1, before, new Date(window.to.getTime() + 24 * HOUR), 'online', null);
  await interval(fx.camera.B1, new Date(window.to.getTime() + 24 * HOUR), null, 'offline', 'network');
  await q(
    `INSERT INTO availability_exclusions (kind, camera_id, from_at, to_at, reason, status)
     VALUES ('maintenance', $1, $2, $3, '检修', 'approved')`,
    [fx.camera.A2, at(5), at(5, 6)],
  );
  await ticketInTheMonth();
}, 60_000);
afterAll(() => api?.close());

describe('monthly report on schedule', () => {
  const workers: { service: AlertingService; connection: Redis }[] = [];
  afterAll(async () => {
    for (const w of workers) {
      await w.service.close();
      w.connection.disconnect();
    }
  });

  it('is generated once for the month just ended, however many workers check', async () => {
    // half an hour into the next month, county time (still the month before in UTC)
    const clock = new Date(localMonthBounds(MONTH, tz).to.getTime() + 30 * 60_000);
    for (const name of ['one', 'two']) {
      const connection = bullConnection(api.config, `test-monthly-${name}`, api.deps.log);
      const service = await startAlertingService(
        { db: api.deps.db, vault: api.deps.vault, config: api.config, log: api.deps.log },
        connection,
        { now: () => clock },
      );
      workers.push({ service, connection });
    }
    await expect
      .poll(async () => (await get('/reports/monthly', 'bureau')).json().items, { timeout: 15_000 })
      .toHaveLength(1);
    const [first] = await q<{ generated_at: Date }>('SELECT generated_at FROM monthly_reports');
    // both check again; closing waits for the checks under way
    for (const w of workers) w.service.monthlyReportNow();
    for (const w of workers) {
      await w.service.close();
      w.connection.disconnect();
    }
    workers.length = 0;
    const rows = await q<{ month: string; generated_at: Date; generated_by: string | null }>(
      'SELECT month, generated_at, generated_by FROM monthly_reports',
    );
    expect(rows).toEqual([{ month: MONTH, generated_at: first?.generated_at, generated_by: null }]);
    const list = (await get('/reports/monthly', 'admin')).json().items;
    expect(list).toEqual([
      expect.objectContaining({
        month: MONTH,
        generatedBy: null,
        target: 0.95,
        meetsTarget: false,
        cameras: 3,
      }),
    ]);
  });

  it('takes one report from workers racing for the same month', async () => {
    const earlier = previousMonth(MONTH);
    const clock = new Date(localMonthBounds(earlier, tz).to.getTime() + HOUR);
    const results = await Promise.all(
      Array.from({ length: 4 }, () => generateDueReport(api.deps.db, tz, clock)),
    );
    expect(results.filter((m) => m !== null)).toEqual([earlier]);
    expect(await q('SELECT month FROM monthly_reports WHERE month = $1', [earlier])).toHaveLength(1);
  });

  it('keeps no report of a month that ended before the first camera was commissioned', async () => {
    // the cameras were commissioned 40 days before MONTH began: three months before it, there were none
    const empty = previousMonth(previousMonth(previousMonth(MONTH)));
    const clock = new Date(localMonthBounds(empty, tz).to.getTime() + HOUR);
    expect(await generateDueReport(api.deps.db, tz, clock)).toBeNull();
    expect(await q('SELECT month FROM monthly_reports WHERE month = $1', [empty])).toEqual([]);
  });
});

describe('monthly report figures', () => {
  it('equal GET /availability for the month: county, towns, police districts and each day', async () => {
    const res = await get(`/reports/monthly/${MONTH}`, 'bureau');
    expect(res.statusCode, res.body).toBe(200);
    const { figures: report } = res.json();
    expect(report).toMatchObject({ month: MONTH, timeZone: tz, target: 0.95 });
    expect([report.from, report.to]).toEqual([window.from.toISOString(), window.to.toISOString()]);

    const county = await availability(fx.node.county);
    expect(report.county).toEqual({
      nodeId: fx.node.county,
      name: '节点county',
      parentName: null,
      cameras: county.cameras,
      figures: county.figures,
      meetsTarget: county.meetsTarget,
    });
    expect(county.figures.scheduledMs).toBeGreaterThan(0);
    expect(report.county.meetsTarget).toBe(false);
    expect(report.days).toEqual(
      county.byDay.map((d: { day: string; figures: { effectiveRate: number | null } }) => ({
        ...d,
        meetsTarget: d.figures.effectiveRate === null ? null : d.figures.effectiveRate >= 0.95,
      })),
    );
    expect(
      report.days.find((d: { day: string }) => d.day === `${MONTH}-11`).figures.effectiveRate,
    ).toBeCloseTo(2 / 3);

    const days = (window.to.getTime() - window.from.getTime()) / (24 * HOUR);
    const expectA1 = (days * 24 - 156) / (days * 24);
    expect(report.policeDistricts.map((a: { name: string }) => a.name)).toEqual([
      '节点A1',
      '节点A2',
      '节点B1',
    ]);
    expect(report.policeDistricts[0].figures.effectiveRate).toBeCloseTo(expectA1, 12);
    expect(report.policeDistricts[0].parentName).toBe('节点A');
    expect(report.towns.map((a: { name: string }) => a.name)).toEqual(['节点A', '节点B']);
    for (const area of [...report.towns, ...report.policeDistricts]) {
      const live = await availability(area.nodeId);
      expect({
        name: area.name,
        cameras: area.cameras,
        figures: area.figures,
        meets: area.meetsTarget,
      }).toEqual({
        name: area.name,
        cameras: live.cameras,
        figures: live.figures,
        meets: live.meetsTarget,
      });
    }
  });

  it('carry the contractors’ SLA for the month as GET /reports/contractors gives it', async () => {
    const { figures: report } = (await get(`/reports/monthly/${MONTH}`, 'bureau')).json();
    const sla = (await get(`/reports/contractors?${range()}`, 'bureau')).json().rows;
    expect(report.contractors).toEqual(sla);
    expect(report.contractors[0]).toMatchObject({
      contractorName: '运维K1',
      opened: 1,
      closed: 1,
      metSla: 1,
    });
  });

  it('stay as generated when the ledger changes later, until an admin regenerates the month', async () => {
    const kept = (await get(`/reports/monthly/${MONTH}`, 'bureau')).json().figures.county;
    await q(
      `INSERT INTO availability_exclusions (kind, camera_id, from_at, to_at, reason, status)
       VALUES ('external_cause', $1, $2, $3, '停电', 'approved')`,
      [fx.camera.B1, at(3), at(4)],
    );
    const moved = await availability(fx.node.county);
    expect(moved.figures.scheduledMs).toBe(kept.figures.scheduledMs - 24 * HOUR);
    expect((await get(`/reports/monthly/${MONTH}`, 'bureau')).json().figures.county).toEqual(kept);

    const denied = await api.app.inject({
      method: 'POST',
      url: `/api/v1/reports/monthly/${MONTH}/generate`,
      headers: as.bureau,
    });
    expect(denied.statusCode).toBe(403);
    const res = await api.app.inject({
      method: 'POST',
      url: `/api/v1/reports/monthly/${MONTH}/generate`,
      headers: as.admin,
    });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ month: MONTH, generatedBy: 'admin' });
    expect(res.json().figures.county.figures).toEqual(moved.figures);
    const trail = await q(
      `SELECT action, object_id FROM audit_log WHERE object_type = 'monthly_report' AND username = 'admin'`,
    );
    expect(trail).toEqual([{ action: 'generate', object_id: MONTH }]);
  });
});

/** RFC 4180 fields of a CSV text (quoted fields may hold commas, quotes and line breaks). */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(cell);
      cell = '';
    } else if (c === '\r' && text[i + 1] === '\n') {
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
      i++;
    } else cell += c;
  }
  expect(cell).toBe(''); // the last record ends with CRLF
  return rows;
}

const percent = (share: number) => `${(share * 100).toFixed(2)}%`;

describe('monthly report downloads', () => {
  it('CSV: UTF-8 with BOM, every row the same width, rates as percents matching the JSON', async () => {
    const res = await get(`/reports/monthly/${MONTH}?format=csv`, 'bureau');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(res.headers['content-disposition']).toBe(`attachment; filename="availability-${MONTH}.csv"`);
    expect(res.rawPayload.subarray(0, 3)).toEqual(Buffer.from([0xef, 0xbb, 0xbf]));
    const rows = parseCsv(res.rawPayload.subarray(3).toString('utf8'));
    const { figures: report } = (await get(`/reports/monthly/${MONTH}`, 'bureau')).json();
    expect(rows[0]?.slice(0, 9)).toEqual([
      '部分',
      '名称',
      '所属乡镇',
      '排名',
      '摄像机数',
      '有效率',
      '在线率',
      '目标',
      '是否达标',
    ]);
    for (const r of rows) expect(r).toHaveLength(rows[0]?.length ?? 0);
    expect(rows[1]?.slice(0, 9)).toEqual([
      '全县',
      '节点county',
      '',
      '',
      '3',
      percent(report.county.figures.effectiveRate),
      percent(report.county.figures.onlineRate),
      '95.00%',
      '未达标',
    ]);
    const districts = rows.filter((r) => r[0] === '派出所辖区');
    expect(districts.map((r) => [r[1], r[2], r[3], r[5]])).toEqual(
      report.policeDistricts.map(
        (a: { name: string; parentName: string; figures: { effectiveRate: number } }, i: number) => [
          a.name,
          a.parentName,
          String(i + 1),
          percent(a.figures.effectiveRate),
        ],
      ),
    );
    expect(rows.filter((r) => r[0] === '每日').map((r) => r[1])).toEqual(
      report.days.map((d: { day: string }) => d.day),
    );
    const k1 = rows.find((r) => r[0] === '运维单位' && r[1] === '运维K1');
    expect(k1?.slice(9, 14)).toEqual(['1', '1', '0', '1', '0']);
  });

  it('XLSX: the same table, rates as numbers shown as percents with two decimals', async () => {
    const res = await get(`/reports/monthly/${MONTH}?format=xlsx`, 'admin');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe(
      'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
    );
    expect(res.headers['content-disposition']).toBe(`attachment; filename="availability-${MONTH}.xlsx"`);
    const book = new ExcelJS.Workbook();
    await book.xlsx.load(res.rawPayload as unknown as ArrayBuffer);
    const sheet = book.worksheets[0];
    if (!sheet) throw new Error('no sheet');
    const { figures: report } = (await get(`/reports/monthly/${MONTH}`, 'bureau')).json();
    expect(sheet.getRow(2).getCell(6).value).toBe(report.county.figures.effectiveRate);
    expect(sheet.getRow(2).getCell(6).numFmt).toBe('0.00%');

    // cell by cell, the workbook reads as the CSV does
    const csv = parseCsv(
      (await get(`/reports/monthly/${MONTH}?format=csv`, 'bureau')).rawPayload.subarray(3).toString('utf8'),
    );
    const width = csv[0]?.length ?? 0;
    const asText: string[][] = [];
    sheet.eachRow({ includeEmpty: false }, (row) => {
      asText.push(
        Array.from({ length: width }, (_, i) => {
          const cell = row.getCell(i + 1);
          if (cell.value === null || cell.value === undefined) return '';
          return cell.numFmt === '0.00%' ? percent(Number(cell.value)) : String(cell.value);
        }),
      );
    });
    expect(asText).toEqual(csv);
  });
});

describe('monthly report access and errors', () => {
  it('is the bureau’s and the admins’ only: duty desks and contractors get 403', async () => {
    for (const who of ['dutya1', 'dutya', 'contractork1']) {
      for (const url of [
        '/reports/monthly',
        `/reports/monthly/${MONTH}`,
        `/reports/monthly/${MONTH}?format=csv`,
      ]) {
        expect({ who, url, status: (await get(url, who)).statusCode }).toEqual({ who, url, status: 403 });
      }
      const post = await api.app.inject({
        method: 'POST',
        url: `/api/v1/reports/monthly/${MONTH}/generate`,
        headers: as[who],
      });
      expect(post.statusCode).toBe(403);
    }
    expect((await get('/reports/monthly', 'bureau')).statusCode).toBe(200);
  });

  it('names the month when it is not one (400), and answers 404 for a month not generated', async () => {
    for (const bad of ['2026-13', '2026-1', 'last']) {
      const res = await get(`/reports/monthly/${bad}`, 'bureau');
      expect({ bad, status: res.statusCode, field: res.json().field }).toEqual({
        bad,
        status: 400,
        field: 'month',
      });
    }
    expect((await get('/reports/monthly/1999-01', 'bureau')).statusCode).toBe(404);
    expect((await get('/reports/monthly/1999-01?format=xlsx', 'bureau')).statusCode).toBe(404);
    const thisMonth = localMonth(new Date(), tz);
    const future = await api.app.inject({
      method: 'POST',
      url: `/api/v1/reports/monthly/${thisMonth}/generate`,
      headers: as.admin,
    });
    expect(future.statusCode).toBe(400);
    expect(future.json().field).toBe('month');
  });
});
