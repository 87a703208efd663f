import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CredentialVault } from '../../src/cameras/credential-vault.js';
import { openCameraCredentials, resealCredentials } from '../../src/cameras/registry.js';
import { parseCredentialKeys } from '../../src/config.js';
import { buildCountyFixture, type CountyFixture, PASSWORD } from '../support/county-fixture.js';
import { login, startTestApi, type TestApi } from '../support/harness.js';

// A canary with the characters that URL encoding, JSON and shell quoting each treat specially.
const CANARY = 'Cn4ry:@/%20pa$$w"rd€';
const CANARY_USER = 'ops.admin@cam';
const FORMS = [CANARY, encodeURIComponent(CANARY), JSON.stringify(CANARY).slice(1, -1), 'Cn4ry'];

let api: TestApi;
let fx: CountyFixture;
let admin: { authorization: string };
const logged: string[] = [];

beforeAll(async () => {
  const logStream = new PassThrough();
  logStream.on('data', (chunk: Buffer) => logged.push(chunk.toString()));
  api = await startTestApi({ env: { LOG_LEVEL: 'trace' }, logStream });
  fx = await buildCountyFixture(api.deps.db);
  admin = await login(api.app, 'admin', PASSWORD);
});
afterAll(() => api.close());

function expectNoCanary(text: string, where: string) {
  for (const form of FORMS) expect(text, `${where} contains '${form}'`).not.toContain(form);
}

describe('camera credentials', () => {
  let cameraId: string;

  it('are accepted on create and never returned, listed, audited or logged', async () => {
    const bodies: string[] = [];
    const created = await api.app.inject({
      method: 'POST',
      url: '/api/v1/cameras',
      headers: admin,
      payload: {
        name: '十字路口东',
        siteId: fx.node.A1s,
        gbCode: '64042500001320009001',
        vendor: 'hikvision',
        rtspMainUrl: 'rtsp://10.64.1.20:554/Streaming/Channels/101',
        credentials: { username: CANARY_USER, password: CANARY },
      },
    });
    expect(created.statusCode).toBe(201);
    expect(created.json().hasCredentials).toBe(true);
    cameraId = created.json().id;
    bodies.push(created.body);
    bodies.push((await api.app.inject({ url: `/api/v1/cameras/${cameraId}`, headers: admin })).body);
    bodies.push((await api.app.inject({ url: '/api/v1/cameras?q=十字', headers: admin })).body);
    const patched = await api.app.inject({
      method: 'PATCH',
      url: `/api/v1/cameras/${cameraId}`,
      headers: admin,
      payload: { credentials: { username: CANARY_USER, password: `${CANARY}2` } },
    });
    expect(patched.statusCode).toBe(200);
    bodies.push(patched.body);
    bodies.push((await api.app.inject({ url: '/api/v1/audit?objectType=camera', headers: admin })).body);
    for (const body of bodies) expectNoCanary(body, 'a response');
    expect(logged.length).toBeGreaterThan(0);
    expectNoCanary(logged.join(''), 'the log');
  });

  it('a URL carrying credentials is refused without echoing them', async () => {
    const res = await api.app.inject({
      method: 'POST',
      url: '/api/v1/cameras',
      headers: admin,
      payload: {
        name: '带密码的地址',
        siteId: fx.node.A1s,
        gbCode: '64042500001320009002',
        rtspMainUrl: `rtsp://admin:${encodeURIComponent(CANARY)}@10.64.1.21/ch1`,
      },
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().field).toBe('rtspMainUrl');
    expectNoCanary(res.body, 'the error');
    expectNoCanary(logged.join(''), 'the log');
  });

  it('are unreadable in the table without the key, and open with it', async () => {
    const { rows } = await api.deps.db.query(
      'SELECT c.*::text AS row_text, encode(credential_cipher, $2) AS hex FROM cameras c WHERE id = $1',
      [cameraId, 'escape'],
    );
    expectNoCanary(rows[0].row_text, 'the row');
    expectNoCanary(rows[0].hex, 'the cipher');
    const opened = await openCameraCredentials(api.deps.db, api.deps.vault, cameraId);
    expect(opened).toEqual({ username: CANARY_USER, password: `${CANARY}2` });
  });

  it('survive a key rotation: re-sealed under the new key, then the old key can go', async () => {
    const newKey = { id: 'k2026', key: Buffer.alloc(32, 7) };
    const ring = [newKey, ...api.deps.config.credentialKeys];
    const count = await resealCredentials(api.deps.db, new CredentialVault(ring), 1);
    expect(count).toBe(1);
    const { rows } = await api.deps.db.query(
      'SELECT DISTINCT credential_key_id FROM cameras WHERE credential_key_id IS NOT NULL',
    );
    expect(rows).toEqual([{ credential_key_id: 'k2026' }]);
    const onlyNew = new CredentialVault([newKey]);
    expect((await openCameraCredentials(api.deps.db, onlyNew, cameraId))?.password).toBe(`${CANARY}2`);
    // the old key alone no longer opens them
    await expect(openCameraCredentials(api.deps.db, api.deps.vault, cameraId)).rejects.toThrow(
      /unknown key 'k2026'/,
    );
  });

  it('a sealed blob moved to another camera does not open', async () => {
    const vault = new CredentialVault(
      parseCredentialKeys('X', `a:${Buffer.alloc(32, 1).toString('base64')}`),
    );
    const sealed = vault.seal(fx.camera.A1, { username: 'u', password: CANARY });
    expect(() => vault.open(fx.camera.A2, sealed)).toThrow(/fail authentication/);
  });
});
