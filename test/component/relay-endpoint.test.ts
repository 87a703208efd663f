import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GstRtspServer, startGstRtspServer } from '../../sim/rtsp/gst-server.js';
import { CLOSE_LIMIT, CLOSE_REVOKED } from '../../src/relay/viewer-session.js';
import { buildCountyFixture, type CountyFixture, PASSWORD } from '../support/county-fixture.js';
import {
  type AuthHeaders,
  freshDatabase,
  login,
  startTestApi,
  type TestApi,
  userWithSession,
} from '../support/harness.js';
import { probeTs, waitFor } from '../support/relay-rig.js';
import { handshakeStatus, liveStreamUrl, VideoClient } from '../support/video-client.js';

const GST_HOST = '127.62.0.1';
const CREDS = { username: 'viewer', password: 'Endp0int:p@ss/%2' };

let databaseUrl: string;
let api: TestApi;
let gst: GstRtspServer;
let fx: CountyFixture;
let base: string;
const h = {} as Record<'admin' | 'bureau' | 'dutyA1' | 'contractor', AuthHeaders>;

const url = (camera: string) => liveStreamUrl(base, camera);

async function videoRows(cameraId: string) {
  const { rows } = await api.deps.db.query(
    'SELECT * FROM video_sessions WHERE camera_id = $1 ORDER BY started_at',
    [cameraId],
  );
  return rows as Array<Record<string, unknown>>;
}

beforeAll(async () => {
  databaseUrl = await freshDatabase();
  api = await startTestApi({
    databaseUrl,
    listen: true,
    env: { XUELIANG_RELAY_MAX_VIEWERS_PER_USER: '2', XUELIANG_RELAY_IDLE_STOP_MS: '300' },
  });
  base = `http://127.0.0.1:${(api.app.server.address() as AddressInfo).port}`;
  fx = await buildCountyFixture(api.deps.db);
  gst = await startGstRtspServer({
    host: GST_HOST,
    port: 0,
    mounts: ['/a1', '/b1'].map((path) => ({
      path,
      pattern: 'moving' as const,
      width: 320,
      height: 180,
      fps: 25,
      auth: { user: CREDS.username, password: CREDS.password },
    })),
  });
  for (const [branch, path] of [
    ['A1', '/a1'],
    ['B1', '/b1'],
  ] as const) {
    const sealed = api.deps.vault.seal(fx.camera[branch], CREDS);
    await api.deps.db.query(
      'UPDATE cameras SET rtsp_main_url = $2, credential_key_id = $3, credential_cipher = $4 WHERE id = $1',
      [fx.camera[branch], gst.url(path), sealed.keyId, sealed.cipher],
    );
  }
  h.admin = await login(api.app, 'admin', PASSWORD);
  h.bureau = await login(api.app, 'bureau', PASSWORD);
  h.dutyA1 = await login(api.app, 'dutya1', PASSWORD);
  h.contractor = await login(api.app, 'contractork1', PASSWORD);
}, 60_000);

afterAll(async () => {
  await api?.close();
  await gst?.close();
});

describe('the live-stream endpoint', () => {
  it('streams a camera in scope as MPEG-TS with statuses, and audits the session from start to end', async () => {
    const client = await VideoClient.open(url(fx.camera.A1), h.dutyA1);
    await waitFor('live video', () => client.lastStatus === 'live' && client.received > 60_000);
    expect(client.statuses[0]?.status).toBe('starting');
    const open = await videoRows(fx.camera.A1);
    expect(open).toHaveLength(1);
    expect(open[0]).toMatchObject({
      user_id: fx.user.dutyA1,
      username: 'dutya1',
      instance_id: api.config.relay.instanceId,
      remote_addr: '127.0.0.1',
      ended_at: null,
    });
    await client.close();
    const probe = await probeTs(client.bytes());
    expect(probe.codec, probe.errors).toBe('h264');
    expect(probe.frames).toBeGreaterThan(10);
    expect(probe.firstKey).toBe(true);

    await waitFor('the audit row to close', async () => (await videoRows(fx.camera.A1))[0]?.ended_at != null);
    const row = (await videoRows(fx.camera.A1))[0] as Record<string, unknown>;
    expect((row.ended_at as Date).getTime()).toBeGreaterThanOrEqual((row.started_at as Date).getTime());
    expect(Number(row.bytes_sent)).toBeGreaterThanOrEqual(client.received);
    expect(row.end_reason).toMatch(/viewer closed/);

    const list = await api.app.inject({
      url: `/api/v1/video-sessions?cameraId=${fx.camera.A1}&userId=${fx.user.dutyA1}`,
      headers: h.bureau,
    });
    expect(list.statusCode).toBe(200);
    expect(list.json()).toMatchObject({ total: 1, items: [{ id: row.id, username: 'dutya1' }] });
    const none = await api.app.inject({
      url: `/api/v1/video-sessions?cameraId=${fx.camera.A1}&to=2000-01-01T00:00:00Z`,
      headers: h.admin,
    });
    expect(none.json().total).toBe(0);
    for (const who of [h.dutyA1, h.contractor]) {
      expect((await api.app.inject({ url: '/api/v1/video-sessions', headers: who })).statusCode).toBe(403);
    }
  });

  it('refuses a camera out of scope (404), a contractor (403), no session (401), before the upgrade', async () => {
    expect(await handshakeStatus(url(fx.camera.B1), h.dutyA1)).toBe(404);
    expect(await handshakeStatus(url(fx.camera.A1), h.contractor)).toBe(403);
    expect(await handshakeStatus(url(fx.camera.A1))).toBe(401);
    expect(await handshakeStatus(url(fx.camera.B1), h.bureau)).toBe(0);
    // the bureau's session is audited once its stream starts, a moment after the upgrade; none for the refused
    await waitFor('the bureau session audited', async () => (await videoRows(fx.camera.B1)).length > 0);
    expect(await videoRows(fx.camera.B1)).toHaveLength(1);
  });

  it('the internal stream takes no user token', async () => {
    const internal = new URL(`/internal/relay/${fx.camera.A1}`, base);
    internal.protocol = 'ws:';
    expect(await handshakeStatus(internal.toString(), h.admin)).toBe(403);
    expect(await handshakeStatus(internal.toString(), { 'x-xueliang-relay-token': '1.abc' })).toBe(403);
  });

  it('holds a user to its viewer limit county-wide, and frees the slot when a stream ends', async () => {
    const first = await VideoClient.open(url(fx.camera.A1), h.dutyA1);
    const second = await VideoClient.open(url(fx.camera.A1), h.dutyA1);
    await waitFor('two viewers live', () => first.received > 0 && second.received > 0);
    const third = await VideoClient.open(url(fx.camera.A1), h.dutyA1);
    await waitFor('the third to be closed', () => third.closed !== null);
    expect(third.closed?.code).toBe(CLOSE_LIMIT);
    expect(third.statuses).toEqual([expect.objectContaining({ status: 'failed' })]);
    expect(third.received).toBe(0);
    // another user is not held to dutyA1's limit
    const bureau = await VideoClient.open(url(fx.camera.A1), h.bureau);
    await waitFor('the bureau live', () => bureau.received > 0);
    await first.close();
    await waitFor(
      'the slot to free',
      async () => (await api.deps.relay.registry.viewers(fx.user.dutyA1)) === 1,
    );
    const again = await VideoClient.open(url(fx.camera.A1), h.dutyA1);
    await waitFor('dutyA1 live again', () => again.received > 0);
    expect(again.closed).toBeNull();
    await Promise.all([second.close(), bureau.close(), again.close()]);
  });

  it('disabling a user ends its open stream at once', async () => {
    const headers = await userWithSession(api, 'dutyrevoked', 'duty', { scopeDistrictId: fx.node.A1 });
    const client = await VideoClient.open(url(fx.camera.A1), headers);
    await waitFor('live', () => client.received > 0);
    const { rows } = await api.deps.db.query<{ id: string }>(
      "SELECT id FROM users WHERE username = 'dutyrevoked'",
    );
    const userId = rows[0]?.id as string;
    const disabledAt = Date.now();
    const res = await api.app.inject({
      method: 'PATCH',
      url: `/api/v1/users/${userId}`,
      headers: h.admin,
      payload: { disabled: true },
    });
    expect(res.statusCode).toBe(200);
    await waitFor('the stream to close', () => client.closed !== null, 2000);
    expect(client.closed?.code).toBe(CLOSE_REVOKED);
    expect((client.closed?.at ?? Infinity) - disabledAt).toBeLessThan(1000);
    await waitFor('the audit row to close', async () => {
      const mine = (await videoRows(fx.camera.A1)).filter((r) => r.user_id === userId);
      return mine.length === 1 && mine[0]?.end_reason === 'credentials revoked';
    });
  });

  it('an instance starting again closes the audit rows it left open', async () => {
    const instanceId = `test-crashed-${Date.now()}`;
    await api.deps.db.query(
      `INSERT INTO video_sessions (user_id, username, camera_id, instance_id, started_at)
       VALUES ($1, 'dutya1', $2, $3, now() - interval '1 hour'), ($1, 'dutya1', $2, 'another-instance', now())`,
      [fx.user.dutyA1, fx.camera.A2, instanceId],
    );
    const again = await startTestApi({ databaseUrl, env: { XUELIANG_INSTANCE_ID: instanceId } });
    try {
      const rows = await videoRows(fx.camera.A2);
      expect(rows.find((r) => r.instance_id === instanceId)?.ended_at).toBeInstanceOf(Date);
      expect(rows.find((r) => r.instance_id === 'another-instance')?.ended_at).toBeNull();
    } finally {
      await again.close();
    }
  });
});
