import { randomBytes } from 'node:crypto';
import { availableParallelism, loadavg } from 'node:os';
import pg from 'pg';
import { pino } from 'pino';
import { createPool, type Db } from '../src/db.js';
import { type Availability, sumAvailability } from '../src/health/availability.js';
import { cameraFigures, loadLedger } from '../src/health/availability-repo.js';
import { splitByLocalDays } from '../src/health/calendar.js';
import { nodeCameraFigures } from '../src/health/node-camera-figures.js';
import { cameraFiguresFast, type NodeFigures, nodeFigures } from '../src/health/node-figures.js';
import { rollupMissingDays } from '../src/health/rollup-repo.js';
import { migrate } from '../src/migrate.js';
import { buildSyntheticCounty } from './synthetic-ledger.js';

// Availability of a county of 10,000 cameras over a year, from the daily rollups: builds a database of its own
// (xlbench_<random>, dropped at the end, on failure too), a synthetic county with a year of ledger, rolls up
// every day, then times the figures of the county, the largest town, the largest police district and single
// cameras over the last 365 days, and checks them against the exact computation (loadLedger + cameraFigures).
const CAMERAS = Number(process.env.BENCH_CAMERAS ?? 10_000);
const DAYS = Number(process.env.BENCH_DAYS ?? 365);
const RUNS = 20;
const WARMUPS = 2;
const TIME_ZONE = 'Asia/Shanghai';
const ADMIN_URL =
  process.env.BENCH_DATABASE_ADMIN_URL ??
  process.env.TEST_DATABASE_ADMIN_URL ??
  'postgres://postgres@127.0.0.1:5432/postgres';

const log = (line: string) => console.log(line);
const seconds = (ms: number) => Number((ms / 1000).toFixed(1));
const round = (ms: number) => Number(ms.toFixed(2));

function percentile(samples: number[], p: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
}

async function timeRuns(run: (i: number) => Promise<unknown>): Promise<{ p50: number; p95: number }> {
  for (let i = 0; i < WARMUPS; i++) await run(-1 - i);
  const samples: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t = performance.now();
    await run(i);
    samples.push(performance.now() - t);
  }
  return { p50: round(percentile(samples, 50)), p95: round(percentile(samples, 95)) };
}

const name = `xlbench_${randomBytes(5).toString('hex')}`;
const admin = new pg.Client({ connectionString: ADMIN_URL });
await admin.connect();
const url = new URL(ADMIN_URL);
url.pathname = `/${name}`;
let pool: Db | null = null;
let dropped = false;
const drop = async () => {
  if (dropped) return;
  dropped = true;
  await pool?.end().catch(() => undefined);
  await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await admin.end();
};
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    drop().finally(() => process.exit(130));
  });
}

try {
  await admin.query(`CREATE DATABASE ${name}`);
  await migrate(url.toString());
  pool = createPool(url.toString(), pino({ level: 'silent' }), { statementTimeoutMs: 900_000 });
  const db = pool;
  const now = new Date();

  let t = performance.now();
  const county = await buildSyntheticCounty(db, {
    cameras: CAMERAS,
    days: DAYS,
    timeZone: TIME_ZONE,
    now,
    log,
  });
  await db.query('VACUUM ANALYZE');
  const buildMs = performance.now() - t;
  log(`build: ${seconds(buildMs)} s (${county.intervals} intervals, ${county.exclusions} exclusions)`);

  t = performance.now();
  const rolled = await rollupMissingDays(db, TIME_ZONE, now, 400);
  await db.query('VACUUM ANALYZE');
  const rollupMs = performance.now() - t;
  log(`rollup: ${rolled.length} days in ${seconds(rollupMs)} s`);
  const { rows: sizes } = await db.query<{ camera_rows: number; node_rows: number }>(
    `SELECT (SELECT count(*) FROM availability_camera_daily)::int AS camera_rows,
            (SELECT count(*) FROM availability_node_daily)::int AS node_rows`,
  );

  const town = [...county.towns].sort((a, b) => b.cameras - a.cameras)[0];
  const district = [...county.districts].sort((a, b) => b.cameras - a.cameras)[0];
  if (!town || !district) throw new Error('bench: no town or police district');
  const window = { from: new Date(now.getTime() - DAYS * 86_400_000), to: now };
  // the machine may be shared: what else was running shows in the load average
  const loadBefore = loadavg()[0] ?? 0;
  // the instant is that of the request, as in the route
  const figures = (nodeId: string) => () => nodeFigures(db, nodeId, window, new Date(), TIME_ZONE);
  const countyTimes = await timeRuns(figures(county.county));
  log(`county: ${JSON.stringify(countyTimes)}`);
  const townTimes = await timeRuns(figures(town.id));
  log(`town (${town.cameras} cameras): ${JSON.stringify(townTimes)}`);
  const districtTimes = await timeRuns(figures(district.id));
  log(`police district (${district.cameras} cameras): ${JSON.stringify(districtTimes)}`);
  const pickCamera = (i: number) =>
    county.cameraIds[(i * 7919 + 104_729) % county.cameraIds.length] as string;
  const cameraTimes = await timeRuns((i) =>
    cameraFiguresFast(db, pickCamera(i), window, new Date(), TIME_ZONE),
  );
  log(`camera: ${JSON.stringify(cameraTimes)}`);
  const gapDistrictTimes = await timeRuns(() =>
    nodeCameraFigures(db, district.id, window, new Date(), TIME_ZONE),
  );
  log(`gap, police district: ${JSON.stringify(gapDistrictTimes)}`);
  const loadAfter = loadavg()[0] ?? 0;
  const gapCountyStart = performance.now();
  await nodeCameraFigures(db, county.county, window, new Date(), TIME_ZONE);
  const gapCountyMs = performance.now() - gapCountyStart;
  log(`gap, county: ${round(gapCountyMs)} ms`);
  // the usual question of a monthly report: the county over its last 30 days
  const month = { from: new Date(window.to.getTime() - 30 * 86_400_000), to: window.to };
  const gapMonthStart = performance.now();
  await nodeCameraFigures(db, county.county, month, new Date(), TIME_ZONE);
  const gapCountyMonthMs = performance.now() - gapMonthStart;
  log(`gap, county, last 30 days: ${round(gapCountyMonthMs)} ms`);

  // the same figures, exactly, the way GET /availability computed them before the rollups
  const checkNow = new Date();
  const exact = async (nodeId: string, byDay: boolean): Promise<NodeFigures> => {
    const ledger = await loadLedger(db, nodeId, window);
    return {
      cameras: ledger.cameras.length,
      total: sumAvailability(cameraFigures(ledger, window, checkNow)),
      byDay: byDay
        ? splitByLocalDays(window, TIME_ZONE).map((p) => ({
            day: p.day,
            figures: sumAvailability(cameraFigures(ledger, p, checkNow)),
          }))
        : [],
    };
  };
  const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
  t = performance.now();
  const countyExact = await exact(county.county, false);
  const exactCountyMs = performance.now() - t;
  log(`exact county (ledger in memory): ${round(exactCountyMs)} ms`);
  const countyFast = await nodeFigures(db, county.county, window, checkNow, TIME_ZONE);
  const checks: Record<string, boolean> = {
    county: same(
      { c: countyFast.cameras, t: countyFast.total },
      { c: countyExact.cameras, t: countyExact.total },
    ),
    town: same(
      await nodeFigures(db, town.id, window, checkNow, TIME_ZONE).then((f) => ({ c: f.cameras, t: f.total })),
      await exact(town.id, false).then((f) => ({ c: f.cameras, t: f.total })),
    ),
    district: same(
      await nodeFigures(db, district.id, window, checkNow, TIME_ZONE),
      await exact(district.id, true),
    ),
  };
  let camerasSame = true;
  for (let i = 0; i < 20; i++) {
    const id = pickCamera(i);
    const { rows } = await db.query<{ site_id: string }>('SELECT site_id FROM cameras WHERE id = $1', [id]);
    const ledger = await loadLedger(db, rows[0]?.site_id ?? '', window);
    const f = cameraFigures(ledger, window, checkNow).find((c) => c.cameraId === id);
    const want: Availability = sumAvailability(f ? [f] : []);
    const got = await cameraFiguresFast(db, id, window, checkNow, TIME_ZONE);
    if (!same({ ...got.total }, { ...want })) camerasSame = false;
  }
  checks.cameras = camerasSame;
  log(`identical to the exact computation: ${JSON.stringify(checks)}`);

  console.log(
    JSON.stringify({
      bench: 'availability',
      cameras: county.cameraIds.length,
      days: DAYS,
      nodes: county.nodes,
      intervals: county.intervals,
      exclusions: county.exclusions,
      camera_daily_rows: sizes[0]?.camera_rows,
      node_daily_rows: sizes[0]?.node_rows,
      build_s: seconds(buildMs),
      rollup_s: seconds(rollupMs),
      rollup_days: rolled.length,
      rollup_day_ms: Math.round(rollupMs / Math.max(1, rolled.length)),
      town_cameras: town.cameras,
      district_cameras: district.cameras,
      county_p50_ms: countyTimes.p50,
      county_p95_ms: countyTimes.p95,
      town_p50_ms: townTimes.p50,
      town_p95_ms: townTimes.p95,
      district_p50_ms: districtTimes.p50,
      district_p95_ms: districtTimes.p95,
      camera_p50_ms: cameraTimes.p50,
      camera_p95_ms: cameraTimes.p95,
      gap_district_p95_ms: gapDistrictTimes.p95,
      gap_county_ms: round(gapCountyMs),
      gap_county_30_days_ms: round(gapCountyMonthMs),
      exact_county_ms: round(exactCountyMs),
      identical: Object.values(checks).every(Boolean),
      cpus: availableParallelism(),
      load_avg_1m: [Number(loadBefore.toFixed(2)), Number(loadAfter.toFixed(2))],
    }),
  );
} finally {
  await drop();
}
