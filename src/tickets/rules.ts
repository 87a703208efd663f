/**
 * Ticket rules: priority, the SLA deadline and its extension by approved external cause, when a ticket opens,
 * reopens, closes and escalates, and the report figures. Pure: no I/O and no clock, every instant is passed in.
 */
import type { Severity } from '../alerting/rules.js';

export type Priority = 'P1' | 'P2' | 'P3';
export type TicketStatus = 'open' | 'acknowledged' | 'verifying' | 'closed';
export type CloseReason = 'verified' | 'recovered';
export type PlaceClass = 'town_seat' | 'village';

export const TICKET_STATUSES: readonly TicketStatus[] = ['open', 'acknowledged', 'verifying', 'closed'];
export const ACTIVE_STATUSES: readonly TicketStatus[] = ['open', 'acknowledged', 'verifying'];

const HOUR = 3_600_000;
const MINUTE = 60_000;

export interface Interval {
  from: Date;
  to: Date;
}

export interface SlaTerms {
  slaHoursTownSeat: number;
  slaHoursVillage: number;
}

export function priorityOf(severity: Severity): Priority {
  return severity === 'critical' ? 'P1' : severity === 'major' ? 'P2' : 'P3';
}

export function slaHours(contract: SlaTerms, placeClass: PlaceClass): number {
  return placeClass === 'town_seat' ? contract.slaHoursTownSeat : contract.slaHoursVillage;
}

/** Overlapping or touching intervals joined, in time order, so overlapping exclusions never count twice. */
export function mergeIntervals(intervals: readonly Interval[]): Interval[] {
  const sorted = [...intervals]
    .filter((i) => i.to.getTime() > i.from.getTime())
    .sort((a, b) => a.from.getTime() - b.from.getTime());
  const merged: Interval[] = [];
  for (const i of sorted) {
    const last = merged[merged.length - 1];
    if (last && i.from.getTime() <= last.to.getTime()) {
      if (i.to.getTime() > last.to.getTime()) last.to = i.to;
    } else {
      merged.push({ from: i.from, to: i.to });
    }
  }
  return merged;
}

/**
 * The deadline of an SLA clock that starts at `start`, runs for `budgetMs` and stands still during approved
 * external-cause time. Time excluded after the deadline it would otherwise reach does not extend it.
 */
export function extendedDeadline(start: Date, budgetMs: number, excluded: readonly Interval[]): Date {
  let cursor = start.getTime();
  let budget = budgetMs;
  for (const x of mergeIntervals(excluded)) {
    const from = x.from.getTime();
    const to = x.to.getTime();
    if (to <= cursor) continue;
    if (from > cursor) {
      if (from - cursor >= budget) break;
      budget -= from - cursor;
    }
    cursor = to;
  }
  return new Date(cursor + budget);
}

/** A ticket's SLA: `start` is its opening or its last reopening, `nominalDue` the deadline without exclusions. */
export interface SlaClock {
  start: Date;
  nominalDue: Date;
}

export function effectiveDue(clock: SlaClock, excluded: readonly Interval[]): Date {
  return extendedDeadline(clock.start, clock.nominalDue.getTime() - clock.start.getTime(), excluded);
}

export interface Countdown {
  slaDueAt: Date;
  slaExtendedMinutes: number;
  /** negative once overdue; null for a closed ticket */
  remainingSeconds: number | null;
  overdue: boolean;
}

export function countdown(
  clock: SlaClock,
  excluded: readonly Interval[],
  status: TicketStatus,
  now: Date,
): Countdown {
  const due = effectiveDue(clock, excluded);
  const closed = status === 'closed';
  const remaining = Math.floor((due.getTime() - now.getTime()) / 1000);
  return {
    slaDueAt: due,
    slaExtendedMinutes: Math.round((due.getTime() - clock.nominalDue.getTime()) / MINUTE),
    remainingSeconds: closed ? null : remaining,
    overdue: !closed && remaining < 0,
  };
}

/** A fault has waited long enough for a ticket once it has lasted the contract's threshold. */
export function faultLongEnough(faultSince: Date, thresholdMinutes: number, now: Date): boolean {
  return now.getTime() - faultSince.getTime() >= thresholdMinutes * MINUTE;
}

export interface ClosedTicket {
  contractorId: string;
  closedAt: Date;
}

/**
 * A returning fault reopens the camera's last ticket when it began within the reopen window after that ticket
 * closed and the same contractor still covers the camera; otherwise a new ticket opens.
 */
export function shouldReopen(
  last: ClosedTicket | null,
  fault: { since: Date; contractorId: string },
  reopenWithinHours: number,
): boolean {
  if (!last || last.contractorId !== fault.contractorId) return false;
  return fault.since.getTime() - last.closedAt.getTime() <= reopenWithinHours * HOUR;
}

export interface CameraNow {
  state: string;
  /** since when the camera has been in that state */
  since: Date;
  openAlerts: number;
}

/**
 * Whether a ticket closes itself now, and why: the camera must have been online, with no alert open, for the
 * verification time. A ticket the contractor marked repaired is verified; any other recovered by itself.
 */
export function closeVerdict(
  status: TicketStatus,
  camera: CameraNow,
  verifyHealthySeconds: number,
  now: Date,
): CloseReason | null {
  if (status === 'closed' || camera.state !== 'online' || camera.openAlerts > 0) return null;
  if (now.getTime() - camera.since.getTime() < verifyHealthySeconds * 1000) return null;
  return status === 'verifying' ? 'verified' : 'recovered';
}

export function shouldEscalate(
  ticket: { status: TicketStatus; escalatedAt: Date | null },
  due: Date,
  now: Date,
): boolean {
  return ticket.status !== 'closed' && ticket.escalatedAt === null && now.getTime() > due.getTime();
}

/** When the camera was working again, for the SLA: the start of the healthy stretch, never before the clock. */
export function restoredAt(healthySince: Date, clockStart: Date): Date {
  return healthySince.getTime() < clockStart.getTime() ? clockStart : healthySince;
}

export type SlaOutcome = 'met' | 'breached' | 'pending';

/** Met when the camera was restored by the deadline; breached when restored late or still broken past it. */
export function slaOutcome(due: Date, restored: Date | null, closed: boolean, now: Date): SlaOutcome {
  if (closed && restored) return restored.getTime() <= due.getTime() ? 'met' : 'breached';
  return now.getTime() > due.getTime() ? 'breached' : 'pending';
}

export interface ReportTicket {
  clock: SlaClock;
  excluded: Interval[];
  status: TicketStatus;
  acknowledgedAt: Date | null;
  restoredAt: Date | null;
}

export interface ContractorFigures {
  opened: number;
  closed: number;
  stillOpen: number;
  metSla: number;
  breached: number;
  meanMinutesToAcknowledge: number | null;
  meanMinutesToRepair: number | null;
  externalCauseHours: number;
}

const mean = (xs: number[]) =>
  xs.length === 0 ? null : Math.round(xs.reduce((a, b) => a + b, 0) / xs.length);

/**
 * The figures of the tickets opened in a period. Times run from each ticket's last (re)opening; the hours
 * excluded are those by which approved external cause moved the deadlines.
 */
export function contractorFigures(tickets: readonly ReportTicket[], now: Date): ContractorFigures {
  const toAck: number[] = [];
  const toRepair: number[] = [];
  let closed = 0;
  let met = 0;
  let breached = 0;
  let extendedMs = 0;
  for (const t of tickets) {
    const due = effectiveDue(t.clock, t.excluded);
    extendedMs += due.getTime() - t.clock.nominalDue.getTime();
    const isClosed = t.status === 'closed';
    if (isClosed) closed += 1;
    const outcome = slaOutcome(due, t.restoredAt, isClosed, now);
    if (outcome === 'met') met += 1;
    if (outcome === 'breached') breached += 1;
    const start = t.clock.start.getTime();
    if (t.acknowledgedAt) toAck.push((t.acknowledgedAt.getTime() - start) / MINUTE);
    if (isClosed && t.restoredAt) toRepair.push((t.restoredAt.getTime() - start) / MINUTE);
  }
  return {
    opened: tickets.length,
    closed,
    stillOpen: tickets.length - closed,
    metSla: met,
    breached,
    meanMinutesToAcknowledge: mean(toAck),
    meanMinutesToRepair: mean(toRepair),
    externalCauseHours: Math.round((extendedMs / HOUR) * 10) / 10,
  };
}

export interface FaultCandidate {
  alertId: number;
  cause: string;
  severity: Severity;
  since: Date;
}

const RANK: Record<Severity, number> = { critical: 0, major: 1, minor: 2 };

/**
 * The fault a camera's ticket is about: among its unresolved alerts that have lasted the threshold, the most
 * severe, then the oldest. Null while none has lasted long enough.
 */
export function ticketFault<T extends FaultCandidate>(
  alerts: readonly T[],
  thresholdMinutes: number,
  now: Date,
): T | null {
  const ripe = alerts.filter((a) => faultLongEnough(a.since, thresholdMinutes, now));
  ripe.sort((a, b) => RANK[a.severity] - RANK[b.severity] || a.since.getTime() - b.since.getTime());
  return ripe[0] ?? null;
}
