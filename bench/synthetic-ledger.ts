import type { Db } from '../src/db.js';
import { addDays, localDayBounds } from '../src/health/calendar.js';
import type { HealthState } from '../src/health/types.js';
import { generatePengyang } from '../src/seed/pengyang.js';

/**
 * A synthetic county for the availability benchmark: the Pengyang tree (12 towns, 28 police districts, ~111
 * villages, ~232 sites, from the seed generator) with its cameras scaled up to `cameras`, and a year of state
 * intervals per camera with a realistic mix — mostly online; outages of minutes to days (a few cameras
 * flapping all year); picture faults and compliance faults; four county-wide monitoring gaps of our own;
 * maintenance windows (approved exclusions, the camera in 'maintenance'); a few power cuts over a police
 * district or a town (approved external causes, its cameras offline). Some cameras are commissioned during
 * the year and some retired. Deterministic for a seed. Rows go in with one INSERT … SELECT FROM unnest per
 * batch, intervals in time order as the ledger writes them.
 */

export interface SyntheticOptions {
  cameras: number;
  days: number;
  timeZone: string;
  now: Date;
  seed?: number;
  /** progress lines */
  log?: (line: string) => void;
}

export interface SyntheticCounty {
  county: string;
  towns: { id: string; cameras: number }[];
  districts: { id: string; cameras: number }[];
  cameraIds: string[];
  intervals: number;
  exclusions: number;
  nodes: number;
  /** the first instant of the history: local midnight `days` days before today */
  start: Date;
}

const HOUR = 3_600_000;
const DAY = 86_400_000;

/** mulberry32 */
function rng(seed: number) {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    between: (lo: number, hi: number) => lo + next() * (hi - lo),
    /** exponential with the given mean */
    exp: (mean: number) => -Math.log(1 - next()) * mean,
    pick: <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)] as T,
  };
}

const STATES: readonly HealthState[] = ['unknown', 'online', 'degraded', 'offline', 'maintenance'];
const REASONS: readonly (string | null)[] = [
  null,
  'network',
  'stream',
  'signalling',
  'auth_failure',
  'picture:black',
  'picture:frozen',
  'picture:blur',
  'picture:brightness',
  'picture:colour_cast',
  'picture:noise',
  'compliance:clock_drift',
  'compliance:osd_mismatch',
  'monitoring_gap',
  'maintenance',
];
const reasonIndex = (r: string | null) => REASONS.indexOf(r);
const stateIndex = (s: HealthState) => STATES.indexOf(s);

/** One camera's timeline: contiguous segments [t_k, t_k+1) with a state and reason each. */
interface Segment {
  from: number;
  to: number;
  state: number;
  reason: number;
}

/** Lays [from, to) with a state over a contiguous timeline, cutting what was there. */
function overlay(segments: Segment[], from: number, to: number, state: number, reason: number): Segment[] {
  const out: Segment[] = [];
  let placed = false;
  for (const s of segments) {
    if (s.to <= from || s.from >= to) {
      if (!placed && s.from >= to) {
        out.push({ from, to, state, reason });
        placed = true;
      }
      out.push(s);
      continue;
    }
    if (s.from < from) out.push({ ...s, to: from });
    if (!placed) {
      out.push({ from, to, state, reason });
      placed = true;
    }
    if (s.to > to) out.push({ ...s, from: to });
  }
  if (!placed) out.push({ from, to, state, reason });
  return out;
}

/** Consecutive segments in the same state and reason merged, as the ledger would have them. */
function merge(segments: Segment[]): Segment[] {
  const out: Segment[] = [];
  for (const s of segments) {
    const last = out[out.length - 1];
    if (last && last.state === s.state && last.reason === s.reason && last.to === s.from) last.to = s.to;
    else out.push({ ...s });
  }
  return out;
}

async function bulk(
  db: Db,
  sql: string,
  arrays: unknown[][],
  batch: number,
  onBatch?: (done: number) => void,
): Promise<void> {
  const n = arrays[0]?.length ?? 0;
  for (let i = 0; i < n; i += batch) {
    await db.query(
      sql,
      arrays.map((a) => a.slice(i, i + batch)),
    );
    onBatch?.(Math.min(n, i + batch));
  }
}

export async function buildSyntheticCounty(db: Db, opts: SyntheticOptions): Promise<SyntheticCounty> {
  const r = rng(opts.seed ?? 640425);
  const log = opts.log ?? (() => undefined);
  const now = opts.now.getTime();
  const today = new Intl.DateTimeFormat('en-CA', {
    timeZone: opts.timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
  }).format(opts.now);
  const start = localDayBounds(addDays(today, -opts.days), opts.timeZone).from.getTime();

  // --- the tree -----------------------------------------------------------------------------------------
  const seed = generatePengyang();
  const ids = new Map<string, string>();
  const levels = ['county', 'town|township', 'police_district', 'village|community', 'site'];
  for (const level of levels) {
    const rows = seed.districts.filter((d) => level.split('|').includes(d.kind));
    const { rows: created } = await db.query<{ id: string; code: string }>(
      `INSERT INTO districts (kind, name, code, parent_id, lat, lon)
       SELECT u.kind::district_kind, u.name, u.code, u.parent_id, u.lat, u.lon
         FROM unnest($1::text[], $2::text[], $3::text[], $4::uuid[], $5::float8[], $6::float8[])
           AS u(kind, name, code, parent_id, lat, lon)
       RETURNING id, code`,
      [
        rows.map((d) => d.kind),
        rows.map((d) => d.name),
        rows.map((d) => d.code),
        rows.map((d) => (d.parentCode === null ? null : (ids.get(d.parentCode) ?? null))),
        rows.map((d) => d.lat),
        rows.map((d) => d.lon),
      ],
    );
    for (const c of created) ids.set(c.code, c.id);
  }
  const sites = seed.districts.filter((d) => d.kind === 'site');
  const parentOf = new Map(seed.districts.map((d) => [d.code, d.parentCode]));
  const ancestorCodes = (code: string): string[] => {
    const out: string[] = [];
    for (let c: string | null | undefined = code; c; c = parentOf.get(c)) out.push(c);
    return out;
  };

  // --- cameras: spread over the sites, a site weighing 1 to 3 as in the seed ------------------------------
  const weights = sites.map(() => 1 + Math.floor(r.next() * 3));
  const totalWeight = weights.reduce((a, b) => a + b, 0);
  const cumulative: number[] = [];
  weights.reduce((sum, w, i) => {
    cumulative[i] = sum + w;
    return sum + w;
  }, 0);
  const siteOf = (x: number) => {
    const target = x * totalWeight;
    let lo = 0;
    let hi = cumulative.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((cumulative[mid] as number) > target) hi = mid;
      else lo = mid + 1;
    }
    return sites[lo] ?? (sites[0] as (typeof sites)[number]);
  };
  interface Cam {
    site: string;
    commissioned: number;
    retired: number | null;
  }
  const cams: Cam[] = [];
  for (let i = 0; i < opts.cameras; i++) {
    const roll = r.next();
    const commissioned =
      roll < 0.05
        ? Math.floor(r.between(start, now - DAY))
        : Math.floor(r.between(start - 5 * 365 * DAY, start));
    const retired = roll > 0.99 ? Math.floor(r.between(Math.max(commissioned, start) + DAY, now)) : null;
    cams.push({ site: siteOf(r.next()).code, commissioned, retired });
  }
  const siteCount = new Map<string, number>();
  const { rows: camRows } = await db.query<{ id: string }>(
    `INSERT INTO cameras (site_id, name, gb_code, commissioned_at, retired_at)
     SELECT u.site_id, u.name, u.gb_code, to_timestamp(u.c / 1000.0), to_timestamp(u.r / 1000.0)
       FROM unnest($1::uuid[], $2::text[], $3::text[], $4::float8[], $5::float8[]) WITH ORDINALITY
         AS u(site_id, name, gb_code, c, r, n)
      ORDER BY u.n
     RETURNING id`,
    [
      cams.map((c) => ids.get(c.site)),
      cams.map((c) => {
        const k = (siteCount.get(c.site) ?? 0) + 1;
        siteCount.set(c.site, k);
        const site = sites.find((s) => s.code === c.site);
        return `${site?.name ?? c.site}${k}号`;
      }),
      cams.map((_, i) => `6404250000132${String(i + 1).padStart(7, '0')}`),
      cams.map((c) => c.commissioned),
      cams.map((c) => c.retired),
    ],
  );
  const cameraIds = camRows.map((c) => c.id);
  log(`synthetic: ${seed.districts.length} nodes, ${cameraIds.length} cameras`);

  // --- exclusions on nodes: power cuts over a police district or a town ----------------------------------
  const pds = seed.districts.filter((d) => d.kind === 'police_district');
  const towns = seed.districts.filter((d) => d.kind === 'town' || d.kind === 'township');
  const powerCuts = Array.from({ length: 8 }, (_, k) => {
    const node = k < 2 ? r.pick(towns) : r.pick(pds);
    const from = Math.floor(r.between(start, now - DAY));
    return { code: node.code, from, to: from + Math.floor(r.between(2 * HOUR, 10 * HOUR)) };
  });
  // our own monitoring gaps: the probing down for everyone
  const gaps = Array.from({ length: 4 }, () => {
    const from = Math.floor(r.between(start, now - DAY));
    return { from, to: from + Math.floor(r.between(HOUR, 3 * HOUR)) };
  });

  // --- intervals, per camera ---------------------------------------------------------------------------
  const exCamera: number[] = [];
  const exFrom: number[] = [];
  const exTo: number[] = [];
  let camIdx = new Int32Array(1 << 21);
  let fromAt = new Float64Array(1 << 21);
  let toAt = new Float64Array(1 << 21);
  let stateOf = new Uint8Array(1 << 21);
  let reasonOf = new Uint8Array(1 << 21);
  let n = 0;
  const push = (c: number, s: Segment, open: boolean) => {
    if (n === fromAt.length) {
      const grow = <T extends Int32Array | Float64Array | Uint8Array>(a: T, make: (len: number) => T): T => {
        const b = make(a.length * 2);
        b.set(a);
        return b;
      };
      camIdx = grow(camIdx, (l) => new Int32Array(l));
      fromAt = grow(fromAt, (l) => new Float64Array(l));
      toAt = grow(toAt, (l) => new Float64Array(l));
      stateOf = grow(stateOf, (l) => new Uint8Array(l));
      reasonOf = grow(reasonOf, (l) => new Uint8Array(l));
    }
    camIdx[n] = c;
    fromAt[n] = s.from;
    toAt[n] = open ? Number.NaN : s.to;
    stateOf[n] = s.state;
    reasonOf[n] = s.reason;
    n++;
  };
  const ONLINE = stateIndex('online');
  const OFFLINE = stateIndex('offline');
  const DEGRADED = stateIndex('degraded');
  cams.forEach((cam, c) => {
    const first = Math.max(start, cam.commissioned) + Math.floor(r.between(0, 10 * 60_000));
    const end = cam.retired ?? now;
    if (first >= end) return;
    const flapping = r.next() < 0.03;
    // events per day: outages, picture faults, compliance faults
    const outageRate = flapping ? 5 : 0.06;
    const pictureRate = 0.02;
    const complianceRate = 0.004;
    const total = outageRate + pictureRate + complianceRate;
    let segments: Segment[] = [];
    let t = first;
    let state = ONLINE;
    let reason = reasonIndex(null);
    for (;;) {
      const gap = Math.floor(r.exp(DAY / total));
      const at = t + Math.max(60_000, gap);
      if (at >= end) break;
      segments.push({ from: t, to: at, state, reason });
      const kind = r.next() * total;
      let dur: number;
      if (kind < outageRate) {
        state = OFFLINE;
        reason = reasonIndex(r.pick(['network', 'network', 'network', 'stream', 'stream', 'signalling']));
        const d = r.next();
        dur = flapping
          ? r.between(60_000, 10 * 60_000)
          : d < 0.6
            ? r.between(2 * 60_000, 30 * 60_000)
            : d < 0.9
              ? r.between(30 * 60_000, 8 * HOUR)
              : d < 0.99
                ? r.between(8 * HOUR, 2 * DAY)
                : r.between(2 * DAY, 7 * DAY);
      } else if (kind < outageRate + pictureRate) {
        state = DEGRADED;
        reason = reasonIndex(
          r.pick(['picture:black', 'picture:frozen', 'picture:blur', 'picture:brightness', 'picture:noise']),
        );
        dur = r.between(20 * 60_000, DAY);
      } else {
        state = DEGRADED;
        reason = reasonIndex(r.pick(['compliance:clock_drift', 'compliance:osd_mismatch']));
        dur = r.between(HOUR, 3 * DAY);
      }
      const back = Math.min(end, at + Math.floor(dur));
      segments.push({ from: at, to: back, state, reason });
      t = back;
      state = ONLINE;
      reason = reasonIndex(null);
      if (t >= end) break;
    }
    if (t < end) segments.push({ from: t, to: end, state, reason });
    // maintenance windows: about one camera in three a year, approved, the camera in 'maintenance'
    if (r.next() < 0.35) {
      const from = Math.floor(r.between(first, end));
      const to = Math.min(end, from + Math.floor(r.between(2 * HOUR, 6 * HOUR)));
      if (from < to) {
        segments = overlay(segments, from, to, stateIndex('maintenance'), reasonIndex('maintenance'));
        exCamera.push(c);
        exFrom.push(from);
        exTo.push(to);
      }
    }
    const above = new Set(ancestorCodes(cam.site));
    for (const cut of powerCuts) {
      const from = Math.max(first, cut.from);
      const to = Math.min(end, cut.to);
      if (above.has(cut.code) && from < to)
        segments = overlay(segments, from, to, OFFLINE, reasonIndex('network'));
    }
    for (const g of gaps) {
      const from = Math.max(first, g.from);
      const to = Math.min(end, g.to);
      if (from < to)
        segments = overlay(segments, from, to, stateIndex('unknown'), reasonIndex('monitoring_gap'));
    }
    const merged = merge(segments);
    merged.forEach((s, k) => {
      push(c, s, k === merged.length - 1 && cam.retired === null);
    });
  });
  log(`synthetic: ${n} intervals generated`);

  // in time order, as the ledger writes them
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  order.sort((a, b) => (fromAt[a] as number) - (fromAt[b] as number));
  const col = <T>(f: (i: number) => T) => Array.from(order, f);
  await bulk(
    db,
    `INSERT INTO state_intervals (camera_id, from_at, to_at, state, reason)
     SELECT u.camera_id, to_timestamp(u.f / 1000.0), to_timestamp(u.t / 1000.0), u.state, u.reason
       FROM unnest($1::uuid[], $2::float8[], $3::float8[], $4::text[], $5::text[]) AS u(camera_id, f, t, state, reason)`,
    [
      col((i) => cameraIds[camIdx[i] as number]),
      col((i) => fromAt[i]),
      col((i) => (Number.isNaN(toAt[i]) ? null : toAt[i])),
      col((i) => STATES[stateOf[i] as number]),
      col((i) => REASONS[reasonOf[i] as number]),
    ],
    25_000,
    (done) => {
      if (done % 500_000 < 25_000 || done === n) log(`synthetic: ${done}/${n} intervals stored`);
    },
  );

  await bulk(
    db,
    `INSERT INTO availability_exclusions (kind, camera_id, district_id, from_at, to_at, reason, status, decided_at)
     SELECT u.kind, u.camera_id, u.district_id, to_timestamp(u.f / 1000.0), to_timestamp(u.t / 1000.0), u.reason,
            'approved', to_timestamp(u.f / 1000.0)
       FROM unnest($1::text[], $2::uuid[], $3::uuid[], $4::float8[], $5::float8[], $6::text[])
         AS u(kind, camera_id, district_id, f, t, reason)`,
    [
      [...exCamera.map(() => 'maintenance'), ...powerCuts.map(() => 'external_cause')],
      [...exCamera.map((c) => cameraIds[c]), ...powerCuts.map(() => null)],
      [...exCamera.map(() => null), ...powerCuts.map((p) => ids.get(p.code))],
      [...exFrom, ...powerCuts.map((p) => p.from)],
      [...exTo, ...powerCuts.map((p) => p.to)],
      [...exCamera.map(() => '例行维护'), ...powerCuts.map(() => '供电中断')],
    ],
    10_000,
  );

  const countBelow = (code: string) => cams.filter((c) => ancestorCodes(c.site).includes(code)).length;
  return {
    county: ids.get(seed.districts[0]?.code ?? '') ?? '',
    towns: towns.map((t) => ({ id: ids.get(t.code) ?? '', cameras: countBelow(t.code) })),
    districts: pds.map((d) => ({ id: ids.get(d.code) ?? '', cameras: countBelow(d.code) })),
    cameraIds,
    intervals: n,
    exclusions: exCamera.length + powerCuts.length,
    nodes: seed.districts.length,
    start: new Date(start),
  };
}
