import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUser } from '../../src/auth/users.js';
import { login, startTestApi, type TestApi } from '../support/harness.js';

let api: TestApi;
let admin: { authorization: string };

beforeAll(async () => {
  api = await startTestApi();
  await createUser(api.deps.db, null, {
    username: 'admin',
    displayName: 'Admin',
    role: 'admin',
    password: 'admin-password-1',
  });
  admin = await login(api.app, 'admin', 'admin-password-1');
});
afterAll(() => api.close());

describe('district tree API', () => {
  it('builds county → town → police district and lists a subtree', async () => {
    const post = (payload: object) =>
      api.app.inject({ method: 'POST', url: '/api/v1/districts', headers: admin, payload });
    const county = await post({ kind: 'county', name: '彭阳县', code: '640425' });
    expect(county.statusCode).toBe(201);
    const town = await post({ kind: 'town', name: '白阳镇', code: '640425100', parentId: county.json().id });
    expect(town.statusCode).toBe(201);
    const pd = await post({
      kind: 'police_district',
      name: '白阳一警务区',
      code: 'PD-BY-1',
      parentId: town.json().id,
    });
    expect(pd.json().ancestorIds).toEqual([county.json().id, town.json().id, pd.json().id]);
    const list = await api.app.inject({
      url: `/api/v1/districts?under=${town.json().id}`,
      headers: admin,
    });
    expect(list.json().items.map((d: { name: string }) => d.name)).toEqual(['白阳镇', '白阳一警务区']);
  });

  it('rejects a village directly under the county, naming parentId', async () => {
    const list = await api.app.inject({ url: '/api/v1/districts?kind=county', headers: admin });
    const res = await api.app.inject({
      method: 'POST',
      url: '/api/v1/districts',
      headers: admin,
      payload: { kind: 'village', name: '某村', code: 'V-1', parentId: list.json().items[0].id },
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().field).toBe('parentId');
  });
});
