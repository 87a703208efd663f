import type { Ticket, TicketStatus } from './tickets-types.js';

/** Seconds left until the deadline at `now` (negative once overdue). */
export function secondsLeft(ticket: Pick<Ticket, 'slaDueAt'>, now: number): number {
  return Math.round((Date.parse(ticket.slaDueAt) - now) / 1000);
}

/** "1天 02:03:04" style countdown, sign dropped (the caller says whether it is overdue). */
export function formatCountdown(seconds: number): { days: number; clock: string } {
  const s = Math.abs(Math.trunc(seconds));
  const days = Math.floor(s / 86_400);
  const pad = (n: number) => String(n).padStart(2, '0');
  const clock = `${pad(Math.floor((s % 86_400) / 3600))}:${pad(Math.floor((s % 3600) / 60))}:${pad(s % 60)}`;
  return { days, clock };
}

/** How urgent a deadline looks: overdue, within 4 hours, or fine. */
export function urgency(seconds: number): 'overdue' | 'soon' | 'ok' {
  if (seconds < 0) return 'overdue';
  return seconds < 4 * 3600 ? 'soon' : 'ok';
}

/** Active tickets by deadline, soonest first; closed ones last, newest closing first. */
export function byDeadline<T extends Pick<Ticket, 'slaDueAt' | 'status' | 'closedAt' | 'id'>>(
  list: T[],
): T[] {
  return [...list].sort((a, b) => {
    const ac = a.status === 'closed';
    const bc = b.status === 'closed';
    if (ac !== bc) return ac ? 1 : -1;
    if (ac) return Date.parse(b.closedAt ?? '') - Date.parse(a.closedAt ?? '') || b.id - a.id;
    return Date.parse(a.slaDueAt) - Date.parse(b.slaDueAt) || a.id - b.id;
  });
}

/** Element Plus tag type per status. */
export function statusTag(status: TicketStatus): 'danger' | 'warning' | 'primary' | 'success' {
  const tags = { open: 'danger', acknowledged: 'warning', verifying: 'primary', closed: 'success' } as const;
  return tags[status];
}

/** What the contractor may still do to a ticket. */
export function actionsFor(status: TicketStatus) {
  return {
    acknowledge: status === 'open',
    repaired: status === 'open' || status === 'acknowledged',
    note: status !== 'closed',
    photo: status !== 'closed',
    dispute: status !== 'closed',
  };
}
