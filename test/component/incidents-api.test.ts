import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Role, systemPrincipal } from '../../src/auth/policy.js';
import { INCIDENT_TYPES } from '../../src/governance/incident-rules.js';
import { createStaff } from '../../src/governance/staff.js';
import { startTestApi, type TestApi, treeBuilder, userWithSession } from '../support/harness.js';

type Headers = { authorization: string };
type Reply = { statusCode: number; json: () => Record<string, unknown> };

let api: TestApi;
let admin: Headers;
let bureau: Headers;
let dutyA: Headers;
let contractor: Headers;
let d: Record<string, string> = {};
const cam: Record<string, string> = {};
const staff: Record<string, string> = {};
const UNKNOWN = '7d3c1f52-5a0e-4a57-9f39-2a0e0f1f0a11';
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

let node: ReturnType<typeof treeBuilder>['node'];

async function camera(key: string, site: string, serial: number) {
  const { rows } = await api.deps.db.query<{ id: string }>(
    'INSERT INTO cameras (site_id, name, gb_code) VALUES ($1, $2, $3) RETURNING id',
    [d[site], `摄像机${key}`, `6404250000132${String(serial).padStart(7, '0')}`],
  );
  cam[key] = (rows[0] as { id: string }).id;
}
const user = (username: string, role: Role, extra = {}) => userWithSession(api, username, role, extra);

beforeAll(async () => {
  api = await startTestApi();
  const tree = treeBuilder(api);
  node = tree.node;
  d = tree.ids;
  await node('county', { kind: 'county', name: '彭阳县', code: '640425' });
  await node('t1', { kind: 'town', name: '白阳镇', code: 'T1' }, 'county');
  await node('pdA', { kind: 'police_district', name: '甲警务区', code: 'PD-A' }, 't1');
  await node('vA', { kind: 'village', name: '甲村', code: 'V-A' }, 'pdA');
  await node('siteA', { kind: 'site', name: '甲村口', code: 'S-A' }, 'vA');
  await node('pdB', { kind: 'police_district', name: '乙警务区', code: 'PD-B' }, 't1');
  await node('vB', { kind: 'village', name: '乙村', code: 'V-B' }, 'pdB');
  await node('siteB', { kind: 'site', name: '乙村口', code: 'S-B' }, 'vB');
  await camera('a1', 'siteA', 1);
  await camera('a2', 'siteA', 2);
  await camera('b1', 'siteB', 3);
  for (const [key, place] of [
    ['a', 'vA'],
    ['b', 'vB'],
  ] as const) {
    const s = await createStaff(
      api.deps.db,
      systemPrincipal,
      { role: 'grid_worker', name: `网格员${key}`, districtId: d[place] as string },
      api.config.timeZone,
    );
    staff[key] = s.id;
  }
  const { rows } = await api.deps.db.query<{ id: string }>(
    `INSERT INTO contractors (name) VALUES ('维保公司') RETURNING id`,
  );
  admin = await user('admin', 'admin');
  bureau = await user('bureau', 'bureau');
  dutyA = await user('duty-a', 'duty', { scopeDistrictId: d.pdA });
  contractor = await user('contractor', 'contractor', { contractorId: rows[0]?.id });
});
afterAll(() => api.close());

function call(method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, headers: Headers, payload?: object) {
  return api.app.inject({ method, url: `/api/v1${url}`, headers, ...(payload ? { payload } : {}) });
}

const ago = (ms: number) => new Date(Date.now() - ms).toISOString();

/** Records an incident, expecting success. */
async function record(payload: Record<string, unknown>, who: Headers = admin) {
  const res = await call('POST', '/incidents', who, {
    type: 'other',
    title: '事件',
    occurredAt: ago(10 * MINUTE),
    districtId: d.vA,
    ...payload,
  });
  expect(res.statusCode, res.body).toBe(201);
  return res.json();
}

function expect400(res: Reply, field: string) {
  expect(res.statusCode).toBe(400);
  expect(res.json().field).toBe(field);
}

const count = async (table: string) =>
  (await api.deps.db.query<{ n: number }>(`SELECT count(*) AS n FROM ${table}`)).rows[0]?.n;

describe('incident deadlines', () => {
  it('gives stability_safety 1 h, key_industry_staff 24 h and the others no deadline', async () => {
    const occurredAt = ago(10 * MINUTE);
    const at = (h: number) => new Date(Date.parse(occurredAt) + h * HOUR).toISOString();
    for (const type of INCIDENT_TYPES) {
      const incident = await record({ type, title: `期限 ${type}`, occurredAt });
      const due = { stability_safety: at(1), key_industry_staff: at(24) }[type as string] ?? null;
      expect(incident).toMatchObject({
        type,
        occurredAt,
        reportDueAt: due,
        overdue: false,
        reportedLate: false,
      });
    }
  });

  it('returns every field, cameras included', async () => {
    const incident = await record({
      type: 'public_order',
      title: '聚集',
      description: '村口聚集',
      districtId: d.siteA,
      cameraIds: [cam.a2, cam.a1],
      reportedByStaffId: staff.a,
    });
    expect(Object.keys(incident).sort()).toEqual(
      [
        'cameraIds',
        'createdAt',
        'description',
        'districtId',
        'id',
        'occurredAt',
        'overdue',
        'reportDueAt',
        'reportedAt',
        'reportedByStaffId',
        'reportedLate',
        'status',
        'title',
        'type',
        'updatedAt',
      ].sort(),
    );
    expect([...incident.cameraIds].sort()).toEqual([cam.a1, cam.a2].sort());
    expect(incident).toMatchObject({ status: 'open', reportedAt: null, reportedByStaffId: staff.a });
    expect((await call('GET', `/incidents/${incident.id}`, bureau)).json()).toEqual(incident);
  });

  it('flags overdue incidents, clears the flag on report and tells late from on-time reports', async () => {
    const late = await record({ type: 'stability_safety', title: '逾期 一', occurredAt: ago(2 * HOUR) });
    const onTime = await record({ type: 'stability_safety', title: '逾期 二', occurredAt: ago(30 * MINUTE) });
    const none = await record({ type: 'criminal_case', title: '逾期 三', occurredAt: ago(3 * HOUR) });
    expect(late.overdue).toBe(true);
    const titles = async (overdue: boolean) =>
      (await call('GET', `/incidents?q=${encodeURIComponent('逾期')}&overdue=${overdue}`, admin))
        .json()
        .items.map((i: { title: string }) => i.title);
    expect(await titles(true)).toEqual(['逾期 一']);
    expect(await titles(false)).toEqual(['逾期 二', '逾期 三']);

    const reported = (await call('PATCH', `/incidents/${late.id}`, admin, { status: 'reported' })).json();
    expect(reported.status).toBe('reported');
    expect(Date.now() - Date.parse(reported.reportedAt)).toBeLessThan(MINUTE);
    expect(reported).toMatchObject({ overdue: false, reportedLate: true });
    const ok = (await call('PATCH', `/incidents/${onTime.id}`, admin, { status: 'reported' })).json();
    expect(ok).toMatchObject({ overdue: false, reportedLate: false });
    expect(await titles(true)).toEqual([]);
    const closed = (await call('PATCH', `/incidents/${none.id}`, admin, { status: 'closed' })).json();
    expect(closed).toMatchObject({ status: 'closed', reportedAt: null, reportedLate: false });
  });

  it('recomputes the deadline when type or occurredAt change, and reopening takes the report back', async () => {
    const occurredAt = ago(3 * HOUR);
    const incident = await record({ type: 'traffic', title: '重算', occurredAt, status: 'reported' });
    expect(incident.reportDueAt).toBeNull();
    expect(incident.reportedAt).not.toBeNull();
    const typed = (
      await call('PATCH', `/incidents/${incident.id}`, admin, { type: 'stability_safety' })
    ).json();
    expect(typed.reportDueAt).toBe(new Date(Date.parse(occurredAt) + HOUR).toISOString());
    expect(typed.reportedLate).toBe(true);
    const moved = ago(20 * MINUTE);
    const timed = (await call('PATCH', `/incidents/${incident.id}`, admin, { occurredAt: moved })).json();
    expect(timed.reportDueAt).toBe(new Date(Date.parse(moved) + HOUR).toISOString());
    const renamed = (await call('PATCH', `/incidents/${incident.id}`, admin, { title: '重算二' })).json();
    expect(renamed.reportDueAt).toBe(timed.reportDueAt);
    const reopened = (await call('PATCH', `/incidents/${incident.id}`, admin, { status: 'open' })).json();
    expect(reopened).toMatchObject({ status: 'open', reportedAt: null, overdue: false });
  });
});

describe('incident validation', () => {
  const post = (extra: object, who: Headers = admin) =>
    call('POST', '/incidents', who, {
      type: 'other',
      title: '无效',
      occurredAt: ago(MINUTE),
      districtId: d.vA,
      ...extra,
    });

  it('names the field of every rule', async () => {
    expect400(await post({ occurredAt: new Date(Date.now() + HOUR).toISOString() }), 'occurredAt');
    expect400(await post({ occurredAt: '2025-13-01T00:00:00Z' }), 'occurredAt');
    expect400(await post({ districtId: d.t1 }), 'districtId');
    expect400(await post({ districtId: d.county }), 'districtId');
    expect400(await post({ districtId: UNKNOWN }), 'districtId');
    expect400(await post({ cameraIds: [cam.a1, UNKNOWN] }), 'cameraIds.1');
    expect400(await post({ cameraIds: ['not-a-uuid'] }), 'cameraIds.0');
    expect400(await post({ cameraIds: [cam.a1, cam.a1] }), 'cameraIds');
    expect400(await post({ reportedByStaffId: UNKNOWN }), 'reportedByStaffId');
    expect400(await post({ type: 'riot' }), 'type');
    expect400(await post({ status: 'lost' }), 'status');
    expect400(await post({ title: '' }), 'title');
    expect400(await post({ reportedAt: ago(0) }), 'reportedAt');
    expect400(await post({ status: 'reported', reportedAt: ago(2 * MINUTE) }), 'reportedAt');
    expect400(await post({ secret: 1 }), 'secret');
    expect((await call('GET', '/incidents/__proto__', admin)).statusCode).toBe(400);
    expect((await call('GET', `/incidents/${UNKNOWN}`, admin)).statusCode).toBe(404);
  });

  it('changes nothing when a write fails', async () => {
    const incident = await record({ title: '原样', cameraIds: [cam.a1] });
    const [incidents, audits] = [await count('incidents'), await count('audit_log')];
    expect400(await post({ cameraIds: [UNKNOWN] }), 'cameraIds.0');
    const patch = await call('PATCH', `/incidents/${incident.id}`, admin, {
      title: '改了',
      cameraIds: [cam.a2, UNKNOWN],
    });
    expect400(patch, 'cameraIds.1');
    expect((await call('GET', `/incidents/${incident.id}`, admin)).json()).toEqual(incident);
    expect([await count('incidents'), await count('audit_log')]).toEqual([incidents, audits]);
  });

  it('audits every write in its transaction', async () => {
    const incident = await record({ title: '审计' });
    await call('PATCH', `/incidents/${incident.id}`, admin, { title: '审计二', cameraIds: [cam.b1] });
    expect((await call('GET', `/incidents/${incident.id}`, admin)).json().cameraIds).toEqual([cam.b1]);
    expect((await call('DELETE', `/incidents/${incident.id}`, admin)).statusCode).toBe(204);
    expect((await call('GET', `/incidents/${incident.id}`, admin)).statusCode).toBe(404);
    const { rows } = await api.deps.db.query(
      `SELECT action, username FROM audit_log WHERE object_type = 'incident' AND object_id = $1 ORDER BY id`,
      [incident.id],
    );
    expect(rows).toEqual([
      { action: 'create', username: 'admin' },
      { action: 'update', username: 'admin' },
      { action: 'delete', username: 'admin' },
    ]);
  });
});

describe('incident lists', () => {
  it('filters by type, status, place, time and title, newest first', async () => {
    const base = Date.now() - 10 * HOUR;
    const at = (h: number) => new Date(base + h * HOUR).toISOString();
    await record({ type: 'fire', title: '列表 一', occurredAt: at(1), districtId: d.vA });
    await record({ type: 'fire', title: '列表 二', occurredAt: at(2), districtId: d.vB, status: 'closed' });
    await record({ type: 'dispute', title: '列表 三', occurredAt: at(3), districtId: d.siteB });
    const titles = async (query: string) =>
      (await call('GET', `/incidents?q=${encodeURIComponent('列表')}&${query}`, bureau))
        .json()
        .items.map((i: { title: string }) => i.title);
    expect(await titles('')).toEqual(['列表 三', '列表 二', '列表 一']);
    expect(await titles('type=fire')).toEqual(['列表 二', '列表 一']);
    expect(await titles('status=closed')).toEqual(['列表 二']);
    expect(await titles(`under=${d.pdB}`)).toEqual(['列表 三', '列表 二']);
    expect(await titles(`from=${encodeURIComponent(at(2))}`)).toEqual(['列表 三', '列表 二']);
    expect(await titles(`to=${encodeURIComponent(at(2))}`)).toEqual(['列表 一']);
    const page = (
      await call('GET', `/incidents?q=${encodeURIComponent('列表')}&limit=1&offset=1`, bureau)
    ).json();
    expect(page).toMatchObject({ total: 3, limit: 1, offset: 1 });
    expect(page.items.map((i: { title: string }) => i.title)).toEqual(['列表 二']);
    expect400(await call('GET', '/incidents?overdue=maybe', bureau), 'overdue');
  });
});

describe('incidents: roles and scopes', () => {
  it('lets a duty user record in its own district only', async () => {
    const mine = await record(
      { title: '值班 甲', districtId: d.siteA, cameraIds: [cam.a1], reportedByStaffId: staff.a },
      dutyA,
    );
    expect(mine.districtId).toBe(d.siteA);
    const post = (extra: object) =>
      call('POST', '/incidents', dutyA, {
        type: 'other',
        title: 'x',
        occurredAt: ago(MINUTE),
        districtId: d.vA,
        ...extra,
      });
    expect400(await post({ districtId: d.pdB }), 'districtId');
    expect400(await post({ cameraIds: [cam.a1, cam.b1] }), 'cameraIds.1');
    expect400(await post({ reportedByStaffId: staff.b }), 'reportedByStaffId');
    expect400(await call('PATCH', `/incidents/${mine.id}`, dutyA, { districtId: d.vB }), 'districtId');
    const patched = await call('PATCH', `/incidents/${mine.id}`, dutyA, { status: 'reported' });
    expect(patched.statusCode).toBe(200);
  });

  it('gives a duty user 404 for district B incidents and hides them from lists', async () => {
    const theirs = await record({ title: '值班 乙', districtId: d.vB });
    expect((await call('GET', `/incidents/${theirs.id}`, dutyA)).statusCode).toBe(404);
    expect((await call('PATCH', `/incidents/${theirs.id}`, dutyA, { title: 'x' })).statusCode).toBe(404);
    expect((await call('DELETE', `/incidents/${theirs.id}`, dutyA)).statusCode).toBe(404);
    expect((await call('GET', `/incidents/${theirs.id}`, admin)).json().title).toBe('值班 乙');
    const list = (await call('GET', '/incidents?limit=500', dutyA)).json();
    expect(list.total).toBeGreaterThan(0);
    const places = new Set([d.pdA, d.vA, d.siteA]);
    expect(list.items.every((i: { districtId: string }) => places.has(i.districtId))).toBe(true);
  });

  it('lets bureau read everything and write nothing', async () => {
    const list = (await call('GET', '/incidents?limit=500', bureau)).json();
    const places = new Set(list.items.map((i: { districtId: string }) => i.districtId));
    expect(places.has(d.vA) && places.has(d.vB)).toBe(true);
    expect(list.total).toBe(await count('incidents'));
    const res = await call('POST', '/incidents', bureau, {
      type: 'other',
      title: 'x',
      occurredAt: ago(MINUTE),
      districtId: d.vA,
    });
    expect(res.statusCode).toBe(403);
  });

  it('gives a contractor 403', async () => {
    expect((await call('GET', '/incidents', contractor)).statusCode).toBe(403);
    const any = (await call('GET', '/incidents?limit=1', admin)).json().items[0];
    expect((await call('GET', `/incidents/${any.id}`, contractor)).statusCode).toBe(403);
  });
});
