import { randomBytes } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { Redis } from 'ioredis';
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { migrate } from '../../src/migrate.js';

const ADMIN_URL = process.env.TEST_DATABASE_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

declare module 'vitest' {
  export interface ProvidedContext {
    runId: string;
    templateDatabase: string;
    adminDatabaseUrl: string;
    redisUrl: string;
  }
}

function urlFor(database: string): string {
  const url = new URL(ADMIN_URL);
  url.pathname = `/${database}`;
  return url.toString();
}

/**
 * One run: a template database with every migration applied (each test file clones it), and a Redis key
 * prefix of its own. Everything the run made is dropped at the end.
 */
export default async function setup(project: TestProject) {
  const runId = `xlt_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
  const template = `${runId}_template`;
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  await admin.connect();
  await dropStaleRuns(admin);
  await admin.query(`CREATE DATABASE ${template}`);
  await migrate(urlFor(template));
  project.provide('runId', runId);
  project.provide('templateDatabase', template);
  project.provide('adminDatabaseUrl', ADMIN_URL);
  project.provide('redisUrl', REDIS_URL);

  // Inherited by the test workers and every ffmpeg they start: the teardown looks for this run's ffmpeg only,
  // never another run's or a benchmark's on the same machine.
  process.env[RUN_MARKER] = runId;
  const startedAt = await clockTicksSinceBoot();
  return async () => {
    const leftover = await ffmpegOfRun(runId, startedAt);
    for (const { pid } of leftover) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {}
    }
    const { rows } = await admin.query<{ datname: string }>(
      `SELECT datname FROM pg_database WHERE datname LIKE $1`,
      [`${runId}%`],
    );
    for (const { datname } of rows) await admin.query(`DROP DATABASE IF EXISTS ${datname} WITH (FORCE)`);
    await admin.end();
    const redis = new Redis(REDIS_URL);
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${runId}:*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) await redis.del(...keys);
    } while (cursor !== '0');
    await redis.quit();
    if (leftover.length > 0) {
      // a throw here is only logged by vitest: the exit code is what CI sees
      process.exitCode = 1;
      throw new Error(
        `ffmpeg left running by the suite: ${leftover.map((p) => `${p.pid} ${p.cmdline}`).join('; ')}`,
      );
    }
  };
}

const CLOCK_TICKS_PER_SECOND = 100;
const RUN_MARKER = 'XUELIANG_TEST_RUN';

async function clockTicksSinceBoot(): Promise<number> {
  const uptime = Number.parseFloat((await readFile('/proc/uptime', 'utf8')).split(' ')[0] ?? '0');
  return Math.floor(uptime * CLOCK_TICKS_PER_SECOND);
}

/** This run's ffmpeg processes still alive: started after `ticks` (clock ticks since boot), with its marker. */
async function ffmpegOfRun(runId: string, ticks: number): Promise<{ pid: number; cmdline: string }[]> {
  const found: { pid: number; cmdline: string }[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = await readFile(`/proc/${entry}/stat`, 'utf8').catch(() => '');
    // comm may hold spaces and parentheses: the fields after it start past the last ')'
    const after = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
    const state = after[0];
    const startTicks = Number(after[19]);
    if (comm !== 'ffmpeg' || state === 'Z' || !(startTicks >= ticks)) continue;
    const environ = await readFile(`/proc/${entry}/environ`, 'utf8').catch(() => '');
    if (!environ.split('\0').includes(`${RUN_MARKER}=${runId}`)) continue;
    const cmdline = (await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '')).replaceAll('\0', ' ');
    found.push({ pid: Number(entry), cmdline: cmdline.slice(0, 200) });
  }
  return found;
}

/** A run killed before its teardown leaves databases behind; runs older than three hours are dropped. */
async function dropStaleRuns(admin: pg.Client): Promise<void> {
  const { rows } = await admin.query<{ datname: string }>(
    "SELECT datname FROM pg_database WHERE datname LIKE 'xlt\\_%'",
  );
  for (const { datname } of rows) {
    const started = Number.parseInt(datname.split('_')[1] ?? '', 36);
    if (Number.isFinite(started) && Date.now() - started > 3 * 3_600_000) {
      await admin.query(`DROP DATABASE IF EXISTS ${datname} WITH (FORCE)`);
    }
  }
}
