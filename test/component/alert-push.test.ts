import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { CLOSE_TOO_SLOW, ConsoleFeed, type ConsoleSocket, FeedHub } from '../../src/alerting/feed-hub.js';
import { appendFeed, nudgeFeed } from '../../src/alerting/feed-repo.js';
import { withTransaction } from '../../src/db.js';
import { type Branch, buildCountyFixture, type CountyFixture, PASSWORD } from '../support/county-fixture.js';
import {
  type AuthHeaders,
  freshDatabase,
  login,
  startTestApi,
  type TestApi,
  userWithSession,
} from '../support/harness.js';

let databaseUrl: string;
let api: TestApi;
let second: TestApi;
let fx: CountyFixture;
const alertOf = {} as Record<Branch, number>;
const headers = {} as Record<'bureau' | 'dutyA1' | 'dutyA' | 'dutyB1' | 'contractor', AuthHeaders>;

beforeAll(async () => {
  databaseUrl = await freshDatabase();
  api = await startTestApi({ databaseUrl, listen: true });
  // a second instance over the same database and Redis prefix, as when the county scales out
  second = await startTestApi({
    databaseUrl,
    listen: true,
    // its fallback poll quicker than the default 2 s, which the lost-nudge test relies on
    env: { XUELIANG_REDIS_PREFIX: api.config.redisPrefix, XUELIANG_FEED_POLL_MS: '300' },
  });
  fx = await buildCountyFixture(api.deps.db);
  for (const b of ['A1', 'A2', 'B1'] as const) {
    const { rows } = await api.deps.db.query<{ id: number }>(
      `INSERT INTO alerts (kind, camera_id, place_id, cause, severity, opened_at)
       VALUES ('camera', $1, $2, 'offline', 'critical', now()) RETURNING id`,
      [fx.camera[b], fx.node[`${b}s`]],
    );
    alertOf[b] = (rows[0] as { id: number }).id;
  }
  headers.bureau = await login(api.app, 'bureau', PASSWORD);
  headers.dutyA1 = await login(api.app, 'dutya1', PASSWORD);
  headers.dutyA = await login(api.app, 'dutya', PASSWORD);
  headers.contractor = await login(api.app, 'contractork1', PASSWORD);
  headers.dutyB1 = await userWithSession(api, 'dutyb1', 'duty', { scopeDistrictId: fx.node.B1 });
});
afterAll(async () => {
  await second?.close();
  await api?.close();
});

/** Appends `count` 'opened' entries for the branch's alert in one transaction; nudges unless told not to. Returns the last id. */
async function append(
  branch: Branch,
  opts: { nudge?: boolean; pad?: number; count?: number } = {},
): Promise<number> {
  const entry = {
    alertId: alertOf[branch],
    kind: 'opened' as const,
    at: new Date(),
    placeId: fx.node[`${branch}s`],
    severity: 'critical' as const,
    payload: {
      alertId: alertOf[branch],
      cause: 'offline',
      cameraName: `摄像机${branch}`,
      ...(opts.pad ? { pad: 'x'.repeat(opts.pad) } : {}),
    },
  };
  const ids = await withTransaction(api.deps.db, (tx) =>
    appendFeed(
      tx,
      Array.from({ length: opts.count ?? 1 }, () => entry),
    ),
  );
  const id = ids.at(-1) as number;
  if (opts.nudge !== false) await nudgeFeed(api.deps.redis, api.config, id);
  return id;
}

interface Message {
  type: string;
  id?: number;
  lastId?: number;
  kind?: string;
  alertId?: number;
  [key: string]: unknown;
}

/** A console: collects every message; `open` resolves once it is live (after `synced`, or hello for contractors). */
class Console {
  readonly messages: Message[] = [];
  private waiters: (() => void)[] = [];
  readonly closed: Promise<number>;

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => {
      this.messages.push(JSON.parse(data.toString()) as Message);
      for (const w of this.waiters) w();
    });
    this.closed = new Promise((resolve) => ws.once('close', (code) => resolve(code)));
  }

  static async open(target: TestApi, auth: AuthHeaders, since?: number): Promise<Console> {
    const { port } = target.app.server.address() as { port: number };
    const query = since === undefined ? '' : `?since=${since}`;
    const c = new Console(new WebSocket(`ws://127.0.0.1:${port}/api/v1/live${query}`, { headers: auth }));
    await c.until((m) => m.type === 'synced' || (m.type === 'hello' && m.role === 'contractor'));
    return c;
  }

  alertIds(): number[] {
    return this.messages.filter((m) => m.type === 'alert').map((m) => m.id as number);
  }

  lastSeen(): number {
    const synced = this.messages.filter((m) => m.type === 'synced').map((m) => m.lastId as number);
    return Math.max(0, ...synced, ...this.alertIds());
  }

  until(pred: (m: Message) => boolean, timeoutMs = 10_000): Promise<Message> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const found = this.messages.find(pred);
        if (!found) return false;
        clearTimeout(timer);
        this.waiters = this.waiters.filter((w) => w !== waiter);
        resolve(found);
        return true;
      };
      const waiter = () => void check();
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(new Error(`no such message within ${timeoutMs} ms; got ${JSON.stringify(this.messages)}`));
      }, timeoutMs);
      if (!check()) this.waiters.push(waiter);
    });
  }

  async close(): Promise<void> {
    this.ws.close();
    await this.closed;
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The feed ids after `after` that a duty user of `scope` may see (all, for the bureau). */
async function visibleIds(after: number, scope: string | null): Promise<number[]> {
  const { rows } = await api.deps.db.query<{ id: number }>(
    `SELECT id FROM alert_feed WHERE id > $1 AND ($2::uuid IS NULL OR ancestors @> ARRAY[$2::uuid]) ORDER BY id`,
    [after, scope],
  );
  return rows.map((r) => r.id);
}

describe('alerts pushed to console sockets', () => {
  it('each user receives the alerts of its own scope only; contractors none', async () => {
    const consoles = {
      bureau: await Console.open(api, headers.bureau),
      dutyA1: await Console.open(api, headers.dutyA1),
      dutyA: await Console.open(second, headers.dutyA),
      dutyB1: await Console.open(api, headers.dutyB1),
      contractor: await Console.open(second, headers.contractor),
    };
    const a1 = await append('A1');
    const a2 = await append('A2');
    const b1 = await append('B1');
    await consoles.bureau.until((m) => m.id === b1);
    await consoles.dutyA.until((m) => m.id === a2);
    await consoles.dutyB1.until((m) => m.id === b1);
    await consoles.dutyA1.until((m) => m.id === a1);
    await sleep(300); // anything wrongly sent would have arrived with the rest
    expect(consoles.bureau.alertIds()).toEqual([a1, a2, b1]);
    expect(consoles.dutyA.alertIds()).toEqual([a1, a2]);
    expect(consoles.dutyA1.alertIds()).toEqual([a1]);
    expect(consoles.dutyB1.alertIds()).toEqual([b1]);
    expect(consoles.contractor.messages.map((m) => m.type)).toEqual(['hello']);
    const message = consoles.dutyA1.messages.find((m) => m.id === a1);
    expect(message).toMatchObject({
      type: 'alert',
      kind: 'opened',
      severity: 'critical',
      alertId: alertOf.A1,
      cameraName: '摄像机A1',
    });
    expect(new Date(message?.at as string).getTime()).not.toBeNaN();
    for (const c of Object.values(consoles)) await c.close();
  });

  it('an entry reaches the sockets of both API instances', async () => {
    const here = await Console.open(api, headers.bureau);
    const there = await Console.open(second, headers.bureau);
    const id = await append('B1');
    await Promise.all([here.until((m) => m.id === id), there.until((m) => m.id === id)]);
    await here.close();
    await there.close();
  });

  it('an entry whose nudge was lost still arrives through the fallback poll', async () => {
    expect(second.deps.alertFeed.pollMs).toBe(300);
    const c = await Console.open(second, headers.dutyA1);
    const id = await append('A1', { nudge: false });
    await c.until((m) => m.id === id, second.deps.alertFeed.pollMs * 3);
    expect(c.alertIds()).toEqual([id]);
    await c.close();
  });

  it('a console that reconnects with its last id gets every missed entry once, in order', async () => {
    const first = await Console.open(api, headers.dutyA);
    const seen = await append('A1');
    await first.until((m) => m.id === seen);
    await first.close();
    const missedA1 = await append('A1');
    await append('B1');
    const missedA2 = await append('A2', { nudge: false });
    const again = await Console.open(second, headers.dutyA, seen);
    expect(again.alertIds()).toEqual([missedA1, missedA2]);
    expect(again.messages.at(-1)).toEqual({ type: 'synced', lastId: await lastId() });
    const live = await append('A2');
    await again.until((m) => m.id === live);
    expect(again.alertIds()).toEqual([missedA1, missedA2, live]);
    await again.close();
  });

  it('nothing lost or doubled across reconnects while entries keep coming, across instances and a restart', async () => {
    const start = await lastId();
    // a backlog of several pages, so replays overlap live entries
    for (const b of ['A1', 'B1', 'A2'] as const) await append(b, { count: 600, nudge: false });
    let writing = true;
    const writer = (async () => {
      const branches: Branch[] = ['A1', 'B1', 'A2'];
      for (let i = 0; writing; i++) {
        await append(branches[i % 3] as Branch, { nudge: i % 4 !== 0, count: 1 + (i % 5) });
        await sleep(2);
      }
    })();
    const received: number[] = [];
    let since = start;
    let third: TestApi | null = null;
    for (let round = 0; round < 6; round++) {
      if (round === 4) {
        third = await startTestApi({
          databaseUrl,
          listen: true,
          env: { XUELIANG_REDIS_PREFIX: api.config.redisPrefix },
        });
      }
      const target = round === 5 && third ? third : round % 2 === 0 ? api : second;
      const c = await Console.open(target, headers.dutyA, since);
      await sleep(150);
      await c.close();
      received.push(...c.alertIds());
      since = c.lastSeen();
    }
    writing = false;
    await writer;
    await third?.close();
    // the last console catches up on what came after it closed
    const last = await Console.open(api, headers.dutyA, since);
    received.push(...last.alertIds());
    await last.close();
    expect(received.length).toBeGreaterThan(1200);
    expect(received).toEqual(await visibleIds(start, fx.node.A));
  });

  it('tells its consoles the server is going away (1001) when an instance shuts down', async () => {
    const leaving = await startTestApi({
      databaseUrl,
      listen: true,
      env: { XUELIANG_REDIS_PREFIX: api.config.redisPrefix },
    });
    const c = await Console.open(leaving, headers.dutyA);
    await leaving.close();
    expect(await c.closed).toBe(1001);
  });

  it('entries arriving during a replay wait for it: each sent once, in order', async () => {
    // a hub of the test's own, read when poked, with small pages so the replay takes several
    const hub = new FeedHub(api.deps.db, api.deps.redis, 'unused', api.deps.log, { pageSize: 5 });
    hub.poke();
    await expect.poll(() => hub.lastId).not.toBeNull();
    const since = await lastId();
    await append('B1', { count: 12, nudge: false });
    const sent: Message[] = [];
    const held: (() => void)[] = [];
    const socket: ConsoleSocket = {
      send: (data, cb) => {
        sent.push(JSON.parse(data) as Message);
        if (cb) held.push(() => cb());
      },
      bufferedAmount: 0,
      close: () => undefined,
      terminate: () => undefined,
    };
    const feed = new ConsoleFeed(hub, api.deps.db, { role: 'bureau', scopeDistrictId: null }, socket);
    const started = feed.start(since).then(() => true);
    await expect.poll(() => held.length).toBe(1); // the first page is out; the replay waits for the socket
    hub.poke();
    await append('B1', { count: 3, nudge: false });
    hub.poke();
    const end = await lastId();
    await expect.poll(() => hub.lastId).toBe(end);
    expect(sent).toHaveLength(5); // the hub's live entries waited
    while (!(await Promise.race([started, sleep(20).then(() => false)]))) held.shift()?.();
    const ids = sent.filter((m) => m.type === 'alert').map((m) => m.id);
    expect(ids).toEqual(Array.from({ length: 15 }, (_, i) => since + 1 + i));
    expect(sent.at(-1)).toEqual({ type: 'synced', lastId: end });
    const live = await append('B1', { nudge: false });
    hub.poke();
    await expect.poll(() => sent.at(-1)?.id).toBe(live);
    feed.stop();
    await hub.stop();
  });

  it('a socket refusing to read is closed with CLOSE_TOO_SLOW, never buffered without bound', async () => {
    const sent: string[] = [];
    let closedWith: number | null = null;
    const socket: ConsoleSocket = {
      send: (data, cb) => {
        sent.push(data);
        cb?.();
      },
      // a reader that never drains: everything sent stays buffered
      get bufferedAmount() {
        return sent.reduce((n, s) => n + s.length, 0);
      },
      close: (code) => {
        closedWith = code ?? null;
      },
      terminate: () => undefined,
    };
    const feed = new ConsoleFeed(
      api.deps.alertFeed,
      api.deps.db,
      { role: 'bureau', scopeDistrictId: null },
      socket,
      { maxBufferedBytes: 20_000 },
    );
    await feed.start(null);
    for (let i = 0; i < 8; i++) await append('B1', { pad: 4000 });
    await expect.poll(() => closedWith, { timeout: 10_000 }).toBe(CLOSE_TOO_SLOW);
    // closed at the first message past the bound: at most one message over it is ever held
    expect(socket.bufferedAmount).toBeLessThan(20_000 + 4500);
    expect(sent.filter((s) => s.includes('"pad"')).length).toBeLessThan(8);
    const count = sent.length;
    await append('B1');
    await sleep(300);
    expect(sent.length).toBe(count);
  });

  it('refuses a since that is not a feed id', async () => {
    const { port } = api.app.server.address() as { port: number };
    const ws = new WebSocket(`ws://127.0.0.1:${port}/api/v1/live?since=abc`, { headers: headers.bureau });
    const status = await new Promise<number>((resolve) => {
      ws.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      ws.once('open', () => resolve(101));
      ws.once('error', () => undefined);
    });
    expect(status).toBe(400);
  });
});

async function lastId(): Promise<number> {
  const { rows } = await api.deps.db.query<{ id: number | null }>('SELECT max(id) AS id FROM alert_feed');
  return rows[0]?.id ?? 0;
}
