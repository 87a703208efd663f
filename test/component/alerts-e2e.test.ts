import type { Queue, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { type AlertingService, startAlertingService } from '../../src/alerting-service.js';
import { createUser } from '../../src/auth/users.js';
import { createProbeWorker } from '../../src/probing/worker.js';
import { bullConnection, createQueue, type ProbeJob, QUEUES } from '../../src/queues.js';
import { buildCountyFixture, type CountyFixture, PASSWORD } from '../support/county-fixture.js';
import { login, startTestApi, type TestApi } from '../support/harness.js';
import { type RtspCounty, startRtspCounty } from '../support/rtsp-county.js';

// The whole path of a camera fault, with real probes of simulated RTSP cameras, the alerting worker and the
// console socket: fault → alert on the right duty desk only → ticket for the right contractor → "repaired"
// while broken stays verifying → healed → closed by itself → recurrence reopens → SLA breach escalates.
// Forty cameras of one site going dark raise one grouped alert; a restart mid-outage duplicates nothing.
const ENV = {
  XUELIANG_PROBE_INTERVAL_MS: '1000',
  XUELIANG_PROBE_SHARDS: '4',
  XUELIANG_PROBE_TIMEOUT_MS: '800',
  XUELIANG_PROBE_STREAM_WINDOW_MS: '400',
  XUELIANG_ALERT_POLL_MS: '300',
  XUELIANG_TICKET_SWEEP_SECONDS: '1',
  XUELIANG_TICKET_VERIFY_HEALTHY_SECONDS: '3',
  XUELIANG_TICKET_REOPEN_WITHIN_HOURS: '240',
};
const HOUR = 3_600_000;

let api: TestApi;
let fx: CountyFixture;
let county: RtspCounty;
let connection: Redis;
let probeQueue: Queue<ProbeJob>;
let probeWorker: Worker<ProbeJob>;
let alerting: AlertingService;
/** the alerting worker's clock runs this far ahead when a test needs the fault to have lasted longer */
let clockAheadMs = 0;
let uplinkSite: string;
/** the camera of the ticket story (site A1s), one of township B, one kept in maintenance, forty of one site */
let camA: string;
let camB: string;
let camMaint: string;
let uplink: string[];
const sockets: WebSocket[] = [];

const workerCtx = () => ({ db: api.deps.db, vault: api.deps.vault, config: api.config, log: api.deps.log });

async function startWorkers(): Promise<void> {
  connection = bullConnection(api.config, 'test-e2e', api.deps.log);
  probeQueue = createQueue<ProbeJob>(api.config, QUEUES.probe, connection, api.deps.log);
  probeWorker = await createProbeWorker(workerCtx(), probeQueue, connection, 8);
  alerting = await startAlertingService(workerCtx(), connection, {
    now: () => new Date(Date.now() + clockAheadMs),
  });
}

async function stopWorkers(): Promise<void> {
  await alerting?.close();
  await probeWorker?.close();
  await probeQueue?.close();
  connection?.disconnect();
}

beforeAll(async () => {
  api = await startTestApi({ listen: true, env: ENV });
  fx = await buildCountyFixture(api.deps.db);
  const db = api.deps.db;
  county = await startRtspCounty(db, api.deps.vault, fx.node.A1s, 46, '127.57.0.1');
  [camA, camB, camMaint] = county.cameraIds as [string, string, string];
  uplink = county.cameraIds.slice(6);
  uplinkSite = (
    await db.query(
      `INSERT INTO districts (kind, name, code, parent_id) VALUES ('site', '上行站点', 'E2E-UPLINK', $1) RETURNING id`,
      [fx.node.A2v],
    )
  ).rows[0].id;
  await db.query('UPDATE cameras SET site_id = $1 WHERE id = $2', [fx.node.B1s, camB]);
  await db.query('UPDATE cameras SET site_id = $1 WHERE id = ANY($2::uuid[])', [uplinkSite, uplink]);
  await createUser(db, null, {
    username: 'dutyb1',
    displayName: '值班B1',
    role: 'duty',
    scopeDistrictId: fx.node.B1,
    password: PASSWORD,
  });
  await startWorkers();
}, 60_000);

afterAll(async () => {
  for (const s of sockets) s.close();
  await stopWorkers();
  await county?.server.close();
  await api?.close();
});

interface Listener {
  messages: Record<string, unknown>[];
  alerts: () => Record<string, unknown>[];
}

async function listen(username: string): Promise<Listener> {
  const { authorization } = await login(api.app, username, PASSWORD);
  const address = api.app.server.address() as { port: number };
  const socket = new WebSocket(`ws://127.0.0.1:${address.port}/api/v1/live`, { headers: { authorization } });
  sockets.push(socket);
  const messages: Record<string, unknown>[] = [];
  socket.on('message', (data) => messages.push(JSON.parse(String(data))));
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('error', reject);
  });
  return { messages, alerts: () => messages.filter((m) => m.type === 'alert') };
}

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
const ticketOf = async (cameraId: string) =>
  (
    await api.deps.db.query(
      `SELECT id, contractor_id, status, close_reason, reopened_count, escalated_at FROM tickets
        WHERE camera_id = $1 ORDER BY id`,
      [cameraId],
    )
  ).rows;
const asContractor = () => login(api.app, 'contractork1', PASSWORD);

describe('a camera fault from the probe to a closed ticket', () => {
  it('reaches the duty desk of its police district at once, and no other district', async () => {
    await waitFor(
      async () => Promise.all(county.cameraIds.map(stateOf)),
      (states) => states.every((s) => s === 'online'),
    );
    const dutyA1 = await listen('dutya1');
    const dutyB1 = await listen('dutyb1');
    const bureau = await listen('bureau');
    county.setFaults(camA, { offline: true });

    const got = await waitFor(
      () => dutyA1.alerts().filter((m) => m.cameraId === camA),
      (m) => m.length > 0,
    );
    expect(got[0]).toMatchObject({
      kind: 'opened',
      cause: 'offline',
      severity: 'critical',
      alertKind: 'camera',
    });
    expect(got[0]?.placePath).toEqual(expect.arrayContaining(['节点A1']));
    await waitFor(
      () => bureau.alerts().filter((m) => m.cameraId === camA),
      (m) => m.length > 0,
    );
    // the other district's desk heard the greeting and nothing else
    await new Promise((r) => setTimeout(r, 1000));
    expect(dutyB1.alerts()).toEqual([]);
    expect(dutyB1.messages.filter((m) => m.type !== 'hello' && m.type !== 'synced')).toEqual([]);
  });

  it('opens a ticket for the contractor of the camera once the fault outlasts the contract threshold', async () => {
    alerting.sweepNow();
    await new Promise((r) => setTimeout(r, 1500));
    expect(await ticketOf(camA)).toEqual([]); // thirty minutes have not passed
    clockAheadMs = 31 * 60_000;
    const [ticket] = await waitFor(
      () => ticketOf(camA),
      (t) => t.length > 0,
    );
    expect(ticket).toMatchObject({ contractor_id: fx.contractor.K1, status: 'open' });
    const res = await api.app.inject({
      method: 'GET',
      url: '/api/v1/tickets',
      headers: await asContractor(),
    });
    expect(res.statusCode).toBe(200);
    expect(res.json().items.map((t: { cameraId: string }) => t.cameraId)).toContain(camA);
  });

  it('stays verifying while the camera is still broken, and closes itself once it is healthy', async () => {
    clockAheadMs = 0;
    const [ticket] = await ticketOf(camA);
    const headers = await asContractor();
    const repaired = await api.app.inject({
      method: 'POST',
      url: `/api/v1/tickets/${ticket.id}/repaired`,
      headers,
      payload: { note: '更换了电源' },
    });
    expect(repaired.statusCode).toBe(200);
    await new Promise((r) => setTimeout(r, 4000)); // several sweeps
    expect((await ticketOf(camA))[0]).toMatchObject({ status: 'verifying' });

    county.setFaults(camA, { offline: false });
    const [closed] = await waitFor(
      () => ticketOf(camA),
      (t) => t[0]?.status === 'closed',
    );
    expect(closed).toMatchObject({ status: 'closed', close_reason: 'verified' });
    const alert = await api.deps.db.query(
      `SELECT status FROM alerts WHERE camera_id = $1 AND cause = 'offline'`,
      [camA],
    );
    expect(alert.rows.map((r) => r.status)).toEqual(['resolved']);
  });

  it('reopens the same ticket when the fault returns, and escalates it when the SLA passes', async () => {
    const bureau = await listen('bureau');
    county.setFaults(camA, { offline: true });
    await waitFor(stateOf.bind(null, camA), (s) => s === 'offline');
    clockAheadMs = 31 * 60_000;
    const [reopened] = await waitFor(
      () => ticketOf(camA),
      (t) => t[0]?.status === 'open',
    );
    expect(await ticketOf(camA)).toHaveLength(1);
    expect(reopened).toMatchObject({ reopened_count: 1, escalated_at: null });

    // a village camera's contract gives 48 hours
    clockAheadMs = 49 * HOUR;
    const [escalated] = await waitFor(
      () => ticketOf(camA),
      (t) => t[0]?.escalated_at !== null,
    );
    expect(escalated.escalated_at).not.toBeNull();
    const pushed = await waitFor(
      () => bureau.alerts().filter((m) => m.kind === 'ticket_escalated'),
      (m) => m.length > 0,
    );
    expect(pushed[0]).toMatchObject({ ticketId: Number(reopened.id), cameraId: camA });
    county.setFaults(camA, { offline: false });
    clockAheadMs = 0;
  });

  it('raises neither alert nor ticket for a camera inside an approved maintenance window', async () => {
    await api.deps.db.query(
      `INSERT INTO availability_exclusions (kind, camera_id, from_at, to_at, reason, status)
       VALUES ('maintenance', $1, now() - interval '1 minute', now() + interval '1 day', '更换镜头', 'approved')`,
      [camMaint],
    );
    county.setFaults(camMaint, { offline: true });
    await waitFor(stateOf.bind(null, camMaint), (s) => s === 'maintenance');
    clockAheadMs = 2 * HOUR;
    alerting.sweepNow();
    await new Promise((r) => setTimeout(r, 3000));
    clockAheadMs = 0;
    const alerts = await api.deps.db.query('SELECT 1 FROM alerts WHERE camera_id = $1', [camMaint]);
    expect(alerts.rows).toEqual([]);
    expect(await ticketOf(camMaint)).toEqual([]);
  });
});

describe('many cameras at once', () => {
  it('folds forty cameras of one site going dark into one site alert on the console', async () => {
    const dutyA = await listen('dutya');
    for (const id of uplink) county.setFaults(id, { offline: true });
    const group = await waitFor(
      async () =>
        (
          await api.deps.db.query(
            `SELECT id, camera_count FROM alerts WHERE kind = 'group' AND place_id = $1 AND status <> 'resolved'`,
            [uplinkSite],
          )
        ).rows,
      (rows) => rows[0]?.camera_count === 40,
    );
    expect(group).toHaveLength(1);
    expect(group[0].camera_count).toBe(40);
    // the console: at most the first camera's own alert, then the group (and updates of its count)
    await new Promise((r) => setTimeout(r, 1000));
    const uplinkMessages = dutyA
      .alerts()
      .filter((m) => uplink.includes(m.cameraId as string) || m.placeId === uplinkSite);
    const opened = uplinkMessages.filter((m) => m.kind === 'opened');
    expect(opened.length).toBeLessThanOrEqual(1);
    expect(uplinkMessages.filter((m) => m.kind === 'grouped' && !m.update)).toHaveLength(1);
    expect(uplinkMessages.length).toBeLessThan(15);
  });

  it('raises no second alert or ticket when the API and the workers restart mid-outage', async () => {
    clockAheadMs = 31 * 60_000;
    await waitFor(
      async () =>
        (
          await api.deps.db.query(
            'SELECT count(*)::int AS n FROM tickets WHERE camera_id = ANY($1::uuid[])',
            [uplink],
          )
        ).rows[0].n,
      (n) => n === 40,
    );
    const before = await counts();
    await stopWorkers();
    // the outage goes on while nothing watches; then everything comes back on the same database and Redis
    await new Promise((r) => setTimeout(r, 1500));
    const databaseUrl = api.config.databaseUrl;
    const prefix = api.config.redisPrefix;
    await api.close();
    api = await startTestApi({ databaseUrl, listen: true, env: { ...ENV, XUELIANG_REDIS_PREFIX: prefix } });
    await startWorkers();
    await new Promise((r) => setTimeout(r, 5000)); // several slots, stage runs and sweeps
    expect(await counts()).toEqual(before);
    clockAheadMs = 0;
  });
});

async function counts() {
  const { rows } = await api.deps.db.query(
    `SELECT (SELECT count(*)::int FROM alerts) AS alerts,
            (SELECT count(*)::int FROM alerts WHERE status <> 'resolved') AS open_alerts,
            (SELECT count(*)::int FROM tickets) AS tickets,
            (SELECT count(*)::int FROM tickets WHERE status <> 'closed') AS open_tickets`,
  );
  return rows[0];
}
