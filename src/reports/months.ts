/** Which calendar month a report covers, in the county's own time zone (never UTC). */
import { localMonth } from '../governance/local-date.js';

/** The month before a 'YYYY-MM' month. */
export function previousMonth(month: string): string {
  const [year, number] = month.split('-').map(Number) as [number, number];
  return number === 1 ? `${year - 1}-12` : `${year}-${String(number - 1).padStart(2, '0')}`;
}

/**
 * The month whose report is due at `now`: the last whole local month, which ended at the local midnight that
 * began the current one.
 */
export function dueMonth(now: Date, timeZone: string): string {
  return previousMonth(localMonth(now, timeZone));
}

/** A month is over once the local calendar has moved past it ('YYYY-MM' orders as text). */
export function monthIsOver(month: string, now: Date, timeZone: string): boolean {
  return month < localMonth(now, timeZone);
}
