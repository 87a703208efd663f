import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sweepTickets } from '../../src/tickets/sweep.js';
import { ARTIFACTS, launchBrowser, signInThroughConsole } from '../support/browser.js';
import { buildCountyFixture, type CountyFixture, PASSWORD } from '../support/county-fixture.js';
import { startTestApi, type TestApi } from '../support/harness.js';

// The contractor board on a phone-sized screen, in a real browser against the real service and database.
let api: TestApi;
let browser: Browser;
let base: string;
let fx: CountyFixture;
let page: Page;
const MINUTE = 60_000;

const q = <T extends object>(sql: string, values: unknown[] = []) =>
  api.deps.db.query<T>(sql, values).then((r) => r.rows);

/** A real picture, drawn by the browser itself (the rig has no image tools). */
async function picture(type: 'image/jpeg' | 'image/png', colour: string, noise = false): Promise<Buffer> {
  const blank = await browser.newPage();
  try {
    // a string, so that the browser's DOM types stay out of the Node side
    const url = await blank.evaluate<string>(`(() => {
      const canvas = document.createElement('canvas');
      canvas.width = 320;
      canvas.height = 180;
      const g = canvas.getContext('2d');
      g.fillStyle = ${JSON.stringify(colour)};
      g.fillRect(0, 0, 320, 180);
      g.fillStyle = '#fff';
      g.font = '28px sans-serif';
      g.fillText('camera A1', 90, 100);
      if (${noise}) {
        const img = g.getImageData(0, 0, 320, 180);
        for (let i = 0; i < img.data.length; i++) img.data[i] = Math.random() * 256;
        g.putImageData(img, 0, 0);
      }
      return canvas.toDataURL(${JSON.stringify(type)}, 0.8);
    })()`);
    return Buffer.from(url.split(',')[1] as string, 'base64');
  } finally {
    await blank.close();
  }
}

async function fault(cameraId: string, since: Date) {
  await q(
    `INSERT INTO alerts (kind, camera_id, place_id, cause, severity, opened_at)
     SELECT 'camera', id, site_id, 'offline', 'critical', $2 FROM cameras WHERE id = $1`,
    [cameraId, since],
  );
  await q(
    `INSERT INTO camera_health (camera_id, state, since, memory) VALUES ($1, 'offline', $2, '{}')
     ON CONFLICT (camera_id) DO UPDATE SET state = EXCLUDED.state, since = EXCLUDED.since`,
    [cameraId, since],
  );
}

beforeAll(async () => {
  api = await startTestApi({ listen: true, env: { XUELIANG_TICKET_MAX_PHOTO_BYTES: '65536' } });
  fx = await buildCountyFixture(api.deps.db);
  const { port } = api.app.server.address() as { port: number };
  base = `http://127.0.0.1:${port}`;
  browser = await launchBrowser();
  const now = Date.now();
  await q('INSERT INTO camera_snapshots (camera_id, taken_at, jpeg) VALUES ($1, $2, $3)', [
    fx.camera.A1,
    new Date(now - 90 * MINUTE),
    await picture('image/jpeg', '#2a6'),
  ]);
  await fault(fx.camera.A1, new Date(now - 40 * MINUTE));
  await fault(fx.camera.A2, new Date(now - 30 * MINUTE));
  await sweepTickets(api.deps.db, api.config, new Date(now));
  // A2's deadline is near (as a shorter SLA would make it): it must come first, in the warning colour
  await q("UPDATE tickets SET sla_due_at = now() + interval '3 hours' WHERE camera_id = $1", [fx.camera.A2]);
  page = await browser.newPage({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
  page.setDefaultTimeout(10_000);
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await api?.close();
});

const ticketOf = async (cameraId: string) =>
  (
    await q<{ id: number; status: string }>('SELECT id, status FROM tickets WHERE camera_id = $1', [cameraId])
  )[0] as {
    id: number;
    status: string;
  };

describe('contractor board', () => {
  it('lists the contractor’s tickets by deadline with live countdowns', async () => {
    await signInThroughConsole(page, base, 'contractork1', PASSWORD);
    expect(new URL(page.url()).hash).toBe('#/tickets');
    const cards = page.locator('[data-ticket]');
    await expect.poll(() => cards.count()).toBe(2);
    expect(await cards.nth(0).textContent()).toContain('摄像机A2');
    expect(await cards.nth(1).textContent()).toContain('摄像机A1');
    const countdown = cards.nth(1).locator('[data-test=countdown]');
    const first = await countdown.textContent();
    expect(first).toMatch(/剩余\s*1天\s*\d\d:\d\d:\d\d/);
    await expect.poll(() => countdown.textContent(), { timeout: 3000 }).not.toBe(first);
    expect(await cards.nth(0).getByText('待受理').count()).toBe(1);
    expect(await cards.nth(0).locator('[data-test=countdown]').getAttribute('class')).toContain('soon');
    expect(await cards.nth(0).locator('[data-test=countdown]').textContent()).toMatch(
      /剩余\s*0[23]:\d\d:\d\d/,
    );
    // the board fits the phone: no card wider than the screen
    for (const box of await cards.evaluateAll((els) => els.map((e) => e.getBoundingClientRect().right)))
      expect(box).toBeLessThanOrEqual(390);
    await page.screenshot({ path: `${ARTIFACTS}console-contractor-board.png`, fullPage: true });
  });

  it('completes a ticket: acknowledge, note, photo, repaired — and it shows verifying', async () => {
    const { id } = await ticketOf(fx.camera.A1);
    await page.locator(`[data-ticket="${id}"]`).click();
    await page.waitForURL((url) => url.hash === `#/tickets/${id}`);
    await expect.poll(() => page.locator('h1').textContent()).toContain('摄像机A1');
    // the picture from before the fault is shown
    const before = page.getByRole('img', { name: '故障前' });
    await expect
      .poll(() => before.evaluate((img) => (img as unknown as { naturalWidth: number }).naturalWidth))
      .toBe(320);

    await page.getByRole('button', { name: '受理' }).click();
    await expect.poll(() => page.locator('[data-test=status]').first().textContent()).toBe('处理中');

    // the note by keyboard only
    await page.getByLabel('备注').focus();
    await page.keyboard.type('更换了电源适配器');
    await page.keyboard.press('Tab');
    await page.keyboard.press('Enter');
    await expect
      .poll(() => page.locator('[data-test=event]').first().textContent())
      .toContain('更换了电源适配器');

    await page.locator('[data-test=photo-input]').setInputFiles({
      name: 'repair.png',
      mimeType: 'image/png',
      buffer: await picture('image/png', '#36c'),
    });
    await expect.poll(() => page.getByRole('img', { name: /维修照片/ }).count()).toBe(1);

    await page.getByRole('button', { name: '已修复' }).click();
    await page.getByRole('dialog').getByRole('button', { name: '确定' }).click();
    await expect.poll(() => page.locator('[data-test=status]').first().textContent()).toBe('待验证');
    expect(await page.getByText('系统确认摄像机持续正常后自动关闭').count()).toBe(1);
    await expect.poll(() => page.getByRole('dialog').count()).toBe(0);
    await expect.poll(() => page.locator('.el-message').count(), { timeout: 6000 }).toBe(0);
    await page.screenshot({ path: `${ARTIFACTS}console-contractor-ticket.png`, fullPage: true });

    expect((await ticketOf(fx.camera.A1)).status).toBe('verifying');
    const kinds = await q<{ kind: string; note: string | null }>(
      'SELECT kind, note FROM ticket_events WHERE ticket_id = $1 ORDER BY id',
      [id],
    );
    expect(kinds.map((k) => k.kind)).toEqual(['opened', 'acknowledged', 'note', 'photo', 'repaired']);
    expect(kinds[2]?.note).toBe('更换了电源适配器');

    await page.getByRole('link', { name: /返回列表/ }).click();
    const card = page.locator(`[data-ticket="${id}"]`);
    await expect.poll(() => card.textContent()).toContain('待验证');
  });

  it('disputes a fault as an external cause from a form used by keyboard', async () => {
    const { id } = await ticketOf(fx.camera.A2);
    await page.goto(`${base}/#/tickets/${id}`);
    await page.getByRole('button', { name: '申报外部原因' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('说明').fill('全村停电');
    await dialog.getByLabel(/证据/).fill('供电所停电通知 2026-11-30');
    await dialog.getByRole('button', { name: '提交申报' }).click();
    await expect.poll(() => page.getByText('外因申报审核中').count()).toBe(1);
    const [row] = await q<{ status: string; reason: string }>(
      `SELECT e.status, e.reason FROM availability_exclusions e JOIN tickets t ON t.dispute_exclusion_id = e.id
        WHERE t.id = $1`,
      [id],
    );
    expect(row).toEqual({ status: 'requested', reason: '[power_cut] 全村停电' });
  });

  it('refuses a photo too large with a message in words, and the ticket stays as it was', async () => {
    const { id } = await ticketOf(fx.camera.A2);
    await page.goto(`${base}/#/tickets/${id}`);
    const big = await picture('image/png', '#000', true);
    expect(big.length).toBeGreaterThan(65_536);
    await page
      .locator('[data-test=photo-input]')
      .setInputFiles({ name: 'big.png', mimeType: 'image/png', buffer: big });
    const refused = page.locator('.el-message--error').filter({ hasText: '照片太大，请压缩后再传' });
    await expect.poll(() => refused.count()).toBe(1);
    expect(await page.getByRole('img', { name: /维修照片/ }).count()).toBe(0);
  });

  it('speaks English on request', async () => {
    await page.goto(`${base}/#/tickets`);
    await page.getByRole('button', { name: 'English' }).click();
    await expect.poll(() => page.locator('.board h1').textContent()).toBe('My tickets');
    expect(await page.locator('[data-ticket] [data-test=status]').allTextContents()).toEqual([
      'Open',
      'Verifying',
    ]);
    // the shell's bar is wider than a phone in English: the switch back is reached by keyboard
    await page.getByRole('button', { name: '中文' }).press('Enter');
    await expect.poll(() => page.locator('.board h1').textContent()).toBe('我的工单');
  });

  it('designs the empty and error states', async () => {
    await page.goto(`${base}/#/tickets`);
    await page.getByRole('radio', { name: '已关闭' }).check({ force: true });
    await expect.poll(() => page.getByText('还没有关闭的工单').count()).toBe(1);
    await page.goto(`${base}/#/tickets/999999`);
    const alert = page.getByRole('alert').filter({ hasText: '工单不存在或无权查看' });
    await expect.poll(() => alert.count()).toBe(1);
    expect(await page.getByRole('button', { name: '重试' }).count()).toBe(1);
  });
});
