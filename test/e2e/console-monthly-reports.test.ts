import { readFile } from 'node:fs/promises';
import ExcelJS from 'exceljs';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localMonth } from '../../src/governance/local-date.js';
import { localMonthBounds } from '../../src/health/calendar.js';
import { generateDueReport } from '../../src/reports/monthly-repo.js';
import { previousMonth } from '../../src/reports/months.js';
import { ARTIFACTS, launchBrowser, signInThroughConsole } from '../support/browser.js';
import { buildCountyFixture, type CountyFixture, PASSWORD } from '../support/county-fixture.js';
import { startTestApi, type TestApi } from '../support/harness.js';

// The monthly reports page in a real browser: the designed empty state, then last month's report as the
// schedule keeps it (its county rate against 95%), and both downloads giving files that parse.
let api: TestApi;
let fx: CountyFixture;
let browser: Browser;
let base: string;
let MONTH: string;
const HOUR = 3_600_000;

beforeAll(async () => {
  api = await startTestApi({ listen: true });
  fx = await buildCountyFixture(api.deps.db);
  const { port } = api.app.server.address() as { port: number };
  base = `http://127.0.0.1:${port}`;
  MONTH = previousMonth(localMonth(new Date(), api.config.timeZone));
  const { from, to } = localMonthBounds(MONTH, api.config.timeZone);
  await api.deps.db.query('UPDATE cameras SET commissioned_at = $1', [new Date(from.getTime() - 24 * HOUR)]);
  // one camera offline for the last six days of the month: the county misses 95%
  for (const [camera, down] of [
    [fx.camera.A1, new Date(to.getTime() - 144 * HOUR)],
    [fx.camera.A2, to],
    [fx.camera.B1, to],
  ] as const) {
    await api.deps.db.query(
      `INSERT INTO state_intervals (camera_id, from_at, to_at, state, reason)
       VALUES ($1, $2, $3, 'online', NULL), ($1, $3, NULL, 'offline', 'network')`,
      [camera, from, down],
    );
  }
  browser = await launchBrowser();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await api?.close();
});

async function as<T>(username: string, run: (page: Page) => Promise<T>): Promise<T> {
  const page = await browser.newPage({ viewport: { width: 1600, height: 1000 }, acceptDownloads: true });
  page.setDefaultTimeout(10_000);
  try {
    await signInThroughConsole(page, base, username, PASSWORD);
    await page.goto(`${base}/#/admin/monthly-reports`);
    return await run(page);
  } finally {
    await page.close();
  }
}

async function downloaded(page: Page, button: string): Promise<{ name: string; bytes: Buffer }> {
  const [file] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('button', { name: button }).click(),
  ]);
  return { name: file.suggestedFilename(), bytes: await readFile((await file.path()) as string) };
}

describe('console monthly reports', () => {
  it('says so when no report is generated yet', async () => {
    await as('bureau', async (page) => {
      await expect.poll(() => page.getByText('尚未生成月度报告').count()).toBe(1);
      await expect.poll(() => page.getByRole('link', { name: '月度报告' }).count()).toBe(1);
    });
  });

  it('lists the month the schedule generated, against 95%, and downloads it as CSV and XLSX', async () => {
    const clock = new Date(localMonthBounds(MONTH, api.config.timeZone).to.getTime() + HOUR);
    expect(await generateDueReport(api.deps.db, api.config.timeZone, clock)).toBe(MONTH);
    const { rows } = await api.deps.db.query<{ rate: number }>(
      `SELECT (figures #>> '{county,figures,effectiveRate}')::float8 AS rate FROM monthly_reports`,
    );
    const rate = `${((rows[0]?.rate ?? Number.NaN) * 100).toFixed(2)}%`;

    await as('bureau', async (page) => {
      const row = page.getByRole('row').filter({ hasText: MONTH });
      await expect.poll(() => row.textContent()).toContain(rate);
      expect(await row.textContent()).toContain('未达标');
      expect(await row.textContent()).toContain('自动生成');
      // the bureau reads; generating is an admin's
      expect(await page.getByRole('button', { name: '生成报告' }).count()).toBe(0);
      await page.screenshot({ path: `${ARTIFACTS}console-monthly-reports.png` });

      const csv = await downloaded(page, `下载 ${MONTH} 报告（CSV）`);
      expect(csv.name).toBe(`availability-${MONTH}.csv`);
      expect(csv.bytes.subarray(0, 3)).toEqual(Buffer.from([0xef, 0xbb, 0xbf]));
      const lines = csv.bytes.subarray(3).toString('utf8').split('\r\n');
      expect(lines[0]?.startsWith('部分,名称,')).toBe(true);
      expect(lines[1]?.startsWith(`全县,节点county,,,3,${rate},`)).toBe(true);

      const xlsx = await downloaded(page, `下载 ${MONTH} 报告（XLSX）`);
      expect(xlsx.name).toBe(`availability-${MONTH}.xlsx`);
      const book = new ExcelJS.Workbook();
      await book.xlsx.load(xlsx.bytes as unknown as ArrayBuffer);
      const sheet = book.worksheets[0];
      expect(sheet?.getRow(2).getCell(2).value).toBe('节点county');
      expect(sheet?.getRow(2).getCell(6).value).toBe(rows[0]?.rate);
    });
  });

  it('lets an admin regenerate a past month', async () => {
    await as('admin', async (page) => {
      await page.getByRole('button', { name: `重新生成 ${MONTH} 报告` }).click();
      await page.getByRole('dialog').getByRole('button', { name: '重新生成' }).click();
      const row = page.getByRole('row').filter({ hasText: MONTH });
      await expect.poll(() => row.textContent(), { timeout: 15_000 }).toContain('admin');
      expect(await row.textContent()).not.toContain('自动生成');
    });
  });
});
