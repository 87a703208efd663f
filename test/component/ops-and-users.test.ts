import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCountyFixture, type CountyFixture, PASSWORD } from '../support/county-fixture.js';
import { freshDatabase, login, startTestApi, type TestApi } from '../support/harness.js';

let api: TestApi;
let fx: CountyFixture;
let admin: { authorization: string };

beforeAll(async () => {
  api = await startTestApi();
  fx = await buildCountyFixture(api.deps.db);
  admin = await login(api.app, 'admin', PASSWORD);
});
afterAll(() => api.close());

describe('operations endpoints', () => {
  it('/healthz answers without a session', async () => {
    const res = await api.app.inject({ url: '/healthz' });
    expect(res.json()).toEqual({ ok: true });
  });

  it('/readyz is green with Postgres, Redis and the queues up', async () => {
    const res = await api.app.inject({ url: '/readyz' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({
      ready: true,
      checks: { postgres: { ok: true }, redis: { ok: true }, queues: { ok: true } },
    });
  });

  it('/readyz is red, naming Redis, when Redis cannot be reached', async () => {
    // port 9 (discard) on loopback: nothing listens there
    const broken = await startTestApi({
      databaseUrl: await freshDatabase(),
      env: { REDIS_URL: 'redis://127.0.0.1:9', XUELIANG_DEPENDENCY_TIMEOUT_MS: '500' },
    });
    try {
      const res = await broken.app.inject({ url: '/readyz' });
      expect(res.statusCode).toBe(503);
      expect(res.json().checks.postgres.ok).toBe(true);
      expect(res.json().checks.redis.ok).toBe(false);
      expect(res.json().checks.queues.ok).toBe(false);
    } finally {
      await broken.close();
    }
  });

  it('/metrics exposes xueliang_* series with bounded route labels', async () => {
    await api.app.inject({ url: `/api/v1/cameras/${fx.camera.A1}`, headers: admin });
    const res = await api.app.inject({ url: '/metrics' });
    expect(res.headers['content-type']).toMatch(/text\/plain/);
    expect(res.body).toContain('xueliang_process_cpu_seconds_total');
    expect(res.body).toMatch(
      /xueliang_http_request_duration_seconds_count\{method="GET",route="\/api\/v1\/cameras\/:id",status_code="200"\} \d+/,
    );
    expect(res.body).not.toContain(fx.camera.A1);
  });

  it('/docs/json is the OpenAPI document of every route', async () => {
    const res = await api.app.inject({ url: '/docs/json' });
    const paths = Object.keys(res.json().paths);
    for (const p of [
      '/api/v1/cameras/{id}',
      '/api/v1/districts',
      '/api/v1/staff',
      '/api/v1/incidents',
      '/api/v1/contracts',
    ]) {
      expect(paths).toContain(p);
    }
  });
});

describe('user management', () => {
  const create = (payload: object) =>
    api.app.inject({ method: 'POST', url: '/api/v1/users', headers: admin, payload });
  const base = { username: 'new.user', displayName: '新用户', password: 'long-enough-pw' };

  it.each([
    [{ role: 'duty' }, 'scopeDistrictId', /required for a duty user/],
    [{ role: 'duty', scopeDistrictId: 'A1s' }, 'scopeDistrictId', /must be a county or town/],
    [{ role: 'contractor' }, 'contractorId', /required for a contractor user/],
    [{ role: 'bureau', contractorId: 'K1' }, 'contractorId', /only contractor users/],
    [{ role: 'bureau', scopeDistrictId: 'A1' }, 'scopeDistrictId', /only duty users/],
    [{ role: 'bureau', password: 'short' }, 'password', /at least 10/],
    [{ role: 'bureau', username: 'Has Space' }, 'username', /pattern/],
    [{ role: 'chief' }, 'role', /./],
  ])('%o → 400 naming %s', async (over, field, message) => {
    const resolved = Object.fromEntries(
      Object.entries(over).map(([k, v]) => [
        k,
        k === 'scopeDistrictId' ? fx.node[v as 'A1'] : k === 'contractorId' ? fx.contractor.K1 : v,
      ]),
    );
    const res = await create({ ...base, ...resolved });
    expect(res.statusCode).toBe(400);
    expect(res.json().field).toBe(field);
    expect(res.json().message).toMatch(message);
  });

  it('a taken user name → 409; a police-station user sees the whole town', async () => {
    expect((await create({ ...base, username: 'bureau', role: 'bureau' })).statusCode).toBe(409);
    const station = await create({
      ...base,
      username: 'station-a',
      role: 'duty',
      scopeDistrictId: fx.node.A,
    });
    expect(station.statusCode).toBe(201);
    expect(station.json()).not.toHaveProperty('passwordHash');
    expect(station.body).not.toContain('argon2');
    const headers = await login(api.app, 'station-a', base.password);
    const cams = await api.app.inject({ url: '/api/v1/cameras', headers });
    expect(
      cams
        .json()
        .items.map((c: { id: string }) => c.id)
        .sort(),
    ).toEqual([fx.camera.A1, fx.camera.A2].sort());
  });

  it('moving a duty user to another district ends its sessions', async () => {
    const headers = await login(api.app, 'dutya', PASSWORD);
    const res = await api.app.inject({
      method: 'PATCH',
      url: `/api/v1/users/${fx.user.dutyA}`,
      headers: admin,
      payload: { scopeDistrictId: fx.node.B },
    });
    expect(res.statusCode).toBe(200);
    expect((await api.app.inject({ url: '/api/v1/auth/me', headers })).statusCode).toBe(401);
    const fresh = await login(api.app, 'dutya', PASSWORD);
    const cams = await api.app.inject({ url: '/api/v1/cameras', headers: fresh });
    expect(cams.json().items.map((c: { id: string }) => c.id)).toEqual([fx.camera.B1]);
  });

  it('an admin cannot disable themselves', async () => {
    const res = await api.app.inject({
      method: 'PATCH',
      url: `/api/v1/users/${fx.user.admin}`,
      headers: admin,
      payload: { disabled: true },
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().field).toBe('disabled');
  });
});
