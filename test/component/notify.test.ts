import { createHmac } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PassThrough } from 'node:stream';
import type { Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appendFeed, type FeedKind } from '../../src/alerting/feed-repo.js';
import { placePaths } from '../../src/alerting/place-path.js';
import { CredentialVault } from '../../src/cameras/credential-vault.js';
import type { Config } from '../../src/config.js';
import { withTransaction } from '../../src/db.js';
import { createLogger } from '../../src/logger.js';
import { dispatchNotifications } from '../../src/notify/dispatcher.js';
import { resealRouteTargets, routeForDelivery } from '../../src/notify/routes-repo.js';
import { createNotifyWorker } from '../../src/notify/worker.js';
import { bullConnection } from '../../src/queues.js';
import { buildCountyFixture, type CountyFixture, PASSWORD } from '../support/county-fixture.js';
import { type AuthHeaders, login, startTestApi, type TestApi } from '../support/harness.js';

// Secrets that must never show in an API reply, in Redis or in a log line.
const WEBHOOK_SECRET = 'whsec-notify-test-0123456789';
const URL_TOKEN = 'url-token-9f8e7d6c5b4a';
const DING_SECRET = 'SECdingtalk-test-secret-42';
const DING_TOKEN = 'ding-access-token-77aa';
const WECOM_KEY = 'wecom-key-1a2b3c4d';
const SECRETS = [WEBHOOK_SECRET, URL_TOKEN, DING_SECRET, DING_TOKEN, WECOM_KEY];

interface Received {
  path: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
  status: number;
}

/** A loopback receiver: answers 503 while `down`, otherwise `answer` (default 200 {}); records every request. */
class Receiver {
  readonly requests: Received[] = [];
  down = false;
  answer: (r: Omit<Received, 'status'>) => { status: number; body: string } = () => ({
    status: 200,
    body: '{}',
  });
  private server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = req.url ?? '';
      const got = {
        path: url.split('?')[0] ?? '',
        url,
        headers: req.headers,
        body: Buffer.concat(chunks).toString(),
      };
      const reply = this.down ? { status: 503, body: 'down' } : this.answer(got);
      this.requests.push({ ...got, status: reply.status });
      res.writeHead(reply.status, { 'content-type': 'application/json' }).end(reply.body);
    });
  });
  port = 0;
  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
  }
  base(): string {
    return `http://127.0.0.1:${this.port}`;
  }
  accepted(path?: string): Received[] {
    return this.requests.filter((r) => r.status === 200 && (path === undefined || r.path === path));
  }
  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

async function until(check: () => boolean | Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}

const logged: string[] = [];
const logStream = new PassThrough();
logStream.on('data', (chunk: Buffer) => logged.push(chunk.toString()));
const log = createLogger('debug', logStream);

let api: TestApi;
let fx: CountyFixture;
let admin: AuthHeaders;
let bureau: AuthHeaders;
let duty: AuthHeaders;
let contractor: AuthHeaders;
const receiver = new Receiver();
const alertOf: Record<'A1' | 'B1', number> = { A1: 0, B1: 0 };
let ticketId = 0;
type RouteKey = 'county' | 'a1' | 'k1' | 'ding' | 'wecom';
const routeId = {} as Record<RouteKey, string>;
let connection: Redis;
let worker: Worker | null = null;

const call = (
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE',
  url: string,
  headers: AuthHeaders,
  payload?: object,
) => api.app.inject({ method, url: `/api/v1${url}`, headers, ...(payload ? { payload } : {}) });

function startWorker(notify: Partial<Config['notify']> = {}): void {
  const config = { ...api.config, notify: { ...api.config.notify, ...notify } };
  worker = createNotifyWorker({ db: api.deps.db, vault: api.deps.vault, config, log }, connection);
}

async function stopWorker(): Promise<void> {
  await worker?.close();
  worker = null;
}

const dispatch = () => dispatchNotifications(api.deps.db, api.deps.queues.notify, log);

async function alertEntry(kind: FeedKind, branch: 'A1' | 'B1'): Promise<number> {
  const site = fx.node[`${branch}s`];
  const path = (await placePaths(api.deps.db, [site])).get(site);
  return withTransaction(api.deps.db, async (tx) => {
    const [id] = await appendFeed(tx, [
      {
        alertId: alertOf[branch],
        kind,
        at: new Date(),
        placeId: site,
        severity: 'critical',
        payload: {
          alertId: alertOf[branch],
          alertKind: 'camera',
          cause: 'offline',
          severity: 'critical',
          status: kind === 'resolved' ? 'resolved' : 'open',
          detail: null,
          cameraId: fx.camera[branch],
          cameraName: `摄像机${branch}`,
          cameraCount: null,
          groupId: null,
          placeId: site,
          placePath: path?.names ?? [],
          openedAt: new Date().toISOString(),
        },
      },
    ]);
    return id as number;
  });
}

async function ticketEntry(kind: 'ticket_opened' | 'ticket_escalated'): Promise<number> {
  const site = fx.node.A1s;
  return withTransaction(api.deps.db, async (tx) => {
    const [id] = await appendFeed(tx, [
      {
        alertId: null,
        ticketId,
        kind,
        at: new Date(),
        placeId: site,
        severity: 'critical',
        payload: {
          ticketId,
          contractorId: fx.contractor.K1,
          cameraId: fx.camera.A1,
          cameraName: '摄像机A1',
          placeId: site,
          placePath: ['节点county', '节点A', '节点A1', '节点A1v', '节点A1s'],
          cause: 'offline',
          priority: 'P1',
          slaDueAt: new Date(Date.now() + 86_400_000).toISOString(),
          status: 'open',
        },
      },
    ]);
    return id as number;
  });
}

async function createRoute(key: RouteKey, body: Record<string, unknown>): Promise<void> {
  const res = await call('POST', '/notification-routes', admin, body);
  expect(res.statusCode, res.body).toBe(201);
  routeId[key] = res.json().id;
}

function verifyHmac(r: Received): boolean {
  const ts = String(r.headers['x-xueliang-timestamp']);
  const expected = createHmac('sha256', WEBHOOK_SECRET).update(`${ts}.${r.body}`).digest('hex');
  return r.headers['x-xueliang-signature'] === `sha256=${expected}`;
}

beforeAll(async () => {
  await receiver.start();
  api = await startTestApi({
    env: {
      LOG_LEVEL: 'debug',
      XUELIANG_NOTIFY_BACKOFF_MS: '50',
      XUELIANG_NOTIFY_MAX_BACKOFF_MS: '200',
      XUELIANG_NOTIFY_MAX_AGE_SECONDS: '60',
      XUELIANG_NOTIFY_TIMEOUT_MS: '1000',
    },
    logStream,
  });
  fx = await buildCountyFixture(api.deps.db);
  admin = await login(api.app, 'admin', PASSWORD);
  bureau = await login(api.app, 'bureau', PASSWORD);
  duty = await login(api.app, 'dutya1', PASSWORD);
  contractor = await login(api.app, 'contractork1', PASSWORD);
  for (const branch of ['A1', 'B1'] as const) {
    const { rows } = await api.deps.db.query<{ id: string }>(
      `INSERT INTO alerts (kind, camera_id, place_id, cause, severity, opened_at)
       VALUES ('camera', $1, $2, 'offline', 'critical', now()) RETURNING id`,
      [fx.camera[branch], fx.node[`${branch}s`]],
    );
    alertOf[branch] = Number(rows[0]?.id);
  }
  const { rows } = await api.deps.db.query<{ id: string }>(
    `INSERT INTO tickets (camera_id, contractor_id, contract_id, cause, priority, status, fault_since, opened_at, sla_due_at)
     VALUES ($1, $2, $3, 'offline', 'P1', 'open', now(), now(), now() + interval '1 day') RETURNING id`,
    [fx.camera.A1, fx.contractor.K1, fx.contract.K1],
  );
  ticketId = Number(rows[0]?.id);
  connection = bullConnection(api.config, 'test-notify', log);
});

afterAll(async () => {
  await stopWorker();
  connection?.disconnect();
  await api?.close();
  await receiver.close();
});

describe('outbound notifications', () => {
  it('holds every notification while the receiver is down and delivers each once, signed, when it is back', async () => {
    const base = receiver.base();
    await createRoute('county', {
      name: '县局',
      channel: 'webhook',
      url: `${base}/county?token=${URL_TOKEN}`,
      secret: WEBHOOK_SECRET,
    });
    await createRoute('a1', {
      name: 'A1 警务区',
      channel: 'webhook',
      url: `${base}/a1?token=${URL_TOKEN}`,
      secret: WEBHOOK_SECRET,
      districtId: fx.node.A1,
    });
    await createRoute('k1', {
      name: '运维K1',
      channel: 'webhook',
      url: `${base}/k1?token=${URL_TOKEN}`,
      secret: WEBHOOK_SECRET,
      contractorId: fx.contractor.K1,
    });
    // written before the first dispatch: a new deployment does not replay it
    await alertEntry('opened', 'B1');
    expect(await dispatch()).toBe(0);

    receiver.down = true;
    startWorker();
    const firstId = await alertEntry('opened', 'A1'); // county, a1
    await alertEntry('opened', 'B1'); // county
    await alertEntry('acknowledged', 'A1'); // nobody
    await ticketEntry('ticket_opened'); // k1
    await ticketEntry('ticket_escalated'); // county, k1
    // two dispatchers at once take turns on the cursor: the entries are enqueued once between them
    const [one, two] = await Promise.all([dispatch(), dispatch()]);
    expect(one + two).toBe(6);
    expect(await dispatch()).toBe(0);

    await until(() => receiver.requests.filter((r) => r.status === 503).length >= 12);
    expect(receiver.accepted()).toHaveLength(0);
    receiver.down = false;
    await until(() => receiver.accepted().length >= 6);
    // a dispatcher that crashed after enqueueing, before moving its cursor, enqueues the same jobs again
    await api.deps.db.query(`UPDATE stage_cursors SET last_id = $1 WHERE stage = 'notify'`, [firstId - 1]);
    expect(await dispatch()).toBe(6);
    await new Promise((r) => setTimeout(r, 500)); // anything sent twice would show by now

    const delivered = receiver.accepted();
    expect(delivered).toHaveLength(6);
    expect(new Set(delivered.map((r) => r.headers['x-xueliang-delivery'])).size).toBe(6);
    expect(delivered.every(verifyHmac)).toBe(true);
    expect(
      delivered
        .filter((r) => r.path === '/county')
        .map((r) => JSON.parse(r.body).event)
        .sort(),
    ).toEqual(['opened', 'opened', 'ticket_escalated']);
    expect(delivered.filter((r) => r.path === '/a1')).toHaveLength(1);
    expect(
      delivered
        .filter((r) => r.path === '/k1')
        .map((r) => JSON.parse(r.body).event)
        .sort(),
    ).toEqual(['ticket_escalated', 'ticket_opened']);
    const a1 = JSON.parse(delivered.find((r) => r.path === '/a1')?.body ?? '{}');
    expect(a1.text).toContain('节点county / 节点A / 节点A1 / 节点A1v / 节点A1s');
    expect(a1.link).toBe(`${api.config.alerting.consoleUrl}/#/alerts/${alertOf.A1}`);
    // a tampered body does not verify
    const forged = { ...delivered[0], body: `${delivered[0]?.body} ` } as Received;
    expect(verifyHmac(forged)).toBe(false);
  });

  it('gives up past the age limit, lists the dead letter, and delivers it on replay', async () => {
    await stopWorker();
    startWorker({ maxAgeSeconds: 1 });
    receiver.down = true;
    const before = receiver.accepted().length;
    const feedId = await alertEntry('opened', 'A1');
    expect(await dispatch()).toBe(2); // county, a1

    let letters: { id: number; feedId: number; attempts: number; lastError: string; routeId: string }[] = [];
    await until(async () => {
      const res = await call('GET', '/notification-dead-letters?pending=true', bureau);
      letters = res.json().items;
      return letters.length === 2;
    });
    expect(letters.every((l) => l.feedId === feedId && l.attempts > 1 && l.lastError === 'HTTP 503')).toBe(
      true,
    );
    receiver.down = false;
    await new Promise((r) => setTimeout(r, 300));
    expect(receiver.accepted().length).toBe(before); // no more attempts after the dead letter

    const letter = letters.find((l) => l.routeId === routeId.a1);
    expect((await call('POST', `/notification-dead-letters/${letter?.id}/replay`, bureau)).statusCode).toBe(
      403,
    );
    const replay = await call('POST', `/notification-dead-letters/${letter?.id}/replay`, admin);
    expect(replay.statusCode, replay.body).toBe(200);
    expect(replay.json().replayedAt).not.toBeNull();
    expect(replay.json().replayedBy).toBe(fx.user.admin);
    await until(() => receiver.accepted('/a1').length === 2);
    const last = receiver.accepted('/a1').at(-1) as Received;
    expect(JSON.parse(last.body).feedId).toBe(feedId);
    expect(verifyHmac(last)).toBe(true);
    expect((await call('POST', `/notification-dead-letters/${letter?.id}/replay`, admin)).statusCode).toBe(
      409,
    );
    const pending = await call('GET', '/notification-dead-letters?pending=true', admin);
    expect(pending.json().items.map((l: { routeId: string }) => l.routeId)).toEqual([routeId.county]);
    const audited = await api.deps.db.query(
      `SELECT 1 FROM audit_log WHERE action = 'replay' AND object_type = 'notification_dead_letter' AND object_id = $1`,
      [String(letter?.id)],
    );
    expect(audited.rows).toHaveLength(1);
  });

  it('signs DingTalk as its receiver checks it, retries on an errcode, and sends WeCom markdown', async () => {
    await stopWorker();
    startWorker();
    let dingCalls = 0;
    receiver.answer = (r) => {
      if (r.path === '/robot/send') {
        dingCalls++;
        const q = new URL(r.url, 'http://x').searchParams;
        const ts = Number(q.get('timestamp'));
        const sign = createHmac('sha256', DING_SECRET).update(`${ts}\n${DING_SECRET}`).digest('base64');
        const fresh = Math.abs(Date.now() - ts) < 3_600_000;
        if (q.get('access_token') !== DING_TOKEN || q.get('sign') !== sign || !fresh) {
          return { status: 200, body: '{"errcode":310000,"errmsg":"sign not match"}' };
        }
        // the first good request is refused as too fast, so the attempt must be retried
        if (dingCalls === 1) return { status: 200, body: '{"errcode":130101,"errmsg":"send too fast"}' };
        return { status: 200, body: '{"errcode":0,"errmsg":"ok"}' };
      }
      if (r.path === '/cgi-bin/webhook/send') return { status: 200, body: '{"errcode":0,"errmsg":"ok"}' };
      return { status: 200, body: '{}' };
    };
    const base = receiver.base();
    await createRoute('ding', {
      name: '钉钉 B1',
      channel: 'dingtalk',
      url: `${base}/robot/send?access_token=${DING_TOKEN}`,
      secret: DING_SECRET,
      districtId: fx.node.B1,
    });
    await createRoute('wecom', {
      name: '企业微信 B',
      channel: 'wecom',
      url: `${base}/cgi-bin/webhook/send?key=${WECOM_KEY}`,
      districtId: fx.node.B,
    });
    await alertEntry('resolved', 'B1');
    expect(await dispatch()).toBe(3); // county, ding, wecom
    await until(
      () =>
        receiver.accepted('/robot/send').length === 2 &&
        receiver.accepted('/cgi-bin/webhook/send').length === 1,
    );
    await until(() => receiver.accepted('/county').length === 4);
    const ding = JSON.parse(receiver.accepted('/robot/send').at(-1)?.body ?? '{}');
    expect(ding.msgtype).toBe('markdown');
    expect(ding.markdown.title).toBe('【恢复】离线已恢复');
    expect(ding.markdown.text).toContain('摄像机B1');
    const wecom = JSON.parse(receiver.accepted('/cgi-bin/webhook/send')[0]?.body ?? '{}');
    expect(wecom.msgtype).toBe('markdown');
    expect(wecom.markdown.content).toContain('<font color="info">【恢复】离线已恢复</font>');
    const logLines = logged.join('');
    expect(logLines).toContain('errcode 130101');
    expect(logLines).toContain(`"host":"127.0.0.1:${receiver.port}"`);
  });

  it('shows no secret in API replies, in Redis or in the log', async () => {
    const list = await call('GET', '/notification-routes', bureau);
    expect(list.statusCode).toBe(200);
    expect(list.json().items.map((r: { targetHost: string }) => r.targetHost)).toContain(
      `127.0.0.1:${receiver.port}`,
    );
    const one = await call('GET', `/notification-routes/${routeId.ding}`, admin);
    const letters = await call('GET', '/notification-dead-letters', admin);
    const replies = [list.body, one.body, letters.body].join('\n');

    const redis = api.deps.redis;
    const keys = (await redis.call('KEYS', `${api.config.redisPrefix}bull:notify:*`)) as string[];
    expect(keys.length).toBeGreaterThan(0);
    const dumped: string[] = [];
    for (const key of keys) {
      const type = (await redis.call('TYPE', key)) as string;
      const value =
        type === 'hash'
          ? await redis.call('HGETALL', key)
          : type === 'string'
            ? await redis.call('GET', key)
            : type === 'list'
              ? await redis.call('LRANGE', key, '0', '-1')
              : type === 'zset'
                ? await redis.call('ZRANGE', key, '0', '-1')
                : type === 'set'
                  ? await redis.call('SMEMBERS', key)
                  : type === 'stream'
                    ? await redis.call('XRANGE', key, '-', '+')
                    : null;
      dumped.push(JSON.stringify(value));
    }
    const jobData = (await api.deps.queues.notify.getJobs(['completed', 'failed'])).map((j) =>
      Object.keys(j.data).sort(),
    );
    expect(jobData.length).toBeGreaterThan(0);
    expect(jobData.every((k) => k.join() === 'feedId,routeId')).toBe(true);

    const audit = await api.deps.db.query(
      `SELECT details::text AS d FROM audit_log WHERE object_type LIKE 'notification%'`,
    );
    const logs = logged.join('');
    for (const secret of SECRETS) {
      expect(replies).not.toContain(secret);
      expect(dumped.join('\n')).not.toContain(secret);
      expect(logs).not.toContain(secret);
      expect(audit.rows.map((r) => r.d).join()).not.toContain(secret);
    }
    expect(logs).toContain('notify: attempt failed');
  });

  it('checks what a route may be, and lets only admins write and the bureau read', async () => {
    const base = receiver.base();
    const bad = async (body: Record<string, unknown>, field: string) => {
      const res = await call('POST', '/notification-routes', admin, {
        name: 'x',
        channel: 'webhook',
        ...body,
      });
      expect(res.statusCode, res.body).toBe(400);
      expect(res.json().field).toBe(field);
      for (const secret of SECRETS) expect(res.body).not.toContain(secret);
    };
    await bad({ url: 'not a url', secret: WEBHOOK_SECRET }, 'url');
    await bad({ url: `ftp://127.0.0.1/${URL_TOKEN}`, secret: WEBHOOK_SECRET }, 'url');
    await bad({ url: `${base}/x` }, 'secret');
    await bad({ channel: 'wecom', url: `${base}/x?key=${WECOM_KEY}`, secret: 'abc' }, 'secret');
    await bad(
      { url: `${base}/x`, secret: WEBHOOK_SECRET, districtId: fx.node.A, contractorId: fx.contractor.K1 },
      'contractorId',
    );
    await bad({ url: `${base}/x`, secret: WEBHOOK_SECRET, districtId: fx.contractor.K1 }, 'districtId');

    for (const who of [duty, contractor]) {
      expect((await call('GET', '/notification-routes', who)).statusCode).toBe(403);
      expect((await call('GET', '/notification-dead-letters', who)).statusCode).toBe(403);
      expect((await call('POST', '/notification-dead-letters/1/replay', who)).statusCode).toBe(403);
    }
    const body = { name: 'y', channel: 'webhook', url: `${base}/y`, secret: WEBHOOK_SECRET };
    expect((await call('POST', '/notification-routes', bureau, body)).statusCode).toBe(403);
    expect(
      (await call('PATCH', `/notification-routes/${routeId.k1}`, bureau, { enabled: false })).statusCode,
    ).toBe(403);
    expect((await call('DELETE', `/notification-routes/${routeId.k1}`, bureau)).statusCode).toBe(403);

    const patched = await call('PATCH', `/notification-routes/${routeId.k1}`, admin, {
      url: `http://127.0.0.2:${receiver.port}/k1`,
      minSeverity: 'critical',
    });
    expect(patched.statusCode, patched.body).toBe(200);
    expect(patched.json()).toMatchObject({
      targetHost: `127.0.0.2:${receiver.port}`,
      minSeverity: 'critical',
    });
    expect((await call('DELETE', `/notification-routes/${routeId.k1}`, admin)).statusCode).toBe(204);
    expect((await call('GET', `/notification-routes/${routeId.k1}`, admin)).statusCode).toBe(404);
    const actions = await api.deps.db.query<{ action: string }>(
      `SELECT action FROM audit_log WHERE object_type = 'notification_route' AND object_id = $1 ORDER BY id`,
      [routeId.k1],
    );
    expect(actions.rows.map((r) => r.action)).toEqual(['create', 'update', 'delete']);
  });

  it('re-seals route targets under a new key, each bound to its own route', async () => {
    const db = api.deps.db;
    const rotated = new CredentialVault([
      { id: 'k2', key: Buffer.alloc(32, 7) },
      ...api.config.credentialKeys,
    ]);
    const { rows } = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM notification_routes');
    expect(await resealRouteTargets(db, rotated)).toBe(rows[0]?.n);
    expect(await resealRouteTargets(db, rotated)).toBe(0);
    expect((await routeForDelivery(db, rotated, routeId.ding))?.target).toEqual({
      url: `${receiver.base()}/robot/send?access_token=${DING_TOKEN}`,
      secret: DING_SECRET,
    });
    await expect(routeForDelivery(db, api.deps.vault, routeId.ding)).rejects.toThrow(/unknown key 'k2'/);
    // a target copied onto another route's row does not open
    await db.query(
      `UPDATE notification_routes SET target_cipher = (SELECT target_cipher FROM notification_routes WHERE id = $1)
        WHERE id = $2`,
      [routeId.ding, routeId.wecom],
    );
    await expect(routeForDelivery(db, rotated, routeId.wecom)).rejects.toThrow(/fail authentication/);
  });
});
