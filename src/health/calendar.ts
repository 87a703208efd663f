/**
 * Local-calendar periods as instants: a day or month in a time zone (Asia/Shanghai for the county) from local
 * midnight to local midnight, correct across DST for zones that have it. Intl only, no date library.
 */
import { localDate } from '../governance/local-date.js';

export interface Bounds {
  from: Date;
  to: Date;
}

export interface DayPiece extends Bounds {
  /** The local calendar day, 'YYYY-MM-DD'. */
  day: string;
}

const DAY_MS = 86_400_000;
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

/** The zone's offset at an instant: local wall clock read as UTC, minus the instant (whole seconds). */
function offsetMs(at: number, timeZone: string): number {
  const seconds = Math.floor(at / 1000) * 1000;
  const parts: Record<string, number> = {};
  for (const p of formatter(timeZone).formatToParts(new Date(seconds))) {
    if (p.type !== 'literal') parts[p.type] = Number(p.value);
  }
  const wall = Date.UTC(
    parts.year ?? 0,
    (parts.month ?? 1) - 1,
    parts.day ?? 1,
    parts.hour ?? 0,
    parts.minute ?? 0,
    parts.second ?? 0,
  );
  return wall - seconds;
}

/** The local calendar day of an instant, as its midnight read as UTC (for ordering). */
function localDayKey(at: number, timeZone: string): number {
  const wall = at + offsetMs(at, timeZone);
  return wall - (((wall % DAY_MS) + DAY_MS) % DAY_MS);
}

/** The first instant whose local date is the day whose midnight, read as UTC, is `wall`. */
function startOfLocalDay(wall: number, timeZone: string): number {
  const offsets = [...new Set([-DAY_MS, 0, DAY_MS].map((d) => offsetMs(wall + d, timeZone)))];
  const exact = offsets.map((o) => wall - o).filter((t) => offsetMs(t, timeZone) === wall - t);
  if (exact.length > 0) return Math.min(...exact);
  // Local midnight was skipped by a forward transition: the day begins at the transition itself.
  let lo = wall - Math.max(...offsets); // still the day before
  let hi = wall - Math.min(...offsets); // already the day
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (localDayKey(mid, timeZone) >= wall) hi = mid;
    else lo = mid;
  }
  return hi;
}

function parseDay(day: string): [number, number, number] {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(day);
  const y = Number(m?.[1]);
  const mo = Number(m?.[2]);
  const d = Number(m?.[3]);
  const check = new Date(Date.UTC(y, mo - 1, d));
  if (!m || check.getUTCMonth() !== mo - 1 || check.getUTCDate() !== d) {
    throw new RangeError(`not a calendar day: ${day}`);
  }
  return [y, mo, d];
}

function parseMonth(month: string): [number, number] {
  const m = /^(\d{4})-(\d{2})$/.exec(month);
  const y = Number(m?.[1]);
  const mo = Number(m?.[2]);
  if (!m || mo < 1 || mo > 12) throw new RangeError(`not a calendar month: ${month}`);
  return [y, mo];
}

/** A 'YYYY-MM-DD' day moved by n calendar days. */
export function addDays(day: string, n: number): string {
  const [y, m, d] = parseDay(day);
  return new Date(Date.UTC(y, m - 1, d + n)).toISOString().slice(0, 10);
}

/** A local day as instants: its midnight to the next midnight in the zone (23 h or 25 h across DST). */
export function localDayBounds(day: string, timeZone: string): Bounds {
  const [y, m, d] = parseDay(day);
  return {
    from: new Date(startOfLocalDay(Date.UTC(y, m - 1, d), timeZone)),
    to: new Date(startOfLocalDay(Date.UTC(y, m - 1, d + 1), timeZone)),
  };
}

/** A local month 'YYYY-MM' as instants: its first local midnight to the next month's. */
export function localMonthBounds(month: string, timeZone: string): Bounds {
  const [y, m] = parseMonth(month);
  return {
    from: new Date(startOfLocalDay(Date.UTC(y, m - 1, 1), timeZone)),
    to: new Date(startOfLocalDay(Date.UTC(y, m, 1), timeZone)),
  };
}

/** A window cut at local midnights into per-day pieces, in order; empty when the window is empty. */
export function splitByLocalDays(window: Bounds, timeZone: string): DayPiece[] {
  const end = window.to.getTime();
  const pieces: DayPiece[] = [];
  if (!(window.from.getTime() < end)) return pieces;
  let day = localDate(window.from, timeZone);
  for (;;) {
    const bounds = localDayBounds(day, timeZone);
    const from = Math.max(window.from.getTime(), bounds.from.getTime());
    const to = Math.min(end, bounds.to.getTime());
    if (from < to) pieces.push({ day, from: new Date(from), to: new Date(to) });
    if (bounds.to.getTime() >= end) return pieces;
    day = addDays(day, 1);
  }
}
