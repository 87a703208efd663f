import { readFile } from 'node:fs/promises';
import ExcelJS from 'exceljs';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sweepTickets } from '../../src/tickets/sweep.js';
import { ARTIFACTS, launchBrowser, signInThroughConsole } from '../support/browser.js';
import { buildCountyFixture, type CountyFixture, PASSWORD } from '../support/county-fixture.js';
import { type AuthHeaders, login, startTestApi, type TestApi } from '../support/harness.js';

// The bureau dashboard over last month (a whole, settled month), and its CSV/XLSX exports against the API.
let api: TestApi;
let browser: Browser;
let base: string;
let fx: CountyFixture;
let page: Page;
let bureau: AuthHeaders;
let window: { from: string; to: string };
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

// last month, in this machine's zone (the browser runs here too)
const today = new Date();
const S = new Date(today.getFullYear(), today.getMonth() - 1, 1);
const MONTH = `${S.getFullYear()}-${String(S.getMonth() + 1).padStart(2, '0')}`;
const at = (days: number, hours = 0) => new Date(S.getTime() + days * DAY + hours * HOUR);

const q = <T extends object>(sql: string, values: unknown[] = []) =>
  api.deps.db.query<T>(sql, values).then((r) => r.rows);

async function apiGet<T>(url: string): Promise<T> {
  const res = await api.app.inject({ method: 'GET', url: `/api/v1${url}`, headers: bureau });
  expect(res.statusCode, res.body).toBe(200);
  return res.json() as T;
}

beforeAll(async () => {
  api = await startTestApi({ listen: true });
  fx = await buildCountyFixture(api.deps.db);
  const { port } = api.app.server.address() as { port: number };
  base = `http://127.0.0.1:${port}`;
  bureau = await login(api.app, 'bureau', PASSWORD);
  await q('UPDATE cameras SET commissioned_at = $1', [at(-2)]);
  // A1 down two days (its police district falls below 95%), B1 half a day, A2 never
  const intervals: [string, Date, Date | null, string, string | null][] = [
    [fx.camera.A1, at(-2), at(5), 'online', null],
    [fx.camera.A1, at(5), at(7), 'offline', 'network'],
    [fx.camera.A1, at(7), null, 'online', null],
    [fx.camera.A2, at(-2), null, 'online', null],
    [fx.camera.B1, at(-2), at(10), 'online', null],
    [fx.camera.B1, at(10), at(10, 12), 'offline', 'stream'],
    [fx.camera.B1, at(10, 12), null, 'online', null],
  ];
  for (const [id, from, to, state, reason] of intervals)
    await q(
      'INSERT INTO state_intervals (camera_id, from_at, to_at, state, reason) VALUES ($1, $2, $3, $4, $5)',
      [id, from, to, state, reason],
    );
  // A1's fault opened a ticket for contractor K1 during the month
  await q(
    `INSERT INTO alerts (kind, camera_id, place_id, cause, severity, opened_at)
     SELECT 'camera', id, site_id, 'offline', 'critical', $2 FROM cameras WHERE id = $1`,
    [fx.camera.A1, at(5)],
  );
  await q(`INSERT INTO camera_health (camera_id, state, since, memory) VALUES ($1, 'offline', $2, '{}')`, [
    fx.camera.A1,
    at(5),
  ]);
  await sweepTickets(api.deps.db, api.config, at(5, 1));
  // A1's incident happened during its outage, A2's while its camera worked
  for (const b of ['A1', 'A2'] as const) {
    await q('UPDATE incidents SET occurred_at = $2 WHERE id = $1', [fx.incident[b], at(6)]);
    await q('INSERT INTO incident_cameras (incident_id, camera_id) VALUES ($1, $2)', [
      fx.incident[b],
      fx.camera[b],
    ]);
  }
  browser = await launchBrowser();
  page = await browser.newPage({ viewport: { width: 1920, height: 1080 }, acceptDownloads: true });
  page.setDefaultTimeout(10_000);
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await api?.close();
});

/** Exports a table through the browser and returns the saved file's bytes. */
async function exportOf(table: string, format: 'CSV' | 'XLSX'): Promise<{ name: string; body: Buffer }> {
  const panel = page.locator(`[data-table^="${table}"]`);
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    panel.getByRole('button', { name: new RegExp(`为 ${format}$`) }).click(),
  ]);
  return { name: download.suggestedFilename(), body: await readFile((await download.path()) as string) };
}

function parseCsv(body: Buffer): string[][] {
  const text = body.toString('utf8');
  expect(text.charCodeAt(0)).toBe(0xfeff);
  return text
    .slice(1)
    .trimEnd()
    .split('\r\n')
    .map((line) => line.split(','));
}

async function parseXlsx(body: Buffer): Promise<unknown[][]> {
  const book = new ExcelJS.Workbook();
  await book.xlsx.load(body as unknown as ArrayBuffer);
  const rows: unknown[][] = [];
  book.worksheets[0]?.eachRow((row) => rows.push((row.values as unknown[]).slice(1)));
  return rows;
}

const pct = (rate: number | null) => (rate === null ? '' : (rate * 100).toFixed(2));

interface Avail {
  cameras: number;
  figures: { effectiveRate: number | null; onlineRate: number | null };
}

describe('bureau dashboard', () => {
  it('shows the county’s rate now and by day, and ranks towns and police districts', async () => {
    await signInThroughConsole(page, base, 'bureau', PASSWORD);
    const asked: string[] = [];
    page.on('request', (r) => {
      const path = new URL(r.url()).pathname;
      if (path.startsWith('/api/v1/availability')) asked.push(path);
    });
    await page.goto(`${base}/#/bureau?month=${MONTH}`);
    const dash = page.locator('[data-from]');
    await expect.poll(() => dash.getAttribute('data-from')).toBe(S.toISOString());
    await expect.poll(() => dash.getAttribute('aria-busy'), { timeout: 10_000 }).toBe('false');
    window = {
      from: (await dash.getAttribute('data-from')) as string,
      to: (await dash.getAttribute('data-to')) as string,
    };
    expect(window.to).toBe(new Date(S.getFullYear(), S.getMonth() + 1, 1).toISOString());
    const county = await apiGet<Avail & { byDay: unknown[] }>(
      `/availability?nodeId=${fx.node.county}&from=${window.from}&to=${window.to}`,
    );
    await expect
      .poll(() => page.locator('[data-test=rate-period]').textContent())
      .toBe(`${pct(county.figures.effectiveRate)}%`);
    expect(await page.locator('[data-test=rate-chart] canvas').count()).toBe(1);
    // the county's figures, one ranking per level, and the gap of the one district below target
    await expect.poll(() => asked.length).toBeGreaterThanOrEqual(5);
    expect(asked.sort()).toEqual([
      '/api/v1/availability',
      '/api/v1/availability/gap',
      '/api/v1/availability/live',
      '/api/v1/availability/ranking',
      '/api/v1/availability/ranking',
    ]);
    const districts = page.locator('[data-table^="police-districts"] .el-table__body tr');
    await expect.poll(() => districts.count()).toBe(3);
    // best first: A2 (never down), B1, A1
    expect(await districts.nth(0).textContent()).toContain('节点A2');
    expect(await districts.nth(2).textContent()).toContain('节点A1');
    const gapRows = page.locator('[data-table^="repair-to-target"] .el-table__body tr');
    await expect.poll(() => gapRows.count()).toBe(1);
    expect(await gapRows.first().textContent()).toContain('摄像机A1');
    // every contractor, K2 with nothing opened
    await expect
      .poll(() => page.locator('[data-table^="contractor-sla"] .el-table__body tr').count())
      .toBe(2);
    await page.screenshot({ path: `${ARTIFACTS}console-bureau-dashboard.png`, fullPage: true });
  });

  it('exports the police-district ranking as CSV and XLSX with the API’s figures', async () => {
    const ranking = await apiGet<{ rows: (Avail & { name: string })[] }>(
      `/availability/ranking?kind=police_district&from=${window.from}&to=${window.to}`,
    );
    expect(ranking.rows.map((r) => r.name).sort()).toEqual(['节点A1', '节点A2', '节点B1']);
    const expected = new Map<string, Avail>(ranking.rows.map((r) => [r.name, r]));

    const csv = await exportOf('police-districts', 'CSV');
    expect(csv.name).toBe(`police-districts-${MONTH}.csv`);
    const [head, ...rows] = parseCsv(csv.body);
    expect(head).toEqual(['排名', '名称', '上级', '摄像机', '在线率(%)', '有效率(%)', '达标']);
    expect(rows).toHaveLength(3);
    for (const row of rows) {
      const a = expected.get(row[1] as string) as Avail;
      expect(row[3]).toBe(String(a.cameras));
      expect(row[4]).toBe(pct(a.figures.onlineRate));
      expect(row[5]).toBe(pct(a.figures.effectiveRate));
    }
    expect(rows.map((r) => r[1])).toEqual(['节点A2', '节点B1', '节点A1']);

    const xlsx = await exportOf('police-districts', 'XLSX');
    expect(xlsx.name).toBe(`police-districts-${MONTH}.xlsx`);
    const [xhead, ...xrows] = await parseXlsx(xlsx.body);
    expect(xhead).toEqual(['排名', '名称', '上级', '摄像机', '在线率', '有效率', '达标']);
    for (const row of xrows) {
      const a = expected.get(row[1] as string) as Avail;
      expect(row[3]).toBe(a.cameras);
      expect(row[4]).toBe(a.figures.onlineRate);
      expect(row[5]).toBe(a.figures.effectiveRate);
    }
    expect(xrows.map((r) => [r[0], r[1], r[2]])).toEqual([
      [1, '节点A2', '节点A'],
      [2, '节点B1', '节点B'],
      [3, '节点A1', '节点A'],
    ]);
  });

  it('exports the cameras to repair and the contractor SLA table with the API’s figures', async () => {
    const gap = await apiGet<{
      rate: number;
      rateAfterFixes: number;
      fixes: { name: string; lostMs: number }[];
    }>(`/availability/gap?nodeId=${fx.node.A1}&from=${window.from}&to=${window.to}`);
    expect(gap.fixes.map((f) => f.name)).toEqual(['摄像机A1']);
    const [, gapRow] = parseCsv((await exportOf('repair-to-target', 'CSV')).body);
    expect(gapRow).toEqual([
      '节点A1',
      '摄像机A1',
      String(Math.round(((gap.fixes[0]?.lostMs ?? 0) / HOUR) * 100) / 100),
      pct(gap.rate),
      pct(gap.rateAfterFixes),
      '可达标',
    ]);

    const report = await apiGet<{ rows: Record<string, number | string | null>[] }>(
      `/reports/contractors?from=${window.from}&to=${window.to}`,
    );
    expect(report.rows.map((r) => [r.contractorName, r.opened])).toEqual(
      expect.arrayContaining([
        ['运维K1', 1],
        ['运维K2', 0],
      ]),
    );
    const [xhead, ...xrows] = await parseXlsx((await exportOf('contractor-sla', 'XLSX')).body);
    expect(xhead?.[0]).toBe('运维单位');
    expect(xrows).toHaveLength(report.rows.length);
    const keys = ['contractorName', 'opened', 'closed', 'stillOpen', 'metSla', 'breached'];
    for (const r of report.rows) {
      const xrow = xrows.find((x) => x[0] === r.contractorName) as unknown[];
      expect(xrow.slice(0, keys.length)).toEqual(keys.map((k) => r[k]));
      const met = r.metSla as number;
      const decided = met + (r.breached as number);
      expect(xrow[6] ?? null).toBe(decided ? met / decided : null);
      expect(xrow[7] ?? null).toBe(r.meanMinutesToAcknowledge);
      expect(xrow[9]).toBe(r.externalCauseHours);
    }
  });

  it('lists the incidents whose cameras were down, exported as the API says', async () => {
    const down = await apiGet<{
      rows: { title: string; cameraName: string; state: string; reason: string }[];
    }>(`/exports/incidents-cameras-down?from=${window.from}&to=${window.to}`);
    expect(down.rows.map((r) => [r.title, r.cameraName, r.state])).toEqual([
      ['纠纷A1', '摄像机A1', 'offline'],
    ]);
    const [head, ...rows] = parseCsv((await exportOf('incidents-cameras-down', 'CSV')).body);
    expect(head).toEqual(['发生时间', '警情', '地点', '摄像机', '当时状态', '原因', '故障开始', '故障结束']);
    const p = (n: number) => String(n).padStart(2, '0');
    const t = at(6);
    const local = `${t.getFullYear()}-${p(t.getMonth() + 1)}-${p(t.getDate())} ${p(t.getHours())}:${p(t.getMinutes())}`;
    expect(rows).toEqual([
      [local, '纠纷A1', '节点A1v', '摄像机A1', '离线', 'network', expect.any(String), expect.any(String)],
    ]);
  });

  it('prints as a monthly report: its title, without the console’s bar and buttons', async () => {
    await page.emulateMedia({ media: 'print' });
    try {
      expect(await page.getByRole('heading', { name: `${MONTH} 视频监控设施有效率月报` }).isVisible()).toBe(
        true,
      );
      expect(await page.getByRole('menuitem').first().isVisible()).toBe(false);
      expect(await page.getByRole('button', { name: '打印月报' }).isVisible()).toBe(false);
      await page.pdf({ path: `${ARTIFACTS}console-bureau-report.pdf`, format: 'A4', landscape: true });
    } finally {
      await page.emulateMedia({ media: 'screen' });
    }
  });
});
