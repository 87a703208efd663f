/**
 * A window cut into local days, and which of those days the daily rollups can answer. Pure: no database.
 */
import { type Availability, sumAvailability, ZERO_AVAILABILITY } from './availability.js';
import { addDays, type Bounds, type DayPiece, localDayBounds } from './calendar.js';

// splitByLocalDays asks Intl for every day's bounds, several ms for a year of days; a day's bounds in a zone
// never change, so they are kept. Same algorithm as calendar.ts, same results (tested).

const MAX_CACHED_DAYS = 50_000;
interface CachedDay {
  bounds: Bounds;
  from: number;
  to: number;
  next: string;
}
const dayCache = new Map<string, CachedDay>();
const dateFormatters = new Map<string, Intl.DateTimeFormat>();

function cachedDay(day: string, timeZone: string): CachedDay {
  const key = `${timeZone}|${day}`;
  let cached = dayCache.get(key);
  if (!cached) {
    if (dayCache.size >= MAX_CACHED_DAYS) dayCache.clear();
    const bounds = localDayBounds(day, timeZone);
    cached = { bounds, from: bounds.from.getTime(), to: bounds.to.getTime(), next: addDays(day, 1) };
    dayCache.set(key, cached);
  }
  return cached;
}

/** localDayBounds, memoised. */
export function cachedDayBounds(day: string, timeZone: string): Bounds {
  return cachedDay(day, timeZone).bounds;
}

/** localDate with a kept formatter. */
function localDay(at: Date, timeZone: string): string {
  let f = dateFormatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' });
    dateFormatters.set(timeZone, f);
  }
  return f.format(at);
}

/** splitByLocalDays with memoised day bounds. */
export function dayPieces(window: Bounds, timeZone: string): DayPiece[] {
  const end = window.to.getTime();
  const pieces: DayPiece[] = [];
  if (!(window.from.getTime() < end)) return pieces;
  let day = localDay(window.from, timeZone);
  for (;;) {
    const cached = cachedDay(day, timeZone);
    const from = Math.max(window.from.getTime(), cached.from);
    const to = Math.min(end, cached.to);
    if (from < to) pieces.push({ day, from: new Date(from), to: new Date(to) });
    if (cached.to >= end) return pieces;
    day = cached.next;
  }
}

/** A whole local day that is over at `now`: the only kind of piece a rollup can stand for. */
function rollable(piece: DayPiece, timeZone: string, now: Date): boolean {
  const cached = cachedDay(piece.day, timeZone);
  return (
    piece.from.getTime() === cached.from && piece.to.getTime() === cached.to && cached.to <= now.getTime()
  );
}

/** Adjacent pieces joined into runs: the spans to read the ledger for. */
export function contiguousRuns(pieces: readonly DayPiece[]): Bounds[] {
  const runs: Bounds[] = [];
  for (const p of pieces) {
    const last = runs[runs.length - 1];
    if (last && last.to.getTime() === p.from.getTime()) last.to = p.to;
    else runs.push({ from: p.from, to: p.to });
  }
  return runs;
}

/** Pieces split by how they are answered: from the rollups if they can be, exactly otherwise. */
export function planWindow(window: Bounds, now: Date, timeZone: string) {
  const pieces = dayPieces(window, timeZone);
  const candidates = pieces.filter((p) => rollable(p, timeZone, now));
  const candidateDays = new Set(candidates.map((p) => p.day));
  const exact = pieces.filter((p) => !candidateDays.has(p.day));
  return {
    pieces,
    candidates,
    candidateDays,
    exact,
    first: candidates[0],
    last: candidates[candidates.length - 1],
  };
}

/**
 * A window's figures per day and in total: each piece's as computed from the ledger if it was, else its day's
 * rollup (neither: zeros).
 */
export function assembleDays(
  pieces: readonly DayPiece[],
  computed: ReadonlyMap<DayPiece, Availability>,
  rolled: ReadonlyMap<string, Availability>,
): { total: Availability; byDay: { day: string; figures: Availability }[] } {
  const byDay = pieces.map((piece) => ({
    day: piece.day,
    figures: computed.get(piece) ?? rolled.get(piece.day) ?? { ...ZERO_AVAILABILITY },
  }));
  return { total: sumAvailability(byDay.map((d) => d.figures)), byDay };
}
