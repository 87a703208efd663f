import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Role, systemPrincipal } from '../../src/auth/policy.js';
import { createDistrict } from '../../src/governance/districts.js';
import { localDate } from '../../src/governance/local-date.js';
import { startTestApi, type TestApi, treeBuilder, userWithSession } from '../support/harness.js';

type Headers = { authorization: string };

let api: TestApi;
let admin: Headers;
let bureau: Headers;
let dutyA: Headers;
let contractor: Headers;
let d: Record<string, string> = {};

let node: ReturnType<typeof treeBuilder>['node'];
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
  await node('t2', { kind: 'town', name: '古城镇', code: 'T2' }, 'county');
  for (const n of [1, 2, 3, 4]) {
    await node(`g${n}`, { kind: 'police_district', name: `古城${n}警务区`, code: `PD-G${n}` }, 't2');
  }
  await node('vG4', { kind: 'village', name: '古城四村', code: 'V-G4' }, 'g4');
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

/** Creates a staff member as admin, expecting success. */
async function hire(payload: Record<string, unknown>): Promise<Record<string, unknown> & { id: string }> {
  const res = await call('POST', '/staff', admin, { name: '某人', ...payload });
  expect(res.statusCode, res.body).toBe(201);
  return res.json();
}

async function expect400(res: { statusCode: number; json: () => { field?: string } }, field: string) {
  expect(res.statusCode).toBe(400);
  expect(res.json().field).toBe(field);
}

/** A birth date `years` years before today in the county calendar (28 Feb for a 29 Feb without a match). */
function bornYearsAgo(years: number): string {
  const today = localDate(new Date(), api.config.timeZone);
  const date = `${Number(today.slice(0, 4)) - years}${today.slice(4)}`;
  const valid = !Number.isNaN(Date.parse(date)) && new Date(date).toISOString().slice(0, 10) === date;
  return valid ? date : `${date.slice(0, 4)}-02-28`;
}

describe('police offices API', () => {
  it('creates, reads, lists, patches and deletes an office', async () => {
    const created = await call('POST', '/police-offices', admin, {
      districtId: d.pdA,
      name: '甲警务室',
      address: '甲村一号',
      phone: '0954-1234567',
      establishedYear: 2018,
    });
    expect(created.statusCode, created.body).toBe(201);
    const office = created.json();
    expect(office).toMatchObject({ districtId: d.pdA, name: '甲警务室', establishedYear: 2018 });
    expect(Object.keys(office).sort()).toEqual(
      ['address', 'createdAt', 'districtId', 'establishedYear', 'id', 'name', 'phone', 'updatedAt'].sort(),
    );
    const b = await call('POST', '/police-offices', admin, { districtId: d.pdB, name: '乙警务室' });
    expect(b.statusCode).toBe(201);
    expect(b.json()).toMatchObject({ address: null, phone: null, establishedYear: null });

    expect((await call('GET', `/police-offices/${office.id}`, bureau)).json().name).toBe('甲警务室');
    const list = await call('GET', `/police-offices?under=${d.t1}`, bureau);
    expect(list.json().items.map((o: { name: string }) => o.name)).toEqual(['甲警务室', '乙警务室']);
    expect(list.json().total).toBe(2);
    const q = await call('GET', '/police-offices?q=%E7%94%B2', bureau);
    expect(q.json().items.map((o: { id: string }) => o.id)).toEqual([office.id]);
    expect((await call('GET', `/police-offices?under=${d.t2}`, bureau)).json().total).toBe(0);

    const patched = await call('PATCH', `/police-offices/${office.id}`, admin, { phone: null, name: '甲室' });
    expect(patched.statusCode).toBe(200);
    expect(patched.json()).toMatchObject({ name: '甲室', phone: null, address: '甲村一号' });

    const g1 = await call('POST', '/police-offices', admin, { districtId: d.g1, name: '古城一室' });
    expect((await call('DELETE', `/police-offices/${g1.json().id}`, admin)).statusCode).toBe(204);
    expect((await call('GET', `/police-offices/${g1.json().id}`, admin)).statusCode).toBe(404);
  });

  it('wants a police district, one office each', async () => {
    await expect400(
      await call('POST', '/police-offices', admin, { districtId: d.vA, name: 'x' }),
      'districtId',
    );
    await expect400(
      await call('POST', '/police-offices', admin, { districtId: d.t1, name: 'x' }),
      'districtId',
    );
    await expect400(
      await call('POST', '/police-offices', admin, {
        districtId: '7d3c1f52-5a0e-4a57-9f39-2a0e0f1f0a11',
        name: 'x',
      }),
      'districtId',
    );
    const second = await call('POST', '/police-offices', admin, { districtId: d.pdA, name: '又一室' });
    expect(second.statusCode).toBe(409);
    expect(second.json().field).toBe('districtId');
    const b = (await call('GET', `/police-offices?under=${d.pdB}`, admin)).json().items[0];
    const move = await call('PATCH', `/police-offices/${b.id}`, admin, { districtId: d.pdA });
    expect(move.statusCode).toBe(409);
    expect(move.json().field).toBe('districtId');
  });

  it('validates ids, years and unknown fields by schema', async () => {
    expect((await call('GET', '/police-offices/__proto__', admin)).statusCode).toBe(400);
    await expect400(
      await call('POST', '/police-offices', admin, { districtId: d.g2, name: 'x', establishedYear: 1900 }),
      'establishedYear',
    );
    await expect400(
      await call('POST', '/police-offices', admin, { districtId: d.g2, name: 'x', boss: 1 }),
      'boss',
    );
    await expect400(await call('PATCH', `/police-offices/${d.pdA}`, admin, {}), '(body)');
  });
});

describe('staff API: the rules of 1+X+N', () => {
  let officerA: string;

  it('puts a community officer on a police district only', async () => {
    await expect400(
      await call('POST', '/staff', admin, { role: 'community_officer', name: 'x', districtId: d.vA }),
      'districtId',
    );
    const officer = await hire({
      role: 'community_officer',
      name: '张甲',
      districtId: d.pdA,
      phone: '13800000000',
    });
    officerA = officer.id;
    expect(officer).toMatchObject({
      active: true,
      supervisorId: null,
      birthDate: null,
      age: null,
      dueForReplacement: false,
    });
  });

  it('puts other staff on a police district or a village below it', async () => {
    for (const place of ['t1', 'county', 'siteA']) {
      await expect400(
        await call('POST', '/staff', admin, { role: 'grid_worker', name: 'x', districtId: d[place] }),
        'districtId',
      );
    }
    await hire({ role: 'grid_worker', districtId: d.vA, name: '网格员甲' });
    await hire({ role: 'police_assistant', districtId: d.pdA, name: '专干甲' });
  });

  it('refuses a second active community officer with 409 naming districtId', async () => {
    const res = await call('POST', '/staff', admin, {
      role: 'community_officer',
      name: '李',
      districtId: d.pdA,
    });
    expect(res.statusCode).toBe(409);
    expect(res.json().field).toBe('districtId');
    const retired = await hire({ role: 'community_officer', name: '老王', districtId: d.pdA, active: false });
    const back = await call('PATCH', `/staff/${retired.id}`, admin, { active: true });
    expect(back.statusCode).toBe(409);
    expect(back.json().field).toBe('districtId');
  });

  it('wants an active community officer of the same police district as supervisor of an auxiliary', async () => {
    const post = (extra: object) =>
      call('POST', '/staff', admin, { role: 'auxiliary_police', name: '辅警', ...extra });
    await expect400(await post({ districtId: d.pdA }), 'supervisorId');
    await expect400(
      await post({ districtId: d.pdA, supervisorId: '7d3c1f52-5a0e-4a57-9f39-2a0e0f1f0a11' }),
      'supervisorId',
    );
    const grid = (await call('GET', `/staff?role=grid_worker&districtId=${d.vA}`, admin)).json().items[0];
    await expect400(await post({ districtId: d.pdA, supervisorId: grid.id }), 'supervisorId');
    const retired = (await call('GET', '/staff?role=community_officer&active=false', admin)).json().items[0];
    await expect400(await post({ districtId: d.pdA, supervisorId: retired.id }), 'supervisorId');
    const officerB = await hire({ role: 'community_officer', name: '赵乙', districtId: d.pdB });
    await expect400(await post({ districtId: d.pdA, supervisorId: officerB.id }), 'supervisorId');
    await expect400(await post({ districtId: d.vB, supervisorId: officerA }), 'supervisorId');
    // on a village, the police district is the village's parent
    const aux = await hire({ role: 'auxiliary_police', districtId: d.vA, supervisorId: officerA });
    expect(aux.supervisorId).toBe(officerA);
    await hire({ role: 'auxiliary_police', districtId: d.vB, supervisorId: officerB.id });
    await expect400(await call('PATCH', `/staff/${aux.id}`, admin, { districtId: d.vB }), 'supervisorId');
  });

  it('gives a supervisor to auxiliary police only', async () => {
    await expect400(
      await call('POST', '/staff', admin, {
        role: 'grid_worker',
        name: 'x',
        districtId: d.vA,
        supervisorId: officerA,
      }),
      'supervisorId',
    );
    const aux = (await call('GET', `/staff?role=auxiliary_police&under=${d.pdA}`, admin)).json().items[0];
    await expect400(await call('PATCH', `/staff/${aux.id}`, admin, { role: 'grid_worker' }), 'supervisorId');
  });

  it('refuses a birth date in the future or malformed', async () => {
    const tomorrow = localDate(new Date(Date.now() + 86_400_000), api.config.timeZone);
    await expect400(
      await call('POST', '/staff', admin, {
        role: 'grid_worker',
        name: 'x',
        districtId: d.vA,
        birthDate: tomorrow,
      }),
      'birthDate',
    );
    await expect400(
      await call('POST', '/staff', admin, {
        role: 'grid_worker',
        name: 'x',
        districtId: d.vA,
        birthDate: '1990-13-01',
      }),
      'birthDate',
    );
    await expect400(
      await call('POST', '/staff', admin, { role: 'sheriff', name: 'x', districtId: d.vA }),
      'role',
    );
    await expect400(
      await call('POST', '/staff', admin, { role: 'grid_worker', name: 'x'.repeat(51), districtId: d.vA }),
      'name',
    );
    expect((await call('GET', '/staff/__proto__', admin)).statusCode).toBe(400);
  });

  it('computes age and dueForReplacement in the county calendar', async () => {
    const at61 = await hire({ role: 'police_assistant', districtId: d.vA, birthDate: bornYearsAgo(61) });
    expect(at61).toMatchObject({ age: 61, dueForReplacement: true });
    const at60 = await hire({ role: 'police_assistant', districtId: d.vA, birthDate: bornYearsAgo(60) });
    expect(at60).toMatchObject({ age: 60, dueForReplacement: false });
    const grid70 = await hire({ role: 'grid_worker', districtId: d.vA, birthDate: bornYearsAgo(70) });
    expect(grid70).toMatchObject({ age: 70, dueForReplacement: false });
    expect((await call('GET', `/staff/${at61.id}`, bureau)).json().dueForReplacement).toBe(true);
  });

  it('filters the list', async () => {
    const names = async (query: string) =>
      (await call('GET', `/staff?${query}`, admin)).json().items.map((s: { name: string }) => s.name);
    expect(await names(`districtId=${d.pdA}&role=community_officer`)).toEqual(['张甲', '老王']);
    expect(await names(`under=${d.pdA}&role=community_officer&active=true`)).toEqual(['张甲']);
    expect(await names(`under=${d.pdB}`)).toEqual(['赵乙', '某人']);
    expect(await names('q=%E7%BD%91%E6%A0%BC')).toEqual(['网格员甲']);
    const paged = (await call('GET', `/staff?under=${d.pdA}&limit=2&offset=1`, admin)).json();
    expect(paged).toMatchObject({ limit: 2, offset: 1 });
    expect(paged.items).toHaveLength(2);
  });

  it('keeps an officer with auxiliaries in place: 409 on delete, deactivation or move', async () => {
    const audits = async () =>
      (await api.deps.db.query<{ n: number }>('SELECT count(*) AS n FROM audit_log')).rows[0]?.n;
    const before = await audits();
    expect((await call('DELETE', `/staff/${officerA}`, admin)).statusCode).toBe(409);
    const off = await call('PATCH', `/staff/${officerA}`, admin, { active: false, name: '改名' });
    expect(off.statusCode).toBe(409);
    expect((await call('GET', `/staff/${officerA}`, admin)).json().name).toBe('张甲');
    expect(await audits()).toBe(before);

    const aux = (await call('GET', `/staff?role=auxiliary_police&under=${d.pdA}`, admin)).json().items;
    for (const a of aux) expect((await call('DELETE', `/staff/${a.id}`, admin)).statusCode).toBe(204);
    const renamed = await call('PATCH', `/staff/${officerA}`, admin, { name: '张甲甲' });
    expect(renamed.statusCode).toBe(200);
    const { rows } = await api.deps.db.query(
      `SELECT action FROM audit_log WHERE object_type = 'staff' AND object_id = $1 ORDER BY id`,
      [officerA],
    );
    expect(rows.map((r) => r.action)).toEqual(['create', 'update']);
  });
});

describe('staffing gaps', () => {
  it('finds a district without an officer, officers with 0 and 3 auxiliaries and an assistant over 60', async () => {
    const o2 = await hire({ role: 'community_officer', name: '二号', districtId: d.g2 });
    const o3 = await hire({ role: 'community_officer', name: '三号', districtId: d.g3 });
    for (let i = 0; i < 3; i++)
      await hire({ role: 'auxiliary_police', districtId: d.g3, supervisorId: o3.id });
    const o4 = await hire({ role: 'community_officer', name: '四号', districtId: d.g4 });
    for (let i = 0; i < 2; i++)
      await hire({ role: 'auxiliary_police', districtId: d.vG4, supervisorId: o4.id });
    const old = await hire({
      role: 'police_assistant',
      name: '老专干',
      districtId: d.vG4,
      birthDate: bornYearsAgo(61),
    });
    await hire({ role: 'police_assistant', districtId: d.vG4, birthDate: bornYearsAgo(60) });
    await hire({ role: 'police_assistant', districtId: d.g4, birthDate: bornYearsAgo(75), active: false });

    const res = await call('GET', `/staffing/gaps?under=${d.t2}`, bureau);
    expect(res.statusCode).toBe(200);
    expect(res.json().gaps).toEqual([
      { kind: 'no_community_officer', districtId: d.g1, districtName: '古城1警务区' },
      {
        kind: 'auxiliaries_out_of_range',
        districtId: d.g2,
        districtName: '古城2警务区',
        officerId: o2.id,
        officerName: '二号',
        auxiliaries: 0,
      },
      {
        kind: 'auxiliaries_out_of_range',
        districtId: d.g3,
        districtName: '古城3警务区',
        officerId: o3.id,
        officerName: '三号',
        auxiliaries: 3,
      },
      {
        kind: 'assistant_over_age',
        districtId: d.g4,
        districtName: '古城4警务区',
        staffId: old.id,
        staffName: '老专干',
        age: 61,
      },
    ]);
  });

  it('covers the caller scope only', async () => {
    const all = (await call('GET', '/staffing/gaps', bureau)).json().gaps;
    expect(new Set(all.map((g: { districtId: string }) => g.districtId))).toEqual(
      new Set([d.pdA, d.g1, d.g2, d.g3, d.g4]), // pdB: one officer, one auxiliary
    );
    const mine = (await call('GET', '/staffing/gaps', dutyA)).json().gaps;
    expect(mine.map((g: { kind: string; districtId: string }) => [g.kind, g.districtId])).toEqual([
      ['auxiliaries_out_of_range', d.pdA],
      ['assistant_over_age', d.pdA],
    ]);
    expect((await call('GET', `/staffing/gaps?under=${d.t2}`, dutyA)).json().gaps).toEqual([]);
  });
});

describe('staff and offices: roles and scopes', () => {
  it('gives a duty user of district A a 404 for district B and hides B from lists', async () => {
    const staffB = (await call('GET', `/staff?under=${d.pdB}`, admin)).json().items[0];
    const officeB = (await call('GET', `/police-offices?under=${d.pdB}`, admin)).json().items[0];
    expect((await call('GET', `/staff/${staffB.id}`, dutyA)).statusCode).toBe(404);
    expect((await call('GET', `/police-offices/${officeB.id}`, dutyA)).statusCode).toBe(404);
    const staff = (await call('GET', '/staff?limit=500', dutyA)).json();
    expect(staff.total).toBeGreaterThan(0);
    expect(staff.items.every((s: { districtId: string }) => [d.pdA, d.vA].includes(s.districtId))).toBe(true);
    const offices = (await call('GET', '/police-offices', dutyA)).json();
    expect(offices.items.map((o: { districtId: string }) => o.districtId)).toEqual([d.pdA]);
  });

  it('lets duty and bureau read but not write', async () => {
    const payload = { role: 'grid_worker', name: 'x', districtId: d.vA };
    expect((await call('POST', '/staff', dutyA, payload)).statusCode).toBe(403);
    expect((await call('POST', '/staff', bureau, payload)).statusCode).toBe(403);
    expect((await call('POST', '/police-offices', bureau, { districtId: d.g3, name: 'x' })).statusCode).toBe(
      403,
    );
    const all = (await call('GET', '/staff?limit=500', bureau)).json();
    const places = new Set(all.items.map((s: { districtId: string }) => s.districtId));
    expect(places.has(d.pdA) && places.has(d.vB) && places.has(d.g3)).toBe(true);
  });

  it('gives a contractor 403 on staff, offices and gaps', async () => {
    for (const url of ['/staff', '/police-offices', '/staffing/gaps']) {
      expect((await call('GET', url, contractor)).statusCode).toBe(403);
    }
  });

  it('lets only one of two racing officers in, the other gets 409 naming districtId', async () => {
    const race = await createDistrict(api.deps.db, systemPrincipal, {
      kind: 'police_district',
      name: '竞争警务区',
      code: 'PD-RACE',
      parentId: d.t1,
    });
    const post = (name: string) =>
      call('POST', '/staff', admin, { role: 'community_officer', name, districtId: race.id });
    const replies = await Promise.all([post('甲'), post('乙'), post('丙')]);
    expect(replies.map((r) => r.statusCode).sort()).toEqual([201, 409, 409]);
    for (const r of replies.filter((r) => r.statusCode === 409)) expect(r.json().field).toBe('districtId');
  });

  it('wants a session', async () => {
    expect((await api.app.inject({ url: '/api/v1/staff' })).statusCode).toBe(401);
  });
});
