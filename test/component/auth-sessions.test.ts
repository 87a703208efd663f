import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { buildCountyFixture, type CountyFixture, PASSWORD } from '../support/county-fixture.js';
import { freshDatabase, login, startTestApi, type TestApi } from '../support/harness.js';

let api: TestApi;
let second: TestApi;
let fx: CountyFixture;

beforeAll(async () => {
  const databaseUrl = await freshDatabase();
  // two API instances over one database and Redis prefix, as when the county scales out
  api = await startTestApi({ databaseUrl, listen: true, env: { XUELIANG_LOGIN_MAX_ATTEMPTS: '5' } });
  second = await startTestApi({
    databaseUrl,
    listen: true,
    env: { XUELIANG_REDIS_PREFIX: api.config.redisPrefix, XUELIANG_LOGIN_MAX_ATTEMPTS: '5' },
  });
  fx = await buildCountyFixture(api.deps.db);
});
afterAll(async () => {
  await second.close();
  await api.close();
});

const me = (app: TestApi, headers: Record<string, string>) =>
  app.app.inject({ url: '/api/v1/auth/me', headers });

function openLive(target: TestApi, headers: { authorization: string }): Promise<WebSocket> {
  const address = target.app.server.address() as { port: number };
  const ws = new WebSocket(`ws://127.0.0.1:${address.port}/api/v1/live`, { headers });
  return new Promise((resolve, reject) => {
    ws.once('message', () => resolve(ws));
    ws.once('error', reject);
  });
}

function closed(ws: WebSocket): Promise<{ code: number; reason: string }> {
  return new Promise((resolve) =>
    ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })),
  );
}

describe('log-in and sessions', () => {
  it('a wrong password and an unknown user get the same 401', async () => {
    const wrong = await api.app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { username: 'bureau', password: 'not-the-password' },
    });
    const unknown = await api.app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { username: 'nobody', password: 'not-the-password' },
    });
    expect([wrong.statusCode, unknown.statusCode]).toEqual([401, 401]);
    expect(wrong.json().message).toBe(unknown.json().message);
  });

  it('a token works on every instance and stops working after log-out', async () => {
    const headers = await login(api.app, 'bureau', PASSWORD);
    expect((await me(second, headers)).json().username).toBe('bureau');
    expect((await api.app.inject({ method: 'POST', url: '/api/v1/auth/logout', headers })).statusCode).toBe(
      204,
    );
    expect((await me(second, headers)).statusCode).toBe(401);
  });

  it('log-in is rate-limited per address and user name, across instances', async () => {
    const attempt = (app: TestApi) =>
      app.app.inject({
        method: 'POST',
        url: '/api/v1/auth/login',
        payload: { username: 'dutya', password: 'guess-guess' },
      });
    const codes: number[] = [];
    for (let i = 0; i < 4; i++) codes.push((await attempt(api)).statusCode);
    for (let i = 0; i < 3; i++) codes.push((await attempt(second)).statusCode);
    expect(codes).toEqual([401, 401, 401, 401, 401, 429, 429]);
    // another user from the same address is not locked out
    expect((await login(api.app, 'dutya1', PASSWORD)).authorization).toMatch(/^Bearer /);
  });

  it('disabling a user refuses its token and closes its sockets on every instance', async () => {
    const admin = await login(api.app, 'admin', PASSWORD);
    const duty = await login(api.app, 'dutya1', PASSWORD);
    const socketHere = await openLive(api, duty);
    const socketThere = await openLive(second, duty);
    const both = Promise.all([closed(socketHere), closed(socketThere)]);
    const res = await api.app.inject({
      method: 'PATCH',
      url: `/api/v1/users/${fx.user.dutyA1}`,
      headers: admin,
      payload: { disabled: true },
    });
    expect(res.statusCode).toBe(200);
    const [here, there] = await both;
    expect([here.code, there.code]).toEqual([4401, 4401]);
    expect((await me(api, duty)).statusCode).toBe(401);
    const again = await api.app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { username: 'dutya1', password: PASSWORD },
    });
    expect(again.statusCode).toBe(401);
    const audit = await api.app.inject({
      url: `/api/v1/audit?objectId=${fx.user.dutyA1}&action=disable`,
      headers: admin,
    });
    expect(audit.json().items[0]).toMatchObject({ username: 'admin', action: 'disable', objectType: 'user' });
  });

  it('changing one’s password ends every earlier session', async () => {
    const old1 = await login(api.app, 'contractork1', PASSWORD);
    const old2 = await login(second.app, 'contractork1', PASSWORD);
    const weak = await api.app.inject({
      method: 'POST',
      url: '/api/v1/auth/password',
      headers: old1,
      payload: { currentPassword: PASSWORD, newPassword: 'short' },
    });
    expect(weak.statusCode).toBe(400);
    expect(weak.json().field).toBe('newPassword');
    const ok = await api.app.inject({
      method: 'POST',
      url: '/api/v1/auth/password',
      headers: old1,
      payload: { currentPassword: PASSWORD, newPassword: 'a-much-longer-password' },
    });
    expect(ok.statusCode).toBe(204);
    expect((await me(api, old1)).statusCode).toBe(401);
    expect((await me(second, old2)).statusCode).toBe(401);
    expect((await login(api.app, 'contractork1', 'a-much-longer-password')).authorization).toMatch(
      /^Bearer /,
    );
  });

  it('a socket without a session is closed at once', async () => {
    const address = api.app.server.address() as { port: number };
    const ws = new WebSocket(`ws://127.0.0.1:${address.port}/api/v1/live`);
    expect((await closed(ws)).code).toBe(4401);
  });
});
