import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ARTIFACTS, launchBrowser, signInThroughConsole } from '../support/browser.js';
import { buildCountyFixture, PASSWORD } from '../support/county-fixture.js';
import { startTestApi, type TestApi } from '../support/harness.js';

// The console's sign-in and role-aware navigation in a real browser against the real service.
let api: TestApi;
let browser: Browser;
let base: string;

beforeAll(async () => {
  api = await startTestApi({ listen: true });
  await buildCountyFixture(api.deps.db);
  const { port } = api.app.server.address() as { port: number };
  base = `http://127.0.0.1:${port}`;
  browser = await launchBrowser();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await api?.close();
});

describe('console sign-in', () => {
  for (const [username, home, menu] of [
    ['dutya1', '#/duty', ['值班台']],
    ['contractork1', '#/tickets', ['工单']],
    ['bureau', '#/bureau', ['值班台', '工单', '全县概览', '管理']],
    ['admin', '#/admin/users', ['值班台', '工单', '全县概览', '管理']],
  ] as const) {
    it(`takes ${username} to its own home, with only its pages in the menu`, async () => {
      const page = await browser.newPage();
      try {
        await signInThroughConsole(page, base, username, PASSWORD);
        expect(new URL(page.url()).hash).toBe(home);
        const items = await page.getByRole('menuitem').allTextContents();
        expect(items.map((s) => s.trim())).toEqual(menu);
        await page.screenshot({ path: `${ARTIFACTS}console-home-${username}.png` });
      } finally {
        await page.close();
      }
    });
  }

  it('refuses a wrong password with a message, and sends a page opened signed out to the login', async () => {
    const page = await browser.newPage();
    try {
      await page.goto(`${base}/#/bureau`);
      await page.waitForURL((url) => url.hash.startsWith('#/login'));
      await page.getByLabel(/用户名|User name/).fill('bureau');
      await page.getByLabel(/密码|Password/).fill('not-the-password');
      await page.getByRole('button', { name: /登录|Sign in/ }).click();
      await expect.poll(() => page.getByRole('alert').textContent()).toContain('用户名或密码错误');
    } finally {
      await page.close();
    }
  });

  it('lets a duty user not open the bureau page by URL', async () => {
    const page = await browser.newPage();
    try {
      await signInThroughConsole(page, base, 'dutya1', PASSWORD);
      await page.goto(`${base}/#/bureau`);
      await page.waitForURL((url) => url.hash === '#/duty');
    } finally {
      await page.close();
    }
  });
});
