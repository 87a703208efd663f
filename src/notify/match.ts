/**
 * Which routes a feed entry goes to. Pure: the dispatcher reads the entries and the enabled routes and enqueues
 * one job per pair this returns.
 *
 * - Alerts ('opened', 'grouped' that is not only a grown count, 'resolved') go to the routes of every node on
 *   the alert's path and to the county-wide routes (no node, no contractor: the bureau).
 * - A camera alert folded into a group alert (payload.groupId set) is not sent: the group alert speaks for it,
 *   which is what keeps a site going dark to one message.
 * - 'ticket_opened' goes to the contractor's routes; 'ticket_escalated' to the contractor's and the county-wide
 *   routes (an SLA breach escalates to the bureau). Node routes get no tickets: their duty desk had the alert.
 * - 'acknowledged' and 'superseded' are console news, never notified.
 * - A route takes entries at or above its min_severity.
 */
import type { FeedEntry } from '../alerting/feed-repo.js';
import type { Severity } from '../alerting/rules.js';

export interface RouteScope {
  id: string;
  districtId: string | null;
  contractorId: string | null;
  minSeverity: Severity;
}

const RANK: Record<Severity, number> = { minor: 0, major: 1, critical: 2 };

export function severityAtLeast(severity: Severity, min: Severity): boolean {
  return RANK[severity] >= RANK[min];
}

type Audience = 'alert' | 'ticket' | 'escalation' | null;

export function audienceOf(entry: FeedEntry): Audience {
  const p = entry.payload;
  switch (entry.kind) {
    case 'opened':
    case 'resolved':
      return p.groupId === null || p.groupId === undefined || p.alertKind === 'group' ? 'alert' : null;
    case 'grouped':
      return p.update === true ? null : 'alert';
    case 'ticket_opened':
      return 'ticket';
    case 'ticket_escalated':
      return 'escalation';
    case 'acknowledged':
    case 'superseded':
      return null;
  }
}

const countyWide = (r: RouteScope) => r.districtId === null && r.contractorId === null;

/** The ids of the routes that take `entry` (routes are the enabled ones). */
export function routesFor(entry: FeedEntry, routes: readonly RouteScope[]): string[] {
  const audience = audienceOf(entry);
  if (audience === null) return [];
  const contractorId = typeof entry.payload.contractorId === 'string' ? entry.payload.contractorId : null;
  const takes = (r: RouteScope): boolean => {
    if (audience === 'alert')
      return countyWide(r) || (r.districtId !== null && entry.ancestors.includes(r.districtId));
    const forContractor = r.contractorId !== null && r.contractorId === contractorId;
    return audience === 'ticket' ? forContractor : forContractor || countyWide(r);
  };
  return routes.filter((r) => severityAtLeast(entry.severity, r.minSeverity) && takes(r)).map((r) => r.id);
}

/** BullMQ job id of one notification: the same however often the entry is dispatched (no ':' allowed). */
export function notifyJobId(feedId: number, routeId: string): string {
  return `n-${feedId}-${routeId}`;
}
