import { mkdir } from 'node:fs/promises';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GstRtspServer, startGstRtspServer } from '../../sim/rtsp/gst-server.js';
import { buildCountyFixture, type CountyFixture, PASSWORD } from '../support/county-fixture.js';
import { startTestApi, type TestApi } from '../support/harness.js';

// A duty officer signs in, opens /player for a camera of the district in headless Chromium and sees it play:
// the real API, the relay, a GStreamer RTSP camera (moving pattern, H.264) and mpegts.js over MSE.
const HOST = '127.0.0.1';
const MOUNT = '/cam/e2e-player/main';
const CAMERA_USER = 'admin';
const CAMERA_PASSWORD = 'player:p@ss/1';
const ARTIFACTS = new URL('../artifacts/', import.meta.url);
const WAIT_MS = 20_000;

interface PlayerHooks {
  status: string;
  message: string;
  bytes: number;
  currentTime: number;
  decodedFrames: number;
  closeCode: number | null;
  closeReason: string;
  errors: string[];
}

let gst: GstRtspServer | undefined;
let api: TestApi | undefined;
let browser: Browser | undefined;
let fx: CountyFixture;
let base: string;

beforeAll(async () => {
  gst = await startGstRtspServer({
    host: HOST,
    port: 0,
    mounts: [
      {
        path: MOUNT,
        pattern: 'moving',
        width: 640,
        height: 360,
        fps: 25,
        auth: { user: CAMERA_USER, password: CAMERA_PASSWORD },
      },
    ],
  });
  api = await startTestApi({ listen: true });
  fx = await buildCountyFixture(api.deps.db);
  const sealed = api.deps.vault.seal(fx.camera.A1, { username: CAMERA_USER, password: CAMERA_PASSWORD });
  await api.deps.db.query(
    'UPDATE cameras SET rtsp_main_url = $2, credential_key_id = $3, credential_cipher = $4 WHERE id = $1',
    [fx.camera.A1, gst.url(MOUNT), sealed.keyId, sealed.cipher],
  );
  const { port } = api.app.server.address() as { port: number };
  base = `http://${HOST}:${port}`;
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--autoplay-policy=no-user-gesture-required',
    ],
  });
  await mkdir(ARTIFACTS, { recursive: true });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await api?.close();
  await gst?.close();
});

/** A browser session signed in through the API's login, which sets the session cookie. */
async function signedIn(username: string): Promise<BrowserContext> {
  const context = await (browser as Browser).newContext({
    baseURL: base,
    viewport: { width: 960, height: 540 },
  });
  const res = await context.request.post('/api/v1/auth/login', { data: { username, password: PASSWORD } });
  expect(res.status()).toBe(200);
  expect((await context.cookies()).map((c) => c.name)).toContain('xl_session');
  return context;
}

const hooks = (page: Page) => page.evaluate('window.__player') as Promise<PlayerHooks>;

/**
 * Polls the page's hooks until `done` holds (or fails after WAIT_MS). Not waitForFunction: its predicates are
 * evaluated inside the page, which the player's Content-Security-Policy (no eval) forbids.
 */
async function until(page: Page, done: (p: PlayerHooks) => boolean): Promise<PlayerHooks> {
  const deadline = Date.now() + WAIT_MS;
  for (;;) {
    const seen = await hooks(page);
    if (done(seen)) return seen;
    if (Date.now() > deadline) throw new Error(`player: gave up waiting; last seen ${JSON.stringify(seen)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function screenshot(page: Page, name: string) {
  await page.screenshot({ path: new URL(name, ARTIFACTS).pathname }).catch(() => {});
}

describe('the player page in headless Chromium', () => {
  it('plays a camera of the duty officer’s district: video time advances and frames are decoded', async () => {
    const context = await signedIn('dutya1');
    const page = await context.newPage();
    try {
      await page.goto(`/player?camera=${fx.camera.A1}`);
      const first = await until(page, (p) => p.decodedFrames > 25);
      const later = await until(
        page,
        (p) => p.currentTime > first.currentTime + 1 && p.decodedFrames > first.decodedFrames + 25,
      );
      expect(later.status).toBe('live');
      expect(later.currentTime).toBeGreaterThan(first.currentTime + 1);
      expect(later.decodedFrames).toBeGreaterThan(50);
      expect(later.errors).toEqual([]);
      expect(await page.locator('#overlay').isHidden()).toBe(true);
    } finally {
      await screenshot(page, 'player-live.png');
      await context.close();
    }
  });

  it('shows the refusal for a camera outside the officer’s scope and plays nothing', async () => {
    const context = await signedIn('dutya1');
    const page = await context.newPage();
    try {
      await page.goto(`/player?camera=${fx.camera.B1}`);
      const seen = await until(page, (p) => p.closeCode !== null);
      expect(seen.status).toBe('refused');
      expect(seen.message).toBe('HTTP 404'); // a camera outside the scope is not found, as on every camera route
      expect(seen.bytes).toBe(0);
      expect(seen.decodedFrames).toBe(0);
      await expect(page.locator('#overlay').isVisible()).resolves.toBe(true);
      expect(await page.locator('#overlay-text').textContent()).toContain('无权查看');
    } finally {
      await screenshot(page, 'player-refused.png');
      await context.close();
    }
  });
});
