import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFeed } from '../../src/alerting/feed-repo.js';
import { sweepTickets } from '../../src/tickets/sweep.js';
import { buildCountyFixture, type CountyFixture, PASSWORD } from '../support/county-fixture.js';
import { type AuthHeaders, login, startTestApi, type TestApi, userWithSession } from '../support/harness.js';

let api: TestApi;
let fx: CountyFixture;
const as: Record<string, AuthHeaders> = {};
const MINUTE = 60_000;
const BASE = Math.floor(Date.now() / MINUTE) * MINUTE;
const at = (minutes: number) => new Date(BASE + minutes * MINUTE);
const JPEG = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 0x10, 0x4a, 0x46]);
const PNG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d]);

beforeAll(async () => {
  api = await startTestApi({ env: { XUELIANG_TICKET_MAX_PHOTO_BYTES: '2048' } });
  fx = await buildCountyFixture(api.deps.db);
  for (const user of ['admin', 'bureau', 'dutya1', 'contractork1'])
    as[user] = await login(api.app, user, PASSWORD);
  as.contractork2 = await userWithSession(api, 'contractork2', 'contractor', {
    contractorId: fx.contractor.K2,
  });
});
afterAll(() => api.close());

const q = <T extends object>(sql: string, values: unknown[] = []) =>
  api.deps.db.query<T>(sql, values).then((r) => r.rows);

function call(method: 'GET' | 'POST', url: string, who: AuthHeaders, payload?: object) {
  return api.app.inject({ method, url: `/api/v1${url}`, headers: who, ...(payload ? { payload } : {}) });
}

function upload(id: number, who: AuthHeaders, contentType: string, body: Buffer) {
  return api.app.inject({
    method: 'POST',
    url: `/api/v1/tickets/${id}/photos`,
    headers: { ...who, 'content-type': contentType },
    payload: body,
  });
}

async function setHealth(cameraId: string, state: string, since: Date) {
  await q(
    `INSERT INTO camera_health (camera_id, state, since, memory) VALUES ($1, $2, $3, '{}')
     ON CONFLICT (camera_id) DO UPDATE SET state = EXCLUDED.state, since = EXCLUDED.since`,
    [cameraId, state, since],
  );
}

async function fault(cameraId: string, since: Date) {
  await q(
    `INSERT INTO alerts (kind, camera_id, place_id, cause, severity, opened_at)
     SELECT 'camera', id, site_id, 'offline', 'critical', $2 FROM cameras WHERE id = $1`,
    [cameraId, since],
  );
  await setHealth(cameraId, 'offline', since);
}

async function heal(cameraId: string, since: Date) {
  await q(
    `UPDATE alerts SET status = 'resolved', resolved_at = $2 WHERE camera_id = $1 AND status <> 'resolved'`,
    [cameraId, since],
  );
  await setHealth(cameraId, 'online', since);
}

const sweep = (now: Date) => sweepTickets(api.deps.db, api.config, now);

async function ticket(id: number, who = as.contractork1 as AuthHeaders) {
  const res = await call('GET', `/tickets/${id}`, who);
  expect(res.statusCode, res.body).toBe(200);
  return res.json();
}

describe('a ticket from fault to closing', () => {
  let id: number;

  it('opens for the covering contractor, who sees it with its countdown', async () => {
    await q('INSERT INTO camera_snapshots (camera_id, taken_at, jpeg) VALUES ($1, $2, $3)', [
      fx.camera.A1,
      at(-90),
      JPEG,
    ]);
    await fault(fx.camera.A1, at(-40));
    await sweep(at(0));
    const list = await call('GET', '/tickets', as.contractork1 as AuthHeaders);
    expect(list.statusCode, list.body).toBe(200);
    expect(list.json().total).toBe(1);
    const item = list.json().items[0];
    id = item.id;
    expect(item).toMatchObject({
      cameraId: fx.camera.A1,
      contractorId: fx.contractor.K1,
      status: 'open',
      priority: 'P1',
      placePath: ['节点county', '节点A', '节点A1', '节点A1v', '节点A1s'],
      slaDueAt: at(48 * 60).toISOString(),
      slaExtendedMinutes: 0,
      overdue: false,
    });
    expect(item.remainingSeconds).toBeGreaterThan(47 * 3600);
    const shot = await call('GET', `/tickets/${id}/snapshots/last_good`, as.contractork1 as AuthHeaders);
    expect(shot.statusCode).toBe(200);
    expect(shot.headers['content-type']).toBe('image/jpeg');
    expect(shot.rawPayload).toEqual(JPEG);
    expect(
      (await call('GET', `/tickets/${id}/snapshots/at_fault`, as.contractork1 as AuthHeaders)).statusCode,
    ).toBe(404);
  });

  it('is hidden from another contractor and read-only for the duty desk', async () => {
    const k2 = as.contractork2 as AuthHeaders;
    expect((await call('GET', `/tickets/${id}`, k2)).statusCode).toBe(404);
    expect((await call('POST', `/tickets/${id}/acknowledge`, k2)).statusCode).toBe(404);
    expect((await call('GET', '/tickets', k2)).json().total).toBe(0);
    const duty = as.dutya1 as AuthHeaders;
    expect((await call('GET', '/tickets', duty)).json().items.map((t: { id: number }) => t.id)).toEqual([id]);
    expect((await call('POST', `/tickets/${id}/acknowledge`, duty)).statusCode).toBe(403);
    expect((await call('POST', `/tickets/${id}/notes`, duty, { note: 'x' })).statusCode).toBe(403);
    expect((await upload(id, duty, 'image/jpeg', JPEG)).statusCode).toBe(403);
  });

  it('is acknowledged, noted, and marked repaired, which waits in verifying while the camera is broken', async () => {
    const k1 = as.contractork1 as AuthHeaders;
    const ack = await call('POST', `/tickets/${id}/acknowledge`, k1);
    expect(ack.statusCode, ack.body).toBe(200);
    expect(ack.json()).toMatchObject({ status: 'acknowledged', acknowledgedBy: fx.user.contractorK1 });
    expect((await call('POST', `/tickets/${id}/acknowledge`, k1)).statusCode).toBe(409);
    expect((await call('POST', `/tickets/${id}/notes`, k1, { note: '已派人' })).statusCode).toBe(200);
    const repaired = await call('POST', `/tickets/${id}/repaired`, k1, { note: '更换电源' });
    expect(repaired.json()).toMatchObject({ status: 'verifying', repairedBy: fx.user.contractorK1 });
    expect((await sweep(at(120))).closed).toBe(0);
    const t = await ticket(id);
    expect(t.status).toBe('verifying');
    expect(t.events.map((e: { kind: string }) => e.kind)).toEqual([
      'opened',
      'acknowledged',
      'note',
      'repaired',
    ]);
    expect(t.events[2]).toMatchObject({ note: '已派人', actorName: 'contractork1' });
    const audited = await q<{ action: string }>(
      `SELECT action FROM audit_log WHERE object_type = 'ticket' AND object_id = $1 ORDER BY id`,
      [String(id)],
    );
    expect(audited.map((a) => a.action)).toEqual(['acknowledge', 'note', 'repaired']);
  });

  it('takes a repair photo and refuses a wrong type, a mismatched body or an oversize one, naming the field', async () => {
    const k1 = as.contractork1 as AuthHeaders;
    const cases = [
      [await upload(id, k1, 'text/plain', Buffer.from('hello')), 415, 'content-type'],
      [await upload(id, k1, 'image/gif', Buffer.from('GIF89a')), 415, 'content-type'],
      [await upload(id, k1, 'image/jpeg', PNG), 400, 'body'],
      [await upload(id, k1, 'image/png', Buffer.alloc(0)), 400, 'body'],
      [await upload(id, k1, 'image/jpeg', Buffer.concat([JPEG, Buffer.alloc(3000)])), 413, 'body'],
    ] as const;
    for (const [res, status, field] of cases) {
      expect(res.statusCode, res.body).toBe(status);
      expect(res.json().field).toBe(field);
    }
    const ok = await upload(id, k1, 'image/png', PNG);
    expect(ok.statusCode, ok.body).toBe(201);
    expect(ok.json()).toMatchObject({ contentType: 'image/png', sizeBytes: PNG.length });
    const back = await call('GET', `/tickets/${id}/photos/${ok.json().id}`, as.bureau as AuthHeaders);
    expect(back.headers['content-type']).toBe('image/png');
    expect(back.rawPayload).toEqual(PNG);
    expect((await ticket(id)).photos).toHaveLength(1);
  });

  it('closes itself as verified once the camera has been healthy long enough', async () => {
    await heal(fx.camera.A1, at(120));
    await q('UPDATE camera_snapshots SET taken_at = $2 WHERE camera_id = $1', [fx.camera.A1, at(130)]);
    expect((await sweep(at(140))).closed).toBe(0);
    expect((await sweep(at(150))).closed).toBe(1);
    const t = await ticket(id);
    expect(t).toMatchObject({ status: 'closed', closeReason: 'verified', remainingSeconds: null });
    expect(t.snapshots.map((s: { role: string }) => s.role)).toEqual(['after_repair', 'last_good']);
    expect((await call('GET', '/tickets?status=closed', as.contractork1 as AuthHeaders)).json().total).toBe(
      1,
    );
    expect((await call('GET', '/tickets', as.contractork1 as AuthHeaders)).json().total).toBe(0);
  });

  it('reopens when the fault returns, and escalates to the bureau past its deadline', async () => {
    await fault(fx.camera.A1, at(300));
    const reopened = await sweep(at(340));
    expect(reopened.reopened).toBe(1);
    const t = await ticket(id);
    expect(t).toMatchObject({ status: 'open', reopenedCount: 1, slaDueAt: at(340 + 48 * 60).toISOString() });
    expect((await sweep(at(340 + 48 * 60 + 1))).escalated).toBe(1);
    expect((await ticket(id)).escalatedAt).toBe(at(340 + 48 * 60 + 1).toISOString());
    const feed = await readFeed(api.deps.db, 0, 100);
    expect(feed.filter((e) => e.ticketId === id).map((e) => [e.kind, e.severity])).toEqual([
      ['ticket_opened', 'critical'],
      ['ticket_opened', 'critical'],
      ['ticket_escalated', 'critical'],
    ]);
  });
});

describe('disputing a fault as external cause', () => {
  it('extends the SLA once the bureau approves, and not before', async () => {
    await fault(fx.camera.A2, at(-60));
    await sweep(at(0));
    const [row] = await q<{ id: number }>('SELECT id FROM tickets WHERE camera_id = $1', [fx.camera.A2]);
    const id = row?.id as number;
    const k1 = as.contractork1 as AuthHeaders;
    const body = {
      cause: 'power_cut',
      reason: '供电局检修',
      evidence: '停电通知 2025-03-01',
      from: at(-60).toISOString(),
      to: at(10 * 60).toISOString(),
    };
    expect((await call('POST', `/tickets/${id}/dispute`, as.dutya1 as AuthHeaders, body)).statusCode).toBe(
      403,
    );
    expect((await call('POST', `/tickets/${id}/dispute`, k1, { ...body, cause: 'storm' })).json().field).toBe(
      'cause',
    );
    const disputed = await call('POST', `/tickets/${id}/dispute`, k1, body);
    expect(disputed.statusCode, disputed.body).toBe(201);
    const exclusion = disputed.json().dispute;
    expect(exclusion).toMatchObject({ status: 'requested', reason: '[power_cut] 供电局检修' });
    expect((await call('POST', `/tickets/${id}/dispute`, k1, body)).statusCode).toBe(409);
    expect((await ticket(id)).slaExtendedMinutes).toBe(0);

    const approve = await call(
      'POST',
      `/availability-exclusions/${exclusion.id}/approve`,
      as.bureau as AuthHeaders,
    );
    expect(approve.statusCode, approve.body).toBe(200);
    expect(approve.json()).toMatchObject({
      kind: 'external_cause',
      cameraId: fx.camera.A2,
      status: 'approved',
    });
    const t = await ticket(id);
    // the SLA clock started at the opening (0): the 10 hours from then on are excluded
    expect(t).toMatchObject({ slaExtendedMinutes: 600, slaDueAt: at(58 * 60).toISOString() });
    expect(t.events.map((e: { kind: string }) => e.kind)).toEqual(['opened', 'disputed']);
    expect((await sweep(at(48 * 60 + 30))).escalated).toBe(0);
    expect((await sweep(at(58 * 60 + 1))).escalated).toBe(1);
  });
});

describe('bad requests', () => {
  it('names the field of a bad ticket id or body', async () => {
    const k1 = as.contractork1 as AuthHeaders;
    expect((await call('GET', '/tickets/abc', k1)).json().field).toBe('id');
    expect((await call('POST', '/tickets/1/notes', k1, { note: '' })).json().field).toBe('note');
    expect((await call('GET', '/tickets/999999', k1)).statusCode).toBe(404);
  });
});
