import { randomBytes } from 'node:crypto';
import { loadConfig } from '../src/config.js';
import { buildApp } from '../src/http/app.js';
import { closeDeps, createDeps } from '../src/http/server.js';
import { benchDatabase } from './lib/bench-db.js';
import { buildSyntheticCounty } from './synthetic-ledger.js';

// What a Prometheus scrape of the API costs for a county of 10,000 cameras: every gauge read from Postgres and
// Redis at scrape time (rates of the county, towns and police districts, cameras by state, alerts, tickets,
// queues). Builds a database of its own (dropped at the end), gives every camera a health state, opens 300
// alerts, then times GET /metrics through the real app. Prometheus scrapes every 15 s by default, so a scrape
// must stay far below that, and its series count must not grow with the number of cameras.
const CAMERAS = Number(process.env.BENCH_CAMERAS ?? 10_000);
const RUNS = 50;
const WARMUPS = 3;
const STATES: [string, string | null, number][] = [
  ['online', null, 0.9],
  ['degraded', 'picture:black', 0.03],
  ['degraded', 'compliance:clock_drift', 0.02],
  ['offline', 'network', 0.04],
  ['maintenance', 'maintenance', 0.01],
];

function percentile(samples: number[], p: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
}

const log = (line: string) => console.log(line);
const bench = await benchDatabase();
try {
  const config = loadConfig({
    NODE_ENV: 'test',
    DATABASE_URL: bench.url,
    XUELIANG_REDIS_PREFIX: `xlbench-metrics-${randomBytes(4).toString('hex')}:`,
    LOG_LEVEL: 'silent',
  });
  const deps = createDeps(config);
  try {
    const { db } = deps;
    const county = await buildSyntheticCounty(db, {
      cameras: CAMERAS,
      days: 1,
      timeZone: config.timeZone,
      now: new Date(),
    });
    // every camera in a state, by the shares above (deterministic: by position)
    const bounds: number[] = [];
    let acc = 0;
    for (const [, , share] of STATES) {
      acc += share;
      bounds.push(acc);
    }
    const stateOf = (i: number) =>
      STATES[bounds.findIndex((b) => i / county.cameraIds.length < b)] ?? STATES[0];
    const rows = county.cameraIds.map((id, i) => {
      const [state, reason] = stateOf(i) as [string, string | null, number];
      return { id, state, reason };
    });
    await db.query(
      `INSERT INTO camera_health (camera_id, state, reason, since, memory)
       SELECT r.id, r.state, r.reason, now(), '{}' FROM jsonb_to_recordset($1::jsonb) AS r(id uuid, state text, reason text)`,
      [JSON.stringify(rows)],
    );
    await db.query(
      `INSERT INTO alerts (kind, camera_id, place_id, cause, severity, status, opened_at)
       SELECT 'camera', c.id, c.site_id, 'offline', 'critical', 'open', now()
         FROM cameras c JOIN camera_health h ON h.camera_id = c.id WHERE h.state = 'offline' LIMIT 300`,
    );
    await db.query('VACUUM ANALYZE');
    log(
      `county: ${county.cameraIds.length} cameras, ${county.towns.length} towns, ${county.districts.length} police districts`,
    );

    const app = await buildApp(deps);
    const scrape = async () => {
      const res = await app.inject({ url: '/metrics' });
      if (res.statusCode !== 200) throw new Error(`/metrics answered ${res.statusCode}`);
      return res.body;
    };
    for (let i = 0; i < WARMUPS; i++) await scrape();
    const samples: number[] = [];
    let body = '';
    for (let i = 0; i < RUNS; i++) {
      const t = performance.now();
      body = await scrape();
      samples.push(performance.now() - t);
    }
    const series = body.split('\n').filter((l) => l.startsWith('xueliang_'));
    const readErrors = series.filter((l) => l.startsWith('xueliang_metrics_read_errors_total')).length;
    const county_ratio = series.find((l) => l.startsWith('xueliang_county_effective_ratio '));
    log(`county effective ratio: ${county_ratio}`);
    await app.close();
    console.log(
      JSON.stringify({
        bench: 'metrics',
        cameras: county.cameraIds.length,
        towns: county.towns.length,
        police_districts: county.districts.length,
        scrape_ms_p50: Number(percentile(samples, 50).toFixed(1)),
        scrape_ms_p95: Number(percentile(samples, 95).toFixed(1)),
        scrape_ms_max: Number(Math.max(...samples).toFixed(1)),
        series: series.length,
        kb_per_scrape: Math.round(Buffer.byteLength(body) / 1024),
        read_error_series: readErrors,
      }),
    );
  } finally {
    await closeDeps(deps);
  }
} finally {
  await bench.drop();
}
