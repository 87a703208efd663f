import type { Browser, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ARTIFACTS, launchBrowser, signInThroughConsole } from '../support/browser.js';
import { buildCountyFixture, type CountyFixture, PASSWORD } from '../support/county-fixture.js';
import { type DiscoveryRig, startDiscoveryRig } from '../support/discovery-rig.js';
import { startTestApi, type TestApi } from '../support/harness.js';

// The admin pages in a real browser against the real service: users, the API's form errors, the approval of
// an external-cause request and the video-access audit.
let api: TestApi;
let fx: CountyFixture;
let browser: Browser;
let base: string;

beforeAll(async () => {
  // every test signs the admin in afresh, more often than the login rate limit (10 a minute) allows one user
  api = await startTestApi({ listen: true, env: { XUELIANG_LOGIN_MAX_ATTEMPTS: '1000' } });
  fx = await buildCountyFixture(api.deps.db);
  const { port } = api.app.server.address() as { port: number };
  base = `http://127.0.0.1:${port}`;
  browser = await launchBrowser();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await api?.close();
});

async function asAdmin<T>(run: (page: Page) => Promise<T>): Promise<T> {
  const page = await browser.newPage({ viewport: { width: 1600, height: 1000 } });
  page.setDefaultTimeout(10_000); // a missing element fails with its locator, not the test's timeout
  try {
    await signInThroughConsole(page, base, 'admin', PASSWORD);
    return await run(page);
  } finally {
    await page.close();
  }
}

/** The form item of the open dialog whose label is `label`. */
function field(page: Page, label: RegExp): Locator {
  return page
    .getByRole('dialog')
    .locator('.el-form-item')
    .filter({ has: page.getByText(label, { exact: true }) });
}

/** Picks an option of a remote select by typing part of its name. */
async function pick(page: Page, label: RegExp, text: string, option: string) {
  const input = page.getByRole('dialog').getByLabel(label);
  await input.click();
  await input.fill(text);
  await page.locator('.el-select-dropdown__item:visible', { hasText: option }).first().click();
}

describe('console admin pages', () => {
  it('creates a duty user scoped to a police district, who can then sign in to that district', async () => {
    await asAdmin(async (page) => {
      await page.goto(`${base}/#/admin/users`);
      await page.getByRole('button', { name: '新建用户' }).click();
      const dialog = page.getByRole('dialog');
      await dialog.getByLabel('用户名').fill('duty.new');
      await dialog.getByLabel('姓名').fill('新值班员');
      await pick(page, /管辖范围/, '节点A1', '节点A1');
      await dialog.getByLabel('初始密码').fill('a-good-password-1');
      await dialog.getByLabel('初始密码').press('Enter'); // keyboard submit
      await expect.poll(() => page.getByRole('cell', { name: 'duty.new' }).count()).toBe(1);
      await expect.poll(() => page.getByText('已创建用户 duty.new').count()).toBeGreaterThan(0);
      await page.screenshot({ path: `${ARTIFACTS}console-admin-users.png` });
    });
    const { rows } = await api.deps.db.query<{ role: string; scope_district_id: string }>(
      'SELECT role, scope_district_id FROM users WHERE username = $1',
      ['duty.new'],
    );
    expect(rows[0]).toEqual({ role: 'duty', scope_district_id: fx.node.A1 });
    const page = await browser.newPage();
    try {
      await signInThroughConsole(page, base, 'duty.new', 'a-good-password-1');
      expect(new URL(page.url()).hash).toBe('#/duty');
    } finally {
      await page.close();
    }
  });

  it('shows an error of the API on the field it names', async () => {
    await asAdmin(async (page) => {
      await page.goto(`${base}/#/admin/users`);
      await page.getByRole('button', { name: '新建用户' }).click();
      const dialog = page.getByRole('dialog');
      await dialog.getByLabel('用户名').fill('dutya1');
      await dialog.getByLabel('姓名').fill('重名');
      await pick(page, /管辖范围/, '节点A2', '节点A2');
      await dialog.getByLabel('初始密码').fill('short');
      await dialog.getByRole('button', { name: '保存' }).click();
      const password = field(page, /初始密码/);
      await expect.poll(() => password.locator('.el-form-item__error').textContent()).toContain('10');
      expect(
        await field(page, /用户名/)
          .locator('.el-form-item__error')
          .count(),
      ).toBe(0);

      // the password is fine now; the name is taken: the error moves to the user name
      await dialog.getByLabel('初始密码').fill('a-good-password-1');
      await dialog.getByRole('button', { name: '保存' }).click();
      await expect
        .poll(() =>
          field(page, /用户名/)
            .locator('.el-form-item__error')
            .textContent(),
        )
        .toContain('taken');
      // (the old message fades out)
      await expect.poll(() => password.locator('.el-form-item__error').count()).toBe(0);
      await page.screenshot({ path: `${ARTIFACTS}console-admin-form-error.png` });
    });
  });

  it('approves an external-cause request', async () => {
    const { rows } = await api.deps.db.query<{ id: string }>(
      `INSERT INTO availability_exclusions (kind, camera_id, from_at, to_at, reason, evidence, requested_by)
       VALUES ('external_cause', $1, now() - interval '5 hours', now() - interval '2 hours', '供电局计划停电', '停电通知 2026-118', $2)
       RETURNING id`,
      [fx.camera.A1, fx.user.contractorK1],
    );
    const id = (rows[0] as { id: string }).id;
    await asAdmin(async (page) => {
      await page.goto(`${base}/#/admin/exclusions`);
      const row = page.getByRole('row').filter({ hasText: '供电局计划停电' });
      await expect.poll(() => row.count()).toBe(1);
      await expect.poll(() => row.textContent()).toContain('摄像机A1'); // the name follows the id
      await row.getByRole('button', { name: '批准' }).click();
      await page.locator('.el-message-box').getByRole('button', { name: '批准' }).click();
      await expect.poll(() => row.count()).toBe(0); // it leaves the "requested" list
      await page.locator('.el-radio-button', { hasText: '已批准' }).click();
      await expect.poll(() => page.getByRole('row').filter({ hasText: '供电局计划停电' }).count()).toBe(1);
      await page.screenshot({ path: `${ARTIFACTS}console-admin-exclusions.png` });
    });
    const after = await api.deps.db.query<{ status: string; decided_by: string }>(
      'SELECT status, decided_by FROM availability_exclusions WHERE id = $1',
      [id],
    );
    expect(after.rows[0]).toEqual({ status: 'approved', decided_by: fx.user.admin });
  });

  it('lists a video session in the audit and exports it as CSV and XLSX', async () => {
    await api.deps.db.query(
      `INSERT INTO video_sessions (user_id, username, camera_id, instance_id, remote_addr, started_at, ended_at,
         end_reason, bytes_sent)
       VALUES ($1, 'dutya1', $2, 'api-test', '10.9.8.7', now() - interval '1 hour', now() - interval '50 minutes',
         'viewer left', 3145728)`,
      [fx.user.dutyA1, fx.camera.A1],
    );
    await asAdmin(async (page) => {
      await page.goto(`${base}/#/admin/video-audit`);
      const row = page.getByRole('row').filter({ hasText: '10.9.8.7' });
      await expect.poll(() => row.count()).toBe(1);
      const text = await row.textContent();
      expect(text).toContain('dutya1');
      expect(text).toContain('摄像机A1');
      expect(text).toContain('0:10:00');
      await page.screenshot({ path: `${ARTIFACTS}console-admin-video-audit.png` });

      const [download] = await Promise.all([
        page.waitForEvent('download'),
        page.getByRole('button', { name: '导出 CSV' }).click(),
      ]);
      const path = await download.path();
      const { readFile } = await import('node:fs/promises');
      const csv = (await readFile(path, 'utf8')).replace(/^\uFEFF/, '');
      const lines = csv.trim().split('\r\n');
      expect(lines).toHaveLength(2);
      expect(lines[0]).toContain('用户');
      expect(lines[1]).toContain('dutya1,摄像机A1');
      expect(lines[1]).toContain('10.9.8.7');

      const [xlsx] = await Promise.all([
        page.waitForEvent('download'),
        page.getByRole('button', { name: '导出 XLSX' }).click(),
      ]);
      const { default: ExcelJS } = await import('exceljs');
      const book = new ExcelJS.Workbook();
      await book.xlsx.readFile(await xlsx.path());
      const sheet = book.worksheets[0];
      expect(sheet?.rowCount).toBe(2);
      expect(sheet?.getRow(2).getCell(1).value).toBe('dutya1');
      expect(sheet?.getRow(2).getCell(9).value).toBe(3);
    });
  });

  it('keeps the admin-only pages from the bureau but lets it read the audit', async () => {
    const page = await browser.newPage();
    try {
      await signInThroughConsole(page, base, 'bureau', PASSWORD);
      await page.goto(`${base}/#/admin/users`);
      await page.waitForURL((url) => url.hash === '#/bureau');
      await page.goto(`${base}/#/admin/video-audit`);
      await expect.poll(() => page.getByRole('row').filter({ hasText: '10.9.8.7' }).count()).toBe(1);
    } finally {
      await page.close();
    }
  });
  it('shows the 1+X+N gaps, and a new auxiliary closes one', async () => {
    await asAdmin(async (page) => {
      await page.goto(`${base}/#/admin/staff`);
      const gaps = page.getByRole('region', { name: '配备缺口' });
      await expect.poll(() => gaps.textContent()).toContain('发现 3 处配备缺口');
      expect(await gaps.textContent()).toContain('节点A1：民警A1 配辅警 0 名');
      await page.getByRole('button', { name: '新增人员' }).click();
      const dialog = page.getByRole('dialog');
      await dialog.getByLabel('姓名').fill('辅警甲');
      await pick(page, /所属辖区/, '节点A1', '节点A1');
      await pick(page, /上级民警/, '民警A1', '民警A1');
      await dialog.getByRole('button', { name: '保存' }).click();
      await expect.poll(() => gaps.textContent()).toContain('发现 2 处配备缺口');
      expect(await gaps.textContent()).not.toContain('民警A1');
      await page.screenshot({ path: `${ARTIFACTS}console-admin-staff.png` });
    });
  });

  it('opens every admin page with its list, not an error', async () => {
    await asAdmin(async (page) => {
      for (const [path, title] of [
        ['users', '用户管理'],
        ['districts', '辖区'],
        ['contractors', '运维单位'],
        ['contracts', '运维合同'],
        ['cameras', '摄像机'],
        ['exclusions', '维护窗口与外因申诉'],
        ['video-audit', '视频调阅审计'],
        ['scans', '设备发现'],
        ['offices', '警务室'],
        ['staff', '1+X+N 人员'],
        ['notifications', '通知'],
      ] as const) {
        await page.goto(`${base}/#/admin/${path}`);
        await page.getByRole('heading', { name: title, exact: true }).waitFor();
        await page.locator('section.admin-table[aria-busy="false"]').first().waitFor();
        expect(await page.getByText(/出错了/).count(), path).toBe(0);
      }
      await page.goto(`${base}/#/admin/cameras`);
      await expect.poll(() => page.getByRole('cell', { name: '摄像机A1' }).count()).toBe(1);
    });
  });
  it('follows a discovery scan as it runs, and asks it to cancel', async () => {
    const { rows } = await api.deps.db.query<{ id: string }>(
      `INSERT INTO discovery_scans (kind, params, status, total, probed, found, started_at)
       VALUES ('unicast', '{"cidrs":["10.64.1.0/24"],"ports":[80]}', 'running', 256, 64, 3, now()) RETURNING id`,
    );
    const id = (rows[0] as { id: string }).id;
    await asAdmin(async (page) => {
      await page.goto(`${base}/#/admin/scans`);
      const row = page.getByRole('row').filter({ hasText: '10.64.1.0/24' });
      await expect.poll(() => row.textContent()).toContain('已探测 64/256，发现 3');
      expect(await row.getByRole('progressbar').getAttribute('aria-valuenow')).toBe('25');
      await api.deps.db.query('UPDATE discovery_scans SET probed = 192, found = 5 WHERE id = $1', [id]);
      await expect.poll(() => row.textContent(), { timeout: 6000 }).toContain('已探测 192/256，发现 5');
      await page.screenshot({ path: `${ARTIFACTS}console-admin-scans.png` });
      await row.getByRole('button', { name: '停止扫描' }).click();
      await page.locator('.el-message-box').getByRole('button', { name: '停止扫描' }).click();
      await expect.poll(() => row.textContent()).toContain('正在停止');
    });
    const after = await api.deps.db.query('SELECT cancel_requested FROM discovery_scans WHERE id = $1', [id]);
    expect(after.rows[0]).toEqual({ cancel_requested: true });
  });
  it('sets up a notification route and replays a dead letter', async () => {
    await asAdmin(async (page) => {
      await page.goto(`${base}/#/admin/notifications`);
      await page.getByRole('button', { name: '新建路由' }).click();
      const dialog = page.getByRole('dialog');
      await dialog.getByLabel('名称').fill('县局值班 Webhook');
      await dialog.getByLabel('渠道').focus();
      await page.keyboard.press('Enter'); // the select opens from the keyboard
      await page.locator('.el-select-dropdown__item:visible', { hasText: 'Webhook' }).click();
      await dialog.getByLabel('地址').fill('http://10.0.0.5/hook');
      await dialog.getByLabel('密钥').fill('a-webhook-secret');
      await dialog.getByRole('button', { name: '保存' }).click();
      await expect.poll(() => page.getByRole('row').filter({ hasText: '10.0.0.5' }).count()).toBe(1);
    });
    const { rows } = await api.deps.db.query<{ id: string }>(
      `WITH feed AS (
         INSERT INTO alert_feed (kind, ancestors, severity, payload) VALUES ('opened', '{}', 'major', '{}') RETURNING id
       )
       INSERT INTO notification_dead_letters (route_id, feed_id, attempts, last_error)
       SELECT r.id, feed.id, 7, 'connect ETIMEDOUT 10.0.0.5:80' FROM notification_routes r, feed
       RETURNING id`,
    );
    const id = (rows[0] as { id: string }).id;
    await asAdmin(async (page) => {
      await page.goto(`${base}/#/admin/notifications`);
      await page.getByRole('tab', { name: '投递失败' }).click();
      const row = page.getByRole('row').filter({ hasText: 'ETIMEDOUT' });
      await expect.poll(() => row.count()).toBe(1);
      await row.getByRole('button', { name: '重发' }).click();
      await expect.poll(() => row.count()).toBe(0); // no longer pending
      await page.screenshot({ path: `${ARTIFACTS}console-admin-dead-letters.png` });
    });
    const after = await api.deps.db.query<{ replayed_by: string }>(
      'SELECT replayed_by FROM notification_dead_letters WHERE id = $1',
      [id],
    );
    expect(after.rows[0]).toEqual({ replayed_by: fx.user.admin });
  });
  it('speaks English one click away, Element Plus words included', async () => {
    await asAdmin(async (page) => {
      await page.goto(`${base}/#/admin/users`);
      await expect.poll(() => page.getByText('共 6 条').count()).toBe(1);
      await page.getByRole('button', { name: 'English' }).click();
      await page.getByRole('heading', { name: 'Users', exact: true }).waitFor();
      await expect.poll(() => page.getByText('Total 6').count()).toBe(1);
      await page.getByRole('link', { name: 'Video access audit' }).click();
      await page.getByRole('heading', { name: 'Video access audit' }).waitFor();
    });
  });
});

describe('adopting what a discovery scan found', () => {
  let rig: DiscoveryRig;
  beforeAll(async () => {
    rig = await startDiscoveryRig(api, '127.59.0', fx.node.A1s);
  }, 30_000);
  afterAll(async () => {
    await rig?.close();
  });

  it('adopts a new device onto the chosen site and lets a moved camera follow its device', async () => {
    await asAdmin(async (page) => {
      // the API as the signed-in admin sees it (a token login per check would hit the login rate limit)
      const cameraById = async (id: string | undefined) =>
        (await page.request.get(`${base}/api/v1/cameras/${id}`)).json();
      await page.goto(`${base}/#/admin/scans`);
      await page.getByRole('button', { name: '开始扫描' }).click();
      await page.getByRole('dialog').getByRole('textbox', { name: '网段' }).fill(rig.range);
      await page.getByRole('dialog').getByRole('button', { name: '开始扫描' }).click();
      const scan = page.getByRole('row').filter({ hasText: rig.range });
      await expect.poll(() => scan.textContent(), { timeout: 20_000 }).toContain('完成');
      await scan.locator('.el-table__expand-icon').click();
      const devices = page.getByLabel('发现的设备');
      const fresh = devices.getByRole('row').filter({ hasText: '新设备' });
      const moved = devices.getByRole('row').filter({ hasText: '地址变更' });
      await expect.poll(() => fresh.textContent(), { timeout: 5000 }).toContain(rig.newAddress);
      expect(await moved.textContent()).toContain(`原地址 ${rig.movedFrom}`);

      await fresh.getByRole('button', { name: '纳管' }).click();
      const dialog = page.getByRole('dialog');
      await dialog.getByLabel('名称').fill('新纳管的摄像机');
      await pick(page, /^点位$/, '节点B1s', '节点B1s');
      await dialog.getByLabel('国标编码').fill('6404250000');
      await dialog.getByRole('button', { name: '纳管' }).click();
      const gbError = field(page, /国标编码/).locator('.el-form-item__error');
      await expect.poll(() => gbError.textContent(), { timeout: 5000 }).toContain('20 digits');
      await dialog.getByLabel('国标编码').fill('64042500001320007191');
      await dialog.getByLabel('设备用户名').fill('admin');
      await dialog.getByLabel('设备密码').fill('rig-password-1');
      await dialog.getByLabel('设备密码').press('Enter'); // keyboard submit
      const link = fresh.getByRole('link', { name: '新纳管的摄像机' });
      await expect.poll(() => link.count(), { timeout: 5000 }).toBe(1);
      expect(await fresh.textContent()).toMatch(/已于 \d{4}-\d\d-\d\d \d\d:\d\d:\d\d 纳管/);
      expect(await fresh.getByRole('button', { name: '纳管' }).count()).toBe(0);
      const cameraId = (await link.getAttribute('href'))?.split('/').pop();
      expect(await cameraById(cameraId)).toMatchObject({
        name: '新纳管的摄像机',
        siteId: fx.node.B1s,
        ip: rig.newAddress,
      });

      await moved.getByRole('button', { name: '接受新地址' }).click();
      expect(await page.locator('.el-message-box').textContent()).toContain(
        `由 ${rig.movedFrom} 改为 ${rig.movedTo}`,
      );
      await page.locator('.el-message-box').getByRole('button', { name: '接受新地址' }).click();
      await expect.poll(() => moved.textContent(), { timeout: 5000 }).toMatch(/已于 .+ 接受新地址/);
      expect(await moved.getByRole('button', { name: '接受新地址' }).count()).toBe(0);
      await page.screenshot({ path: `${ARTIFACTS}console-admin-scan-devices.png` });
      expect(await cameraById(rig.movedCameraId)).toMatchObject({
        ip: rig.movedTo,
        rtspMainUrl: `rtsp://${rig.movedTo}:554/Streaming/Channels/101`,
      });
    });
  });
});
