import { type ChildProcess, spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { keepOutput } from '../support/child-output.js';
import { buildCountyFixture } from '../support/county-fixture.js';
import { startTestApi, type TestApi } from '../support/harness.js';
import { freePort } from '../support/private-redis.js';
import { ROOT, readRepoFile, repoPath } from './ops-support.js';

// Every PromQL expression of grafana/dashboards/ evaluated by a real Prometheus (/usr/bin/prometheus) that
// scrapes, on loopback, the real API (job xueliang-api) and a real probe worker process (job xueliang-workers,
// label worker="probe"). The fixture's cameras point at a closed loopback port, so the worker really probes
// them and they fail fast with a network outcome: the probe counters and histograms get series, the cameras
// get judged (so the rates exist), and no RTSP simulator or ffmpeg is needed. Each expression must come back
// without error and with data.

const PROMETHEUS = '/usr/bin/prometheus';
/** what Grafana's $__rate_interval becomes: several 1 s scrapes, and short enough for data to arrive soon */
const GRAFANA_VARIABLES: Record<string, string> = {
  $__rate_interval: '30s',
  $__interval: '15s',
  $__range: '1h',
};
/** how long the expressions have, all together, to return data once everything runs */
const DATA_DEADLINE_MS = 60_000;
const CLOSED_RTSP_URL = 'rtsp://127.0.0.1:9/stream';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// ---- the dashboards' expressions -----------------------------------------------------------------------------

interface Panel {
  title: string;
  targets?: { expr?: string; refId?: string }[];
  panels?: Panel[];
}

function dashboardExpressions(): { where: string; expr: string }[] {
  const files = readdirSync(repoPath('grafana/dashboards'))
    .filter((f) => f.endsWith('.json'))
    .sort();
  return files.flatMap((file) => {
    const dashboard = JSON.parse(readRepoFile(`grafana/dashboards/${file}`)) as { panels: Panel[] };
    const panels = dashboard.panels.flatMap((p) => [p, ...(p.panels ?? [])]);
    return panels.flatMap((panel) =>
      (panel.targets ?? [])
        .filter((t) => (t.expr ?? '').trim() !== '')
        .map((t) => ({
          where: `${file} › ${panel.title} › ${t.refId}`,
          expr: (t.expr ?? '').replace(
            /\$__rate_interval|\$__interval|\$__range/g,
            (v) => GRAFANA_VARIABLES[v] ?? v,
          ),
        })),
    );
  });
}

// ---- processes ---------------------------------------------------------------------------------------------

const exited = (child: ChildProcess) => child.exitCode !== null || child.signalCode !== null;

function groupAlive(pid: number): boolean {
  try {
    process.kill(-pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** SIGTERM to the child's process group (npx, tsx, node), then waits for all of it; SIGKILL after 15 s. */
async function stopGroup(child: ChildProcess | undefined): Promise<void> {
  const pid = child?.pid;
  if (!pid) return;
  try {
    process.kill(-pid, 'SIGTERM');
  } catch {
    return;
  }
  const deadline = Date.now() + 15_000;
  while (groupAlive(pid) && Date.now() < deadline) await sleep(100);
  if (groupAlive(pid)) {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {}
    while (groupAlive(pid)) await sleep(50);
  }
}

/** SIGTERM to one process and waits for it; SIGKILL after 10 s. */
async function stopProcess(child: ChildProcess | undefined): Promise<void> {
  if (!child || exited(child)) return;
  const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await gone;
  clearTimeout(timer);
}

/** Polls an HTTP URL until it answers 200; fails early when `child` exits. */
async function waitForOk(url: string, child: ChildProcess, timeoutMs: number, log: string[]): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer';
  while (Date.now() < deadline) {
    if (exited(child)) break;
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
      if (res.ok) return;
      last = `${res.status} ${await res.text()}`;
    } catch (err) {
      last = (err as Error).message;
    }
    await sleep(200);
  }
  throw new Error(`${url} not ready (${last}); output:\n${log.slice(-40).join('\n')}`);
}

// ---- the queries -----------------------------------------------------------------------------------------

type Verdict =
  | { kind: 'data'; series: number }
  | { kind: 'empty' }
  | { kind: 'nan' }
  | { kind: 'error'; message: string };

interface QueryAnswer {
  status: 'success' | 'error';
  errorType?: string;
  error?: string;
  data?: { resultType: string; result: unknown[] };
}

let promUrl = '';

/** One instant query at Prometheus' now. */
async function evaluate(expr: string): Promise<Verdict & { permanent?: boolean }> {
  let res: Response;
  try {
    res = await fetch(`${promUrl}/api/v1/query?query=${encodeURIComponent(expr)}`, {
      signal: AbortSignal.timeout(5000),
    });
  } catch (err) {
    return { kind: 'error', message: `request failed: ${(err as Error).message}` };
  }
  const text = await res.text();
  let answer: QueryAnswer;
  try {
    answer = JSON.parse(text) as QueryAnswer;
  } catch {
    return { kind: 'error', message: `HTTP ${res.status}: ${text.slice(0, 300)}` };
  }
  if (answer.status !== 'success') {
    // a query Prometheus cannot parse will not parse later either
    return {
      kind: 'error',
      message: `${answer.errorType}: ${answer.error}`,
      permanent: answer.errorType === 'bad_data',
    };
  }
  const { resultType, result } = answer.data ?? { resultType: 'none', result: [] };
  // a scalar is a single [time, value] pair, a vector a list of { metric, value: [time, value] }
  const values =
    resultType === 'scalar' || resultType === 'string'
      ? [String((result as unknown[])[1])]
      : (result as { value?: [number, string] }[]).map((s) => String(s.value?.[1]));
  if (values.length === 0) return { kind: 'empty' };
  // 0/0 or a quantile over no observations: a panel that shows nothing but NaN has no data either
  if (values.every((v) => v === 'NaN')) return { kind: 'nan' };
  return { kind: 'data', series: values.length };
}

/**
 * Evaluates every expression over and over until each has returned data (or an error Prometheus will repeat),
 * or the deadline passes; the last verdict of each.
 */
async function judgeAll(exprs: string[], timeoutMs: number): Promise<Map<string, Verdict>> {
  const verdicts = new Map<string, Verdict>();
  let pending = [...new Set(exprs)];
  const deadline = Date.now() + timeoutMs;
  while (pending.length > 0) {
    const round = await Promise.all(pending.map(async (expr) => [expr, await evaluate(expr)] as const));
    pending = [];
    for (const [expr, { permanent, ...verdict }] of round) {
      verdicts.set(expr, verdict);
      if (verdict.kind !== 'data' && !permanent) pending.push(expr);
    }
    if (pending.length === 0 || Date.now() >= deadline) break;
    await sleep(1000);
  }
  return verdicts;
}

/** One line per expression without data: the expression and its error, "empty" or "only NaN". */
function failuresOf(verdicts: Map<string, Verdict>, where: Map<string, string[]>): string[] {
  return [...verdicts]
    .filter(([, v]) => v.kind !== 'data')
    .map(([expr, v]) => {
      const why = v.kind === 'error' ? `error: ${v.message}` : v.kind === 'nan' ? 'only NaN' : 'empty';
      const places = where.get(expr)?.join('; ') ?? '(negative check)';
      return `${expr}\n    → ${why}\n    (${places})`;
    });
}

// ---- the running system ----------------------------------------------------------------------------------

let scratch: string | undefined;
let api: TestApi | undefined;
let worker: ChildProcess | undefined;
let prometheus: ChildProcess | undefined;
const workerLog: string[] = [];
const prometheusLog: string[] = [];
let apiTarget = '';
let workerTarget = '';

/** The scrape targets' health as Prometheus sees it, for failure messages. */
async function targetsReport(): Promise<string> {
  try {
    const res = await fetch(`${promUrl}/api/v1/targets`, { signal: AbortSignal.timeout(3000) });
    const body = (await res.json()) as {
      data: {
        activeTargets: { labels: Record<string, string>; health: string; lastError: string }[];
      };
    };
    return body.data.activeTargets
      .map((t) => `${t.labels.job} ${t.labels.instance}: ${t.health} ${t.lastError}`)
      .join('\n');
  } catch (err) {
    return `targets unavailable: ${(err as Error).message}`;
  }
}

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'xueliang-ops-promql-'));

  // the API on loopback, over a fresh database and Redis prefix, with the county's cameras probe-able
  api = await startTestApi({ listen: true });
  const fixture = await buildCountyFixture(api.deps.db);
  const { rowCount } = await api.deps.db.query(
    // commissioned_at defaults to the insert's now() and retired_at to null: probed from the first slot on
    'UPDATE cameras SET rtsp_main_url = $1 WHERE id = ANY($2::uuid[])',
    [CLOSED_RTSP_URL, Object.values(fixture.camera)],
  );
  expect(rowCount).toBe(3);
  apiTarget = `127.0.0.1:${(api.app.server.address() as AddressInfo).port}`;

  // a real probe worker process on the same database and Redis prefix
  const workerPort = await freePort();
  workerTarget = `127.0.0.1:${workerPort}`;
  worker = spawn('npx', ['tsx', 'workers/probe.ts'], {
    cwd: ROOT,
    env: {
      ...process.env, // keeps XUELIANG_TEST_RUN, the run marker
      NODE_ENV: 'test',
      LOG_LEVEL: 'warn',
      TMPDIR: scratch,
      DATABASE_URL: api.config.databaseUrl,
      REDIS_URL: api.config.redisUrl,
      XUELIANG_REDIS_PREFIX: api.config.redisPrefix,
      XUELIANG_HTTP_HOST: '127.0.0.1',
      XUELIANG_WORKER_METRICS_PORT: String(workerPort),
      XUELIANG_PROBE_INTERVAL_MS: '1000',
      XUELIANG_PROBE_SHARDS: '2',
      XUELIANG_PROBE_TIMEOUT_MS: '500',
      XUELIANG_PROBE_STREAM_WINDOW_MS: '300',
      XUELIANG_PROBE_LOCK_MS: '4000',
      // no ffmpeg: the picture layer never runs
      XUELIANG_PROBE_PICTURE_EVERY: '100000',
      XUELIANG_MAX_DECODERS: '0',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  keepOutput(worker, 'probe worker', workerLog);

  // Prometheus scraping both every second
  const promPort = await freePort();
  promUrl = `http://127.0.0.1:${promPort}`;
  const configFile = join(scratch, 'prometheus.yml');
  await writeFile(
    configFile,
    stringify({
      global: { scrape_interval: '1s', scrape_timeout: '1s', evaluation_interval: '1s' },
      scrape_configs: [
        { job_name: 'xueliang-api', metrics_path: '/metrics', static_configs: [{ targets: [apiTarget] }] },
        {
          job_name: 'xueliang-workers',
          metrics_path: '/metrics',
          // what the compose configuration's relabelling gives a worker-probe container
          static_configs: [{ targets: [workerTarget], labels: { worker: 'probe' } }],
        },
      ],
    }),
  );
  prometheus = spawn(
    PROMETHEUS,
    [
      `--config.file=${configFile}`,
      `--storage.tsdb.path=${join(scratch, 'tsdb')}`,
      `--web.listen-address=127.0.0.1:${promPort}`,
      '--log.level=warn',
    ],
    { cwd: scratch, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  keepOutput(prometheus, 'prometheus', prometheusLog);

  await waitForOk(`${promUrl}/-/ready`, prometheus, 20_000, prometheusLog);
  await waitForOk(`http://${workerTarget}/readyz`, worker, 40_000, workerLog);
}, 90_000);

afterAll(async () => {
  // every step runs, whichever failed before it; the first failure is thrown at the end
  const errors: unknown[] = [];
  const step = async (run: () => Promise<void>) => {
    try {
      await run();
    } catch (err) {
      errors.push(err);
    }
  };
  await step(() => stopProcess(prometheus));
  await step(() => stopGroup(worker));
  await step(async () => api?.close());
  await step(async () => {
    if (scratch) await rm(scratch, { recursive: true, force: true });
  });
  if (errors.length > 0) throw errors[0];
}, 60_000);

describe('the dashboards against a live Prometheus', () => {
  it('evaluates every expression without error and with data', async () => {
    const expressions = dashboardExpressions();
    expect(expressions.length).toBeGreaterThan(20);
    for (const { where, expr } of expressions) expect(expr, `${where}: a variable left`).not.toMatch(/\$/);
    const where = new Map<string, string[]>();
    for (const e of expressions) where.set(e.expr, [...(where.get(e.expr) ?? []), e.where]);

    const startedAt = Date.now();
    const verdicts = await judgeAll([...where.keys()], DATA_DEADLINE_MS);
    const failures = failuresOf(verdicts, where);
    console.log(
      `${verdicts.size} distinct expressions, ${verdicts.size - failures.length} with data after ${Date.now() - startedAt} ms`,
    );
    const tail = (lines: string[], n: number) => lines.slice(-n).join('\n') || '(nothing)';
    const context = failures.length
      ? `\n\ntargets:\n${await targetsReport()}\n\nprobe worker output (last lines):\n${tail(workerLog, 30)}` +
        `\n\nprometheus output (last lines):\n${tail(prometheusLog, 15)}`
      : '';
    expect(
      failures,
      `${failures.length} dashboard expression(s) without data:\n${failures.join('\n')}${context}`,
    ).toEqual([]);
  }, 90_000);

  it('would report an unknown metric as empty, 0/0 as NaN and a malformed expression as an error (the check can fail)', async () => {
    const unknown = 'sum by (layer) (rate(xueliang_probes_totl[30s]))';
    const nan = 'sum(up{job="xueliang-api"}) * 0 / 0';
    const malformed = 'sum by (layer) (rate(xueliang_probes_total[30s])';
    const verdicts = await judgeAll([unknown, nan, malformed, 'sum(up{job="xueliang-api"})'], 3000);
    expect(verdicts.get(unknown)).toEqual({ kind: 'empty' });
    expect(verdicts.get(nan)).toEqual({ kind: 'nan' });
    expect(verdicts.get(malformed)).toMatchObject({
      kind: 'error',
      message: expect.stringMatching(/^bad_data/),
    });
    expect(verdicts.get('sum(up{job="xueliang-api"})')).toEqual({ kind: 'data', series: 1 });
    const failures = failuresOf(verdicts, new Map());
    expect(failures).toHaveLength(3);
    expect(failures[0]).toContain(`${unknown}\n    → empty`);
    expect(failures[1]).toContain(`${nan}\n    → only NaN`);
    expect(failures[2]).toContain(`${malformed}\n    → error: bad_data`);
  }, 30_000);
});
