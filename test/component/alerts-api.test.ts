import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { loadAlertRules } from '../../src/alerting/alerts-repo.js';
import { appendFeed } from '../../src/alerting/feed-repo.js';
import { DEFAULT_ALERT_RULES } from '../../src/alerting/rules.js';
import { withTransaction } from '../../src/db.js';
import { buildCountyFixture, type CountyFixture, PASSWORD } from '../support/county-fixture.js';
import { type AuthHeaders, login, startTestApi, type TestApi } from '../support/harness.js';

let api: TestApi;
let fx: CountyFixture;
const as = {} as Record<'admin' | 'bureau' | 'dutyA1' | 'dutyA' | 'contractor', AuthHeaders>;
/** group: town A went dark; camA1/camA2 folded into it; camB1: a picture fault and a resolved clock drift */
const alert = { group: 0, camA1: 0, camA2: 0, camB1: 0, resolvedB1: 0 };

async function insertAlert(values: {
  kind: 'camera' | 'group';
  camera?: string;
  place: string;
  cause: string;
  severity: string;
  status?: string;
  group?: number;
  count?: number;
  openedMinutesAgo: number;
}): Promise<number> {
  const { rows } = await api.deps.db.query<{ id: number }>(
    `INSERT INTO alerts (kind, camera_id, place_id, cause, severity, status, group_id, camera_count, opened_at,
                         resolved_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, now() - make_interval(mins => $9),
             CASE WHEN $6 = 'resolved' THEN now() END)
     RETURNING id`,
    [
      values.kind,
      values.camera ?? null,
      values.place,
      values.cause,
      values.severity,
      values.status ?? 'open',
      values.group ?? null,
      values.count ?? null,
      values.openedMinutesAgo,
    ],
  );
  return (rows[0] as { id: number }).id;
}

beforeAll(async () => {
  api = await startTestApi({ listen: true });
  fx = await buildCountyFixture(api.deps.db);
  alert.group = await insertAlert({
    kind: 'group',
    place: fx.node.A,
    cause: 'offline',
    severity: 'critical',
    count: 2,
    openedMinutesAgo: 10,
  });
  for (const b of ['A1', 'A2'] as const) {
    alert[`cam${b}`] = await insertAlert({
      kind: 'camera',
      camera: fx.camera[b],
      place: fx.node[`${b}s`],
      cause: 'offline',
      severity: 'critical',
      group: alert.group,
      openedMinutesAgo: 11,
    });
  }
  alert.camB1 = await insertAlert({
    kind: 'camera',
    camera: fx.camera.B1,
    place: fx.node.B1s,
    cause: 'picture',
    severity: 'major',
    openedMinutesAgo: 5,
  });
  alert.resolvedB1 = await insertAlert({
    kind: 'camera',
    camera: fx.camera.B1,
    place: fx.node.B1s,
    cause: 'clock_drift',
    severity: 'minor',
    status: 'resolved',
    openedMinutesAgo: 60,
  });
  await withTransaction(api.deps.db, (tx) =>
    appendFeed(tx, [
      {
        alertId: alert.group,
        kind: 'opened',
        at: new Date(),
        placeId: fx.node.A,
        severity: 'critical',
        payload: { alertId: alert.group, alertKind: 'group', cameraCount: 2 },
      },
    ]),
  );
  as.admin = await login(api.app, 'admin', PASSWORD);
  as.bureau = await login(api.app, 'bureau', PASSWORD);
  as.dutyA1 = await login(api.app, 'dutya1', PASSWORD);
  as.dutyA = await login(api.app, 'dutya', PASSWORD);
  as.contractor = await login(api.app, 'contractork1', PASSWORD);
});
afterAll(async () => {
  await api?.close();
});

const get = (url: string, headers: AuthHeaders) => api.app.inject({ url: `/api/v1${url}`, headers });
const ack = (id: number, headers: AuthHeaders, payload?: object) =>
  api.app.inject({
    method: 'POST',
    url: `/api/v1/alerts/${id}/acknowledge`,
    headers,
    ...(payload ? { payload } : {}),
  });
const ids = (body: { items: { id: number }[] }) => body.items.map((a) => a.id);

/** A bureau console; resolves once live. */
async function bureauConsole(): Promise<{ messages: Record<string, unknown>[]; ws: WebSocket }> {
  const { port } = api.app.server.address() as { port: number };
  const ws = new WebSocket(`ws://127.0.0.1:${port}/api/v1/live`, { headers: as.bureau });
  const messages: Record<string, unknown>[] = [];
  ws.on('message', (data) => messages.push(JSON.parse(data.toString())));
  await expect.poll(() => messages.some((m) => m.type === 'synced')).toBe(true);
  return { messages, ws };
}

describe('GET /alerts', () => {
  it('the bureau sees the county; folded camera alerts are listed under their group', async () => {
    const res = await get('/alerts', as.bureau);
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(ids(body)).toEqual([alert.camB1, alert.group, alert.resolvedB1]);
    expect(body.total).toBe(3);
    const group = body.items[1];
    expect(group).toMatchObject({ kind: 'group', cameraCount: 2, placePath: ['节点county', '节点A'] });
    expect(group.children.map((c: { id: number }) => c.id).sort()).toEqual([alert.camA1, alert.camA2].sort());
    expect(body.items[0]).toMatchObject({
      kind: 'camera',
      cameraName: '摄像机B1',
      cameraCount: null,
      placePath: ['节点county', '节点B', '节点B1', '节点B1v', '节点B1s'],
    });
    const all = (await get('/alerts?includeFolded=true', as.bureau)).json();
    expect(all.total).toBe(5);
  });

  it('a duty desk sees its node only; below a group it sees the folded alert as a row of its own', async () => {
    expect(ids((await get('/alerts', as.dutyA)).json())).toEqual([alert.group]);
    expect(ids((await get('/alerts', as.dutyA1)).json())).toEqual([alert.camA1]);
    expect((await get('/alerts', as.contractor)).statusCode).toBe(403);
  });

  it('filters by status, cause, severity and opening time; pages', async () => {
    expect(ids((await get('/alerts?status=resolved', as.bureau)).json())).toEqual([alert.resolvedB1]);
    expect(ids((await get('/alerts?status=open&status=acknowledged', as.bureau)).json())).toEqual([
      alert.camB1,
      alert.group,
    ]);
    expect(ids((await get('/alerts?cause=picture', as.bureau)).json())).toEqual([alert.camB1]);
    expect(ids((await get('/alerts?severity=minor', as.bureau)).json())).toEqual([alert.resolvedB1]);
    const since = new Date(Date.now() - 7 * 60_000).toISOString();
    expect(ids((await get(`/alerts?since=${encodeURIComponent(since)}`, as.bureau)).json())).toEqual([
      alert.camB1,
    ]);
    const paged = (await get('/alerts?limit=1&offset=1', as.bureau)).json();
    expect([ids(paged), paged.total]).toEqual([[alert.group], 3]);
    expect((await get('/alerts?cause=nonsense', as.bureau)).statusCode).toBe(400);
  });
});

describe('GET /alerts/:id', () => {
  it('shows a group with its folded alerts and its feed history; 404 outside scope', async () => {
    const res = await get(`/alerts/${alert.group}`, as.dutyA);
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.children).toHaveLength(2);
    expect(body.history.map((h: { kind: string }) => h.kind)).toEqual(['opened']);
    expect((await get(`/alerts/${alert.group}`, as.dutyA1)).statusCode).toBe(404);
    expect((await get(`/alerts/${alert.camB1}`, as.dutyA)).statusCode).toBe(404);
    expect((await get('/alerts/999999', as.bureau)).statusCode).toBe(404);
  });
});

describe('POST /alerts/:id/acknowledge', () => {
  it('acknowledges in scope, audits, and pushes the feed entry to consoles; 404 outside scope, 409 twice', async () => {
    const console = await bureauConsole();
    expect((await ack(alert.camB1, as.dutyA1)).statusCode).toBe(404);
    expect((await ack(alert.camA1, as.contractor)).statusCode).toBe(403);
    const res = await ack(alert.camA1, as.dutyA1, { note: '已通知运维' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ status: 'acknowledged', acknowledgedByUsername: 'dutya1' });
    expect(res.json().acknowledgedAt).not.toBeNull();
    expect(res.json().history.at(-1)).toMatchObject({
      kind: 'acknowledged',
      actorUsername: 'dutya1',
      payload: { by: 'dutya1', note: '已通知运维', status: 'acknowledged', alertId: alert.camA1 },
    });
    await expect
      .poll(() => console.messages.find((m) => m.type === 'alert' && m.alertId === alert.camA1))
      .toMatchObject({ kind: 'acknowledged', by: 'dutya1', cameraName: '摄像机A1' });
    const { rows } = await api.deps.db.query(
      "SELECT username, details FROM audit_log WHERE action = 'acknowledge' AND object_type = 'alert' AND object_id = $1",
      [String(alert.camA1)],
    );
    expect(rows).toEqual([{ username: 'dutya1', details: { note: '已通知运维' } }]);
    const again = await ack(alert.camA1, as.dutyA);
    expect(again.statusCode).toBe(409);
    expect(again.json().message).toContain('dutya1');
    console.ws.close();
  });

  it('acknowledging a group acknowledges its open camera alerts, each with its own feed entry', async () => {
    const res = await ack(alert.group, as.dutyA);
    expect(res.statusCode).toBe(200);
    const children = res.json().children as { id: number; status: string; acknowledgedByUsername: string }[];
    expect(children.map((c) => [c.id, c.status, c.acknowledgedByUsername]).sort()).toEqual(
      [
        [alert.camA1, 'acknowledged', 'dutya1'], // already acknowledged: keeps its acknowledger
        [alert.camA2, 'acknowledged', 'dutya'],
      ].sort(),
    );
    const { rows } = await api.deps.db.query<{ alert_id: number }>(
      "SELECT alert_id FROM alert_feed WHERE kind = 'acknowledged' ORDER BY id",
    );
    expect(rows.map((r) => r.alert_id)).toEqual([alert.camA1, alert.group, alert.camA2]);
  });

  it('refuses a resolved alert with 409', async () => {
    const res = await ack(alert.resolvedB1, as.bureau);
    expect(res.statusCode).toBe(409);
    expect((await get(`/alerts/${alert.resolvedB1}`, as.bureau)).json().status).toBe('resolved');
  });
});

describe('alert rules', () => {
  it('the bureau reads the defaults; duty desks may not', async () => {
    const res = await get('/alert-rules', as.bureau);
    expect(res.statusCode).toBe(200);
    expect(res.json().items).toContainEqual({
      cause: 'offline',
      enabled: true,
      severity: 'critical',
      configured: false,
      updatedBy: null,
      updatedAt: null,
    });
    expect(res.json().items).toHaveLength(6);
    expect((await get('/alert-rules', as.dutyA)).statusCode).toBe(403);
  });

  it('only admins set a rule; it is stored, audited and what loadAlertRules returns', async () => {
    const put = (headers: AuthHeaders, cause: string, payload: object) =>
      api.app.inject({ method: 'PUT', url: `/api/v1/alert-rules/${cause}`, headers, payload });
    expect((await put(as.bureau, 'clock_drift', { enabled: false, severity: 'minor' })).statusCode).toBe(403);
    expect((await put(as.admin, 'weather', { enabled: false, severity: 'minor' })).statusCode).toBe(400);
    expect((await put(as.admin, 'clock_drift', { enabled: false, severity: 'fatal' })).statusCode).toBe(400);
    const res = await put(as.admin, 'clock_drift', { enabled: false, severity: 'major' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      cause: 'clock_drift',
      enabled: false,
      severity: 'major',
      configured: true,
    });
    expect(await loadAlertRules(api.deps.db)).toEqual({
      ...DEFAULT_ALERT_RULES,
      clock_drift: { enabled: false, severity: 'major' },
    });
    const { rows } = await api.deps.db.query(
      "SELECT username, details FROM audit_log WHERE object_type = 'alert_rule' AND object_id = 'clock_drift'",
    );
    expect(rows).toEqual([
      {
        username: 'admin',
        details: {
          before: { enabled: true, severity: 'minor' },
          after: { enabled: false, severity: 'major' },
        },
      },
    ]);
  });
});
