import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BRANCHES,
  type Branch,
  buildCountyFixture,
  type CountyFixture,
  FIXTURE_USERS,
  type FixtureUser,
  NODES,
  type NodeName,
  PASSWORD,
} from '../support/county-fixture.js';
import { login, startTestApi, type TestApi } from '../support/harness.js';

/**
 * Every role × every object route × an object inside and outside its scope, for reads, list filters and writes.
 * Out of scope answers 404 (indistinguishable from unknown), a resource the role may not touch at all 403.
 */
let api: TestApi;
let fx: CountyFixture;
const auth = {} as Record<FixtureUser, { authorization: string }>;

beforeAll(async () => {
  api = await startTestApi();
  fx = await buildCountyFixture(api.deps.db);
  for (const u of FIXTURE_USERS) auth[u] = await login(api.app, u.toLowerCase(), PASSWORD);
});
afterAll(() => api.close());

type Visible = 'forbidden' | readonly string[];

const ALL_NODES = NODES;
const subtreeA1: NodeName[] = ['A1', 'A1v', 'A1s'];
const subtreeA: NodeName[] = ['A', 'A1', 'A2', 'A1v', 'A2v', 'A1s', 'A2s'];
const branchesA: Branch[] = ['A1', 'A2'];

interface Resource {
  path: string;
  /** every object of the fixture, by name */
  objects: () => Record<string, string>;
  visible: Record<FixtureUser, Visible>;
  patch: object;
  /** roles that may write objects they can see */
  writers: FixtureUser[];
}

const perBranch = (pick: (f: CountyFixture) => Record<Branch, string>) => () => pick(fx);
const placeVisibility = (all: readonly string[], a1: readonly string[], a: readonly string[]) => ({
  admin: all,
  bureau: all,
  dutyA1: a1,
  dutyA: a,
  contractorK1: 'forbidden' as const,
});
const contractorVisibility = {
  admin: ['K1', 'K2'],
  bureau: ['K1', 'K2'],
  dutyA1: 'forbidden',
  dutyA: 'forbidden',
  contractorK1: ['K1'],
} as const;

const RESOURCES: Resource[] = [
  {
    path: 'districts',
    objects: () => fx.node,
    visible: placeVisibility(ALL_NODES, subtreeA1, subtreeA),
    patch: { lat: 35.9 },
    writers: ['admin'],
  },
  {
    path: 'cameras',
    objects: perBranch((f) => f.camera),
    visible: { ...placeVisibility(BRANCHES, ['A1'], branchesA), contractorK1: branchesA },
    patch: { model: 'DS-2CD' },
    writers: ['admin'],
  },
  {
    path: 'police-offices',
    objects: perBranch((f) => f.office),
    visible: placeVisibility(BRANCHES, ['A1'], branchesA),
    patch: { phone: '0954-7012345' },
    writers: ['admin'],
  },
  {
    path: 'staff',
    objects: perBranch((f) => f.officer),
    visible: placeVisibility(BRANCHES, ['A1'], branchesA),
    patch: { phone: '13800000000' },
    writers: ['admin'],
  },
  {
    path: 'incidents',
    objects: perBranch((f) => f.incident),
    visible: placeVisibility(BRANCHES, ['A1'], branchesA),
    patch: { description: '已处置' },
    writers: ['admin', 'dutyA1', 'dutyA'],
  },
  {
    path: 'contractors',
    objects: () => fx.contractor,
    visible: contractorVisibility,
    patch: { phone: '0954-7000000' },
    writers: ['admin'],
  },
  {
    path: 'contracts',
    objects: () => fx.contract,
    visible: contractorVisibility,
    patch: { slaHoursVillage: 48 },
    writers: ['admin'],
  },
  {
    path: 'users',
    objects: () => fx.user,
    visible: {
      admin: FIXTURE_USERS,
      bureau: 'forbidden',
      dutyA1: 'forbidden',
      dutyA: 'forbidden',
      contractorK1: 'forbidden',
    },
    patch: { displayName: '改名' },
    writers: ['admin'],
  },
];

function expectedRead(visible: Visible, name: string): number {
  if (visible === 'forbidden') return 403;
  return visible.includes(name) ? 200 : 404;
}

function expectedWrite(r: Resource, user: FixtureUser, name: string): number {
  const read = expectedRead(r.visible[user], name);
  if (read === 403) return 403;
  if (!r.writers.includes(user)) return 403;
  return read;
}

const cases = RESOURCES.flatMap((r) => FIXTURE_USERS.map((user) => ({ r, user })));

describe.each(cases)('$r.path as $user', ({ r, user }) => {
  it('GET by id: 200 inside scope, 404 outside, 403 for a forbidden resource', async () => {
    const results: Record<string, number> = {};
    const expected: Record<string, number> = {};
    for (const [name, id] of Object.entries(r.objects())) {
      const res = await api.app.inject({ url: `/api/v1/${r.path}/${id}`, headers: auth[user] });
      results[name] = res.statusCode;
      expected[name] = expectedRead(r.visible[user], name);
      if (res.statusCode === 200) expect(res.json().id).toBe(id);
    }
    expect(results).toEqual(expected);
  });

  it('list returns exactly the objects in scope', async () => {
    const res = await api.app.inject({ url: `/api/v1/${r.path}?limit=500`, headers: auth[user] });
    const visible = r.visible[user];
    if (visible === 'forbidden') {
      expect(res.statusCode).toBe(403);
      return;
    }
    expect(res.statusCode).toBe(200);
    const returned = new Set(res.json().items.map((o: { id: string }) => o.id));
    const seen = Object.entries(r.objects())
      .filter(([, id]) => returned.has(id))
      .map(([name]) => name);
    expect(seen.sort()).toEqual([...visible].sort());
    // nothing outside the fixture either (the database holds only the fixture)
    expect(returned.size).toBe(visible.length);
  });

  it('PATCH: only writers, only inside scope', async () => {
    const results: Record<string, number> = {};
    const expected: Record<string, number> = {};
    for (const [name, id] of Object.entries(r.objects())) {
      const res = await api.app.inject({
        method: 'PATCH',
        url: `/api/v1/${r.path}/${id}`,
        headers: auth[user],
        payload: r.patch,
      });
      results[name] = res.statusCode;
      expected[name] = expectedWrite(r, user, name);
    }
    expect(results).toEqual(expected);
  });
});

describe('ids that are not ids', () => {
  it.each(
    RESOURCES.flatMap((r) => ['__proto__', 'constructor', '1 OR 1=1'].map((id) => ({ path: r.path, id }))),
  )('GET /$path/$id → 400 naming the id', async ({ path, id }) => {
    const res = await api.app.inject({
      url: `/api/v1/${path}/${encodeURIComponent(id)}`,
      headers: auth.admin,
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().field).toBe('id');
  });

  it('a body with __proto__ is refused and changes nothing', async () => {
    const res = await api.app.inject({
      method: 'PATCH',
      url: `/api/v1/districts/${fx.node.A}`,
      headers: { ...auth.admin, 'content-type': 'application/json' },
      payload: '{"name":"改","__proto__":{"role":"admin"}}',
    });
    expect(res.statusCode).toBe(400);
    const after = await api.app.inject({ url: `/api/v1/districts/${fx.node.A}`, headers: auth.admin });
    expect(after.json().name).toBe('节点A');
  });
});

describe('without a session, or with the wrong role', () => {
  it.each(RESOURCES.map((r) => r.path))('GET /%s → 401', async (path) => {
    const res = await api.app.inject({ url: `/api/v1/${path}` });
    expect(res.statusCode).toBe(401);
  });

  // who you are is settled before what you sent: a stranger learns nothing from validation messages
  it.each(RESOURCES.map((r) => r.path))('POST /%s with a bad body → 401 without a session', async (path) => {
    const res = await api.app.inject({ method: 'POST', url: `/api/v1/${path}`, payload: { bogus: 1 } });
    expect(res.statusCode).toBe(401);
  });

  it.each(RESOURCES.map((r) => r.path))(
    'POST /%s with a bad body → 403 for a read-only role',
    async (path) => {
      const res = await api.app.inject({
        method: 'POST',
        url: `/api/v1/${path}`,
        headers: auth.bureau,
        payload: { bogus: 1 },
      });
      expect(res.statusCode).toBe(403);
    },
  );
});
