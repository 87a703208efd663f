import type { Queue, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Browser, Page, WebSocketRoute } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GstRtspServer, startGstRtspServer } from '../../sim/rtsp/gst-server.js';
import { type AlertingService, startAlertingService } from '../../src/alerting-service.js';
import { createProbeWorker } from '../../src/probing/worker.js';
import { bullConnection, createQueue, type ProbeJob, QUEUES } from '../../src/queues.js';
import { ARTIFACTS, launchBrowser, signInThroughConsole } from '../support/browser.js';
import { buildCountyFixture, type CountyFixture, PASSWORD } from '../support/county-fixture.js';
import { login, startTestApi, type TestApi } from '../support/harness.js';
import { type RtspCounty, startRtspCounty } from '../support/rtsp-county.js';

// The duty console in headless Chromium against the real service: probe workers and the alerting service
// watching simulated RTSP cameras, and a GStreamer camera for the video wall. A duty officer of police district
// A1 signs in, sees its tree with live rates, a fault arrive in the feed and acknowledges it, plays a camera on
// the wall, opens a camera page, and is refused another district's camera by URL.
const ENV = {
  XUELIANG_PROBE_INTERVAL_MS: '1000',
  XUELIANG_PROBE_SHARDS: '4',
  XUELIANG_PROBE_TIMEOUT_MS: '800',
  XUELIANG_PROBE_STREAM_WINDOW_MS: '400',
  XUELIANG_ALERT_POLL_MS: '300',
  // each fault here is its own alert: grouping has its own tests (test/component/alerts-e2e.test.ts)
  XUELIANG_ALERT_GROUP_MIN_CAMERAS: '100',
};
const HOST = '127.0.0.1';
const MOUNT = '/cam/e2e-duty/main';
const CAMERA_USER = 'admin';
const CAMERA_PASSWORD = 'duty:p@ss/1';

let api: TestApi;
let fx: CountyFixture;
let county: RtspCounty;
let gst: GstRtspServer;
let connection: Redis;
let probeQueue: Queue<ProbeJob>;
let probeWorker: Worker<ProbeJob>;
let alerting: AlertingService;
let browser: Browser;
let base: string;
let page: Page;

async function waitFor<T>(read: () => Promise<T> | T, ok: (v: T) => boolean, ms = 20_000): Promise<T> {
  const started = Date.now();
  for (;;) {
    const value = await read();
    if (ok(value) || Date.now() - started > ms) return value;
    await new Promise((r) => setTimeout(r, 100));
  }
}

const stateOf = async (cameraId: string) =>
  (await api.deps.db.query('SELECT state FROM camera_health WHERE camera_id = $1', [cameraId])).rows[0]
    ?.state;

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
  api = await startTestApi({ listen: true, env: ENV });
  fx = await buildCountyFixture(api.deps.db);
  const db = api.deps.db;
  const sealed = api.deps.vault.seal(fx.camera.A1, { username: CAMERA_USER, password: CAMERA_PASSWORD });
  await db.query(
    'UPDATE cameras SET rtsp_main_url = $2, credential_key_id = $3, credential_cipher = $4 WHERE id = $1',
    [fx.camera.A1, gst.url(MOUNT), sealed.keyId, sealed.cipher],
  );
  county = await startRtspCounty(db, api.deps.vault, fx.node.A1s, 3, '127.58.0.1');
  // the third camera on a site of its own, so that its fault is not grouped with the first one's
  const site = await db.query<{ id: string }>(
    `INSERT INTO districts (kind, name, code, parent_id) VALUES ('site', '站点二', 'E2E-DUTY-S2', $1) RETURNING id`,
    [fx.node.A1v],
  );
  await db.query('UPDATE cameras SET site_id = $1 WHERE id = $2', [site.rows[0]?.id, county.cameraIds[2]]);
  // positions for the schematic map: the simulated cameras
  await db.query(
    'UPDATE cameras SET lat = 38.49 + 0.01 * random(), lon = 106.23 WHERE id = ANY($1::uuid[])',
    [county.cameraIds],
  );
  const workerCtx = { db, vault: api.deps.vault, config: api.config, log: api.deps.log };
  connection = bullConnection(api.config, 'test-e2e-duty', api.deps.log);
  probeQueue = createQueue<ProbeJob>(api.config, QUEUES.probe, connection, api.deps.log);
  probeWorker = await createProbeWorker(workerCtx, probeQueue, connection, 8);
  alerting = await startAlertingService(workerCtx, connection);
  const { port } = api.app.server.address() as { port: number };
  base = `http://${HOST}:${port}`;
  browser = await launchBrowser();
  const context = await browser.newContext({ viewport: { width: 1920, height: 1080 } });
  page = await context.newPage();
  page.setDefaultTimeout(10_000);
}, 90_000);

afterAll(async () => {
  await browser?.close();
  await alerting?.close();
  await probeWorker?.close();
  await probeQueue?.close();
  connection?.disconnect();
  await county?.server.close();
  await api?.close();
  await gst?.close();
});

describe('the duty console', () => {
  it('signs a duty officer in to its district tree with live rates and a live alert feed', async () => {
    await signInThroughConsole(page, base, 'dutya1', PASSWORD);
    expect(new URL(page.url()).hash).toBe('#/duty');
    const tree = page.getByRole('region', { name: '辖区' });
    await expect.poll(() => tree.getByText('节点A1', { exact: true }).count()).toBe(1);
    // nothing of the other branches
    expect(await page.getByText('节点B1').count()).toBe(0);
    expect(await page.getByText('节点A2').count()).toBe(0);
    await expect
      .poll(() => page.getByTestId(`rate-${fx.node.A1}`).textContent(), { timeout: 10_000 })
      .toMatch(/%|—/);
    await expect.poll(() => page.getByTestId('feed-state').textContent()).toContain('实时');
  });

  it('shows a simulated fault in the feed within seconds and acknowledges it in place', async () => {
    const [cam] = county.cameraIds as [string];
    await waitFor(
      () => stateOf(cam),
      (s) => s === 'online',
    );
    const started = Date.now();
    county.setFaults(cam, { offline: true });
    const item = page.getByTestId('feed-item').filter({ hasText: 'RTSP 1' });
    await item.first().waitFor({ timeout: 20_000 });
    const seconds = (Date.now() - started) / 1000;
    expect(seconds).toBeLessThan(20);
    await expect.poll(() => item.first().textContent()).toContain('离线');
    await page.screenshot({ path: `${ARTIFACTS}duty-console-alert.png` });

    const alertId = Number(await item.first().getAttribute('data-alert-id'));
    await item
      .first()
      .getByRole('button', { name: /确认告警/ })
      .click();
    await item.first().getByTestId('feed-acknowledged').waitFor({ timeout: 10_000 });
    const res = await api.app.inject({
      method: 'GET',
      url: `/api/v1/alerts/${alertId}`,
      headers: await login(api.app, 'dutya1', PASSWORD),
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ status: 'acknowledged', acknowledgedByUsername: 'dutya1' });
  });

  it('resumes the feed with since after a dropped connection, missing nothing and repeating nothing', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const urls: string[] = [];
    const routes: WebSocketRoute[] = [];
    await context.routeWebSocket(/\/api\/v1\/live/, (ws) => {
      urls.push(ws.url());
      routes.push(ws);
      ws.connectToServer();
    });
    const desk = await context.newPage();
    desk.setDefaultTimeout(10_000);
    try {
      await signInThroughConsole(desk, base, 'dutya1', PASSWORD);
      await expect.poll(() => desk.getByTestId('feed-state').textContent()).toContain('实时');
      await desk.getByTestId('feed-item').filter({ hasText: 'RTSP 1' }).waitFor();
      // an entry arrives on this connection, so the page has an id to resume from
      const [, , cam3] = county.cameraIds as [string, string, string];
      await waitFor(
        () => stateOf(cam3),
        (s) => s === 'online',
      );
      county.setFaults(cam3, { offline: true });
      await desk.getByTestId('feed-item').filter({ hasText: 'RTSP 3' }).waitFor({ timeout: 20_000 });
      await routes[0]?.close({ code: 1011, reason: 'test drop' });
      await expect.poll(() => urls.length, { timeout: 10_000 }).toBe(2);
      expect(urls[0]).not.toContain('since=');
      expect(urls[1]).toMatch(/since=\d+/);
      await expect.poll(() => desk.getByTestId('feed-state').textContent()).toContain('实时');
      // the replay after the since id repeats no alert already shown
      await new Promise((r) => setTimeout(r, 1000));
      expect(await desk.getByTestId('feed-item').filter({ hasText: 'RTSP 1' }).count()).toBe(1);
      expect(await desk.getByTestId('feed-item').filter({ hasText: 'RTSP 3' }).count()).toBe(1);
      // and the acknowledgement made elsewhere reaches this desk over the resumed connection
      const item = desk.getByTestId('feed-item').filter({ hasText: 'RTSP 3' });
      const alertId = Number(await item.getAttribute('data-alert-id'));
      const ack = await api.app.inject({
        method: 'POST',
        url: `/api/v1/alerts/${alertId}/acknowledge`,
        headers: await login(api.app, 'dutya1', PASSWORD),
        payload: {},
      });
      expect(ack.statusCode).toBe(200);
      await item.getByTestId('feed-acknowledged').waitFor();
    } finally {
      await context.close();
    }
  });

  it('plays a camera dragged onto a wall tile: video time advances', async () => {
    const camera = page.locator(`[data-testid="tree-camera"][data-camera-id="${fx.camera.A1}"]`);
    const tile = page.getByTestId('wall-tile').first();
    await camera.dragTo(tile);
    await expect.poll(() => tile.getAttribute('data-camera-id')).toBe(fx.camera.A1);
    const video = tile.locator('video');
    const time = () => video.evaluate((v) => (v as unknown as { currentTime: number }).currentTime);
    const first = await waitFor(time, (t) => t > 0.5);
    expect(first).toBeGreaterThan(0.5);
    const later = await waitFor(time, (t) => t > first + 1);
    expect(later).toBeGreaterThan(first + 1);
    expect(await video.getAttribute('data-status')).toBe('live');
    await page.screenshot({ path: `${ARTIFACTS}duty-console-wall.png` });
  });

  it('puts a camera on the wall from the keyboard, and removes it', async () => {
    const add = page.getByRole('button', { name: '上墙：RTSP 2' });
    await add.focus();
    await page.keyboard.press('Enter');
    const tile = page.locator(`[data-testid="wall-tile"][data-camera-id="${county.cameraIds[1]}"]`);
    await tile.waitFor();
    await tile.getByRole('button', { name: '移除：RTSP 2' }).click();
    await expect.poll(() => tile.count()).toBe(0);
  });

  it('lists the faulty camera among the worst now, on the schematic map in red, and puts them on the wall', async () => {
    await page.getByRole('tab', { name: '最差摄像机' }).click();
    const table = page.getByTestId('worst-table');
    await expect.poll(() => table.textContent()).toContain('RTSP 1');
    await page.getByRole('tab', { name: '点位图' }).click();
    const points = page.getByTestId('map-camera');
    await expect.poll(() => points.count()).toBe(3);
    expect(await points.evaluateAll((els) => els.map((e) => e.getAttribute('aria-label')).sort())).toEqual([
      'RTSP 1 · 告警中',
      'RTSP 2',
      'RTSP 3 · 告警中',
    ]);
    await page.getByRole('tab', { name: '最差摄像机' }).click();
    await page.getByRole('button', { name: /全部上墙/ }).click();
    await expect.poll(() => page.getByTestId('wall-tile').count()).toBe(16);
    expect(await page.getByTestId('wall-tile').first().getAttribute('data-camera-id')).toBe(
      county.cameraIds[0],
    );
  });

  it('lists incidents with the overdue 1-hour report first, and records a new one', async () => {
    const headers = await login(api.app, 'dutya1', PASSWORD);
    const created = await api.app.inject({
      method: 'POST',
      url: '/api/v1/incidents',
      headers,
      payload: {
        type: 'stability_safety',
        title: '聚集事件',
        occurredAt: new Date(Date.now() - 3 * 3_600_000).toISOString(),
        districtId: fx.node.A1v,
        cameraIds: [county.cameraIds[0]],
      },
    });
    expect(created.statusCode).toBe(201);
    await page.getByRole('tab', { name: '事件' }).click();
    const rows = page.getByTestId('incident-table').locator('tbody tr');
    await expect.poll(() => rows.count()).toBe(2);
    expect(await rows.first().textContent()).toContain('聚集事件');
    expect(await rows.first().textContent()).toContain('超时未报');
    expect(await rows.first().textContent()).toContain('RTSP 1');
    expect(await rows.nth(1).textContent()).toContain('纠纷A1');

    await page.getByRole('button', { name: '登记事件' }).click();
    await page.getByLabel('标题').fill('路口纠纷');
    await page.getByLabel('地点').click();
    await page.getByRole('option', { name: '节点A1v' }).click();
    await page.getByRole('button', { name: '保存' }).click();
    await expect.poll(() => rows.count()).toBe(3);
    const res = await api.app.inject({ method: 'GET', url: '/api/v1/incidents?q=路口', headers });
    expect(res.json().items).toHaveLength(1);
    await page.screenshot({ path: `${ARTIFACTS}duty-console-incidents.png` });
  });

  it('opens a camera page of the district with its health layers and history', async () => {
    await page.goto(`${base}/#/duty/cameras/${county.cameraIds[0]}`);
    await page.getByRole('heading', { name: 'RTSP 1' }).waitFor();
    // leaving the desk tore the wall's players down: every live session of the officer has ended
    const bureau = await login(api.app, 'bureau', PASSWORD);
    const sessions = await waitFor(
      async () =>
        (
          await api.app.inject({ method: 'GET', url: '/api/v1/video-sessions?limit=100', headers: bureau })
        ).json().items as Array<{ username: string; endedAt: string | null }>,
      (items) => items.length > 0 && items.every((v) => v.endedAt !== null),
      10_000,
    );
    expect(sessions.filter((v) => v.username === 'dutya1').length).toBeGreaterThan(0);
    expect(sessions.filter((v) => v.endedAt === null)).toEqual([]);
    expect(await page.locator('[data-layer="network"]').textContent()).toContain('异常');
    await expect.poll(() => page.getByTestId('camera-state').textContent()).toContain('离线');
    expect(await page.locator('[data-layer="network"]').count()).toBe(1);
    expect(await page.getByRole('img', { name: '状态历史' }).count()).toBe(1);
    await page.screenshot({ path: `${ARTIFACTS}duty-camera-page.png` });
  });

  it("refuses another district's camera opened by URL, with a clear message", async () => {
    await page.goto(`${base}/#/duty/cameras/${fx.camera.B1}`);
    const refused = page.getByTestId('camera-refused');
    await refused.waitFor();
    expect(await refused.textContent()).toContain('无权查看此摄像机');
    expect(await page.getByRole('heading', { name: '摄像机B1' }).count()).toBe(0);
    await page.screenshot({ path: `${ARTIFACTS}duty-camera-refused.png` });
  });

  it('opens for the bureau too, over the whole county, in English at one click', async () => {
    const context = await browser.newContext({ viewport: { width: 1366, height: 768 } });
    const desk = await context.newPage();
    desk.setDefaultTimeout(10_000);
    try {
      await signInThroughConsole(desk, base, 'bureau', PASSWORD);
      await desk.goto(`${base}/#/duty`);
      const tree = desk.getByRole('region', { name: '辖区' });
      await tree.getByText('节点county', { exact: true }).waitFor();
      await tree.getByText('节点B1', { exact: true }).waitFor();
      await expect.poll(() => desk.getByTestId(`rate-${fx.node.county}`).textContent()).toMatch(/%/);
      // Element Plus's own words speak the console's language (its default would be English): 此刻, not Now
      await desk.getByRole('tab', { name: '事件' }).click();
      await desk.getByRole('button', { name: '登记事件' }).click();
      await desk.getByLabel('发生时间').click();
      await desk.getByRole('button', { name: '此刻' }).waitFor();
      await desk.keyboard.press('Escape');
      await desk.getByRole('button', { name: '取消' }).click();
      await desk.getByRole('button', { name: 'English' }).click();
      await desk.getByRole('region', { name: 'District' }).waitFor();
      await desk.getByRole('region', { name: 'Live alerts' }).waitFor();
      await desk.screenshot({ path: `${ARTIFACTS}duty-console-bureau-en.png` });
      // and follow the switch
      await desk.getByRole('tab', { name: 'Incidents' }).click();
      await desk.getByRole('button', { name: 'Record an incident' }).click();
      await desk.getByLabel('Occurred').click();
      await desk.getByRole('button', { name: 'Now' }).waitFor();
      expect(await desk.getByText('此刻').count()).toBe(0);
    } finally {
      await context.close();
    }
  });
});
