/**
 * Availability arithmetic for the 95% rule: a camera's scheduled, online and effective time over a window, and
 * the rollups built on it. Pure: all instants are passed in. Every millisecond of window ∩ lifetime ∩ [.., now]
 * lands in exactly one bucket: maintenance, external cause, gap, unknown, or scheduled (online/effective ⊆ it).
 */
import { counted, effective, type HealthState, online } from './types.js';

/** One stretch of a camera's state history; to null: still going. */
export interface StateInterval {
  from: Date;
  to: Date | null;
  state: HealthState;
  reason: string | null;
}

/** An approved window removed from scheduled time. */
export interface Exclusion {
  from: Date;
  to: Date;
  kind: 'maintenance' | 'external_cause';
}

/** A stretch when our own probes were not running. */
export interface Gap {
  from: Date;
  to: Date;
}

export interface AvailabilityInput {
  intervals: readonly StateInterval[];
  exclusions: readonly Exclusion[];
  gaps: readonly Gap[];
  lifetime: { commissionedAt: Date; retiredAt: Date | null };
  window: { from: Date; to: Date };
  now: Date;
}

export interface Availability {
  scheduledMs: number;
  onlineMs: number;
  effectiveMs: number;
  maintenanceMs: number;
  externalCauseMs: number;
  gapMs: number;
  /** Time in state 'unknown' or 'maintenance', or covered by no interval. */
  unknownMs: number;
}

export const ZERO_AVAILABILITY: Readonly<Availability> = Object.freeze({
  scheduledMs: 0,
  onlineMs: 0,
  effectiveMs: 0,
  maintenanceMs: 0,
  externalCauseMs: 0,
  gapMs: 0,
  unknownMs: 0,
});

/** Half-open [start, end) in epoch milliseconds. */
type Span = readonly [number, number];

/** Clip to [lo, hi), drop empties, sort and merge: a sorted list of disjoint spans. */
function normalize(spans: readonly Span[], lo: number, hi: number): Span[] {
  const clipped = spans
    .map(([a, b]): Span => [Math.max(a, lo), Math.min(b, hi)])
    .filter(([a, b]) => a < b)
    .sort((x, y) => x[0] - y[0]);
  const out: [number, number][] = [];
  for (const [a, b] of clipped) {
    const last = out[out.length - 1];
    if (last && a <= last[1]) last[1] = Math.max(last[1], b);
    else out.push([a, b]);
  }
  return out;
}

/** A − B, both sorted and disjoint. */
function subtract(a: readonly Span[], b: readonly Span[]): Span[] {
  const out: Span[] = [];
  let j = 0;
  for (const [start, end] of a) {
    let cursor = start;
    while (j < b.length && (b[j] as Span)[1] <= cursor) j++;
    let k = j;
    while (k < b.length && (b[k] as Span)[0] < end) {
      const [bs, be] = b[k] as Span;
      if (bs > cursor) out.push([cursor, bs]);
      cursor = Math.max(cursor, be);
      k++;
    }
    if (cursor < end) out.push([cursor, end]);
  }
  return out;
}

function total(spans: readonly Span[]): number {
  return spans.reduce((sum, [a, b]) => sum + (b - a), 0);
}

/** Length of [a, b) ∩ spans; spans sorted and disjoint. */
function overlap(spans: readonly Span[], a: number, b: number): number {
  let sum = 0;
  for (const [s, e] of spans) {
    if (s >= b) break;
    if (e > a) sum += Math.min(e, b) - Math.max(s, a);
  }
  return sum;
}

interface Resolved {
  from: number;
  to: number;
  state: HealthState;
  reason: string | null;
}

/**
 * Sort by start (stable: of two equal starts the later listed wins) and cut each interval at the next one's
 * start, so the result is disjoint. Open intervals run to openEnd.
 */
function resolveIntervals(intervals: readonly StateInterval[], openEnd: number): Resolved[] {
  const sorted = [...intervals].sort((x, y) => x.from.getTime() - y.from.getTime());
  const out: Resolved[] = [];
  sorted.forEach((interval, i) => {
    const from = interval.from.getTime();
    const nextStart = sorted[i + 1]?.from.getTime() ?? Number.POSITIVE_INFINITY;
    const to = Math.min(interval.to === null ? openEnd : interval.to.getTime(), nextStart);
    if (from < to) out.push({ from, to, state: interval.state, reason: interval.reason });
  });
  return out;
}

/** One camera's time over a window, split into the buckets the 95% rule needs. */
export function cameraAvailability(input: AvailabilityInput): Availability {
  const { lifetime, window, now } = input;
  const lo = Math.max(window.from.getTime(), lifetime.commissionedAt.getTime());
  const hi = Math.min(
    window.to.getTime(),
    lifetime.retiredAt === null ? Number.POSITIVE_INFINITY : lifetime.retiredAt.getTime(),
    now.getTime(),
  );
  if (!(lo < hi)) return { ...ZERO_AVAILABILITY };
  const range: Span[] = [[lo, hi]];
  const spanOf = (x: { from: Date; to: Date }): Span => [x.from.getTime(), x.to.getTime()];

  const approved = (kind: Exclusion['kind']) =>
    normalize(input.exclusions.filter((e) => e.kind === kind).map(spanOf), lo, hi);
  const maintenance = approved('maintenance');
  const external = subtract(approved('external_cause'), maintenance);
  const excluded = normalize([...maintenance, ...external], lo, hi);
  const gaps = subtract(normalize(input.gaps.map(spanOf), lo, hi), excluded);
  const remaining = subtract(subtract(range, excluded), gaps);

  let scheduledMs = 0;
  let onlineMs = 0;
  let effectiveMs = 0;
  for (const interval of resolveIntervals(input.intervals, Math.min(window.to.getTime(), now.getTime()))) {
    if (!counted(interval.state)) continue;
    const ms = overlap(remaining, interval.from, interval.to);
    scheduledMs += ms;
    if (online(interval.state, interval.reason)) onlineMs += ms;
    if (effective(interval.state, interval.reason)) effectiveMs += ms;
  }

  return {
    scheduledMs,
    onlineMs,
    effectiveMs,
    maintenanceMs: total(maintenance),
    externalCauseMs: total(external),
    gapMs: total(gaps),
    unknownMs: total(remaining) - scheduledMs,
  };
}

export interface Rates {
  onlineRate: number | null;
  effectiveRate: number | null;
}

/** Ratios of a (possibly summed) availability; null when nothing was scheduled. */
export function rates(a: Availability): Rates {
  if (a.scheduledMs <= 0) return { onlineRate: null, effectiveRate: null };
  return { onlineRate: a.onlineMs / a.scheduledMs, effectiveRate: a.effectiveMs / a.scheduledMs };
}

/** Figures added up: node rollups are sums over cameras, then ratios, never averages of ratios. */
export function sumAvailability(list: readonly Availability[]): Availability {
  const sum: Availability = { ...ZERO_AVAILABILITY };
  const keys = Object.keys(sum) as (keyof Availability)[];
  for (const x of list) for (const k of keys) sum[k] += x[k];
  return sum;
}

export interface CameraFigures {
  id: string;
  scheduledMs: number;
  effectiveMs: number;
}

export interface GapToTarget {
  /** The node's effective rate now; null when nothing was scheduled. */
  rate: number | null;
  /** The rate once the listed fixes are made (equal to rate when there are none). */
  rateAfterFixes: number | null;
  /** The target is met once the listed fixes are made (at once when fixes is empty). */
  reached: boolean;
  /** Ids of the fewest cameras whose repair lifts the node to the target, most lost time first. */
  fixes: string[];
}

/**
 * The fewest cameras whose repair (effective = scheduled) lifts the node's effective rate to the target.
 * Greedy by lost time descending (ties by id) is optimal for the count. Already reached: no fixes. Not
 * reachable even with every repair: all lossy cameras, reached false. Nothing scheduled: rate null, reached
 * (nothing is failing).
 */
export function gapToTarget(cameras: readonly CameraFigures[], target = 0.95): GapToTarget {
  const scheduled = cameras.reduce((sum, c) => sum + c.scheduledMs, 0);
  if (scheduled <= 0) return { rate: null, rateAfterFixes: null, reached: true, fixes: [] };
  let good = cameras.reduce((sum, c) => sum + c.effectiveMs, 0);
  const rate = good / scheduled;
  if (rate >= target) return { rate, rateAfterFixes: rate, reached: true, fixes: [] };

  const lossy = cameras
    .map((c) => ({ id: c.id, lost: c.scheduledMs - c.effectiveMs }))
    .filter((c) => c.lost > 0)
    .sort((x, y) => y.lost - x.lost || (x.id < y.id ? -1 : x.id > y.id ? 1 : 0));
  const fixes: string[] = [];
  for (const c of lossy) {
    fixes.push(c.id);
    good += c.lost;
    if (good / scheduled >= target) return { rate, rateAfterFixes: good / scheduled, reached: true, fixes };
  }
  return { rate, rateAfterFixes: good / scheduled, reached: false, fixes };
}
