import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { inject } from 'vitest';
import { type Role, systemPrincipal } from '../../src/auth/policy.js';
import { createUser } from '../../src/auth/users.js';
import { type Config, loadConfig } from '../../src/config.js';
import { createDistrict, type DistrictInput } from '../../src/governance/districts.js';
import { type App, buildApp } from '../../src/http/app.js';
import type { Deps } from '../../src/http/deps.js';
import { closeDeps, createDeps } from '../../src/http/server.js';

/** A database of this run, cloned from the migrated template. Dropped by the global teardown. */
export async function freshDatabase(): Promise<string> {
  const name = `${inject('runId')}_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: inject('adminDatabaseUrl') });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name} TEMPLATE ${inject('templateDatabase')}`);
  } finally {
    await admin.end();
  }
  const url = new URL(inject('adminDatabaseUrl'));
  url.pathname = `/${name}`;
  return url.toString();
}

export function testConfig(databaseUrl: string, overrides: Record<string, string> = {}): Config {
  return loadConfig({
    NODE_ENV: 'test',
    DATABASE_URL: databaseUrl,
    REDIS_URL: inject('redisUrl'),
    XUELIANG_REDIS_PREFIX: `${inject('runId')}:${randomBytes(3).toString('hex')}:`,
    XUELIANG_MIGRATE_ON_START: 'false',
    XUELIANG_HTTP_PORT: '0',
    // two test APIs of one process must not share leases and audit rows under the default (host, pid) name
    XUELIANG_INSTANCE_ID: `test-api-${randomBytes(4).toString('hex')}`,
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    // lets parallel work test its own console build (`XUELIANG_CONSOLE_DIR=… npm test`)
    ...(process.env.XUELIANG_CONSOLE_DIR ? { XUELIANG_CONSOLE_DIR: process.env.XUELIANG_CONSOLE_DIR } : {}),
    ...overrides,
  });
}

export interface TestApi {
  app: App;
  deps: Deps;
  config: Config;
  close: () => Promise<void>;
}

/** The real API over a fresh database and Redis prefix; `listen` for socket tests, else use app.inject. */
export async function startTestApi(
  opts: {
    databaseUrl?: string;
    env?: Record<string, string>;
    listen?: boolean;
    logStream?: NodeJS.WritableStream;
  } = {},
): Promise<TestApi> {
  const databaseUrl = opts.databaseUrl ?? (await freshDatabase());
  const config = testConfig(databaseUrl, opts.env);
  const deps = createDeps(config);
  await deps.revocations.start();
  await deps.alertFeed.start();
  await deps.relay.start();
  const app = await buildApp(deps, opts.logStream ? { logStream: opts.logStream } : {});
  if (opts.listen) deps.relay.listeningAt(await app.listen({ host: '127.0.0.1', port: 0 }));
  else await app.ready();
  return {
    app,
    deps,
    config,
    close: async () => {
      await app.close();
      await closeDeps(deps);
    },
  };
}

/** Logs in through the API and returns the bearer header to send. */
export async function login(
  app: App,
  username: string,
  password: string,
): Promise<{ authorization: string }> {
  const res = await app.inject({
    method: 'POST',
    url: '/api/v1/auth/login',
    payload: { username, password },
  });
  if (res.statusCode !== 200) throw new Error(`login ${username}: ${res.statusCode} ${res.body}`);
  return { authorization: `Bearer ${res.json().token}` };
}

export type AuthHeaders = { authorization: string };

/** A tree builder for tests: `node(key, input, parentKey)` creates a district and remembers its id under key. */
export function treeBuilder(api: TestApi) {
  const ids: Record<string, string> = {};
  const node = async (key: string, input: Omit<DistrictInput, 'parentId'>, parent?: string) => {
    const created = await createDistrict(api.deps.db, systemPrincipal, {
      ...input,
      parentId: parent ? ids[parent] : null,
    });
    ids[key] = created.id;
  };
  return { ids, node };
}

/** Creates a user through the repository and logs it in through the API. */
export async function userWithSession(
  api: TestApi,
  username: string,
  role: Role,
  extra: { scopeDistrictId?: string; contractorId?: string } = {},
): Promise<AuthHeaders> {
  const password = 'test-password-1';
  await createUser(api.deps.db, null, { username, displayName: username, role, password, ...extra });
  return login(api.app, username, password);
}
