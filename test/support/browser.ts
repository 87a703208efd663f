import { mkdir } from 'node:fs/promises';
import { type Browser, chromium, type Page } from 'playwright-core';

/** Where end-to-end tests keep screenshots (ignored by git; CI keeps them as artifacts). */
export const ARTIFACTS = new URL('../artifacts/', import.meta.url).pathname;

/** Debian's Chromium, headless, as the test rig runs it (see ARCHITECTURE.md). */
export async function launchBrowser(): Promise<Browser> {
  await mkdir(ARTIFACTS, { recursive: true });
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--autoplay-policy=no-user-gesture-required',
    ],
  });
}

/** Signs in through the console's own login page, as a person would, and waits for the role's home page. */
export async function signInThroughConsole(page: Page, base: string, username: string, password: string) {
  await page.goto(`${base}/#/login`);
  await page.getByLabel(/用户名|User name/).fill(username);
  await page.getByLabel(/密码|Password/).fill(password);
  await page.getByRole('button', { name: /登录|Sign in/ }).click();
  await page.waitForURL((url) => !url.hash.startsWith('#/login'));
}
