/**
 * Reporting deadlines of the county plan: incidents touching stability or safety are reported within one hour;
 * staff hired by key industries (hotels, second-hand trade, entertainment, logistics, dangerous goods) within 24.
 */
export const INCIDENT_TYPES = [
  'stability_safety',
  'key_industry_staff',
  'criminal_case',
  'public_order',
  'traffic',
  'fire',
  'dispute',
  'other',
] as const;
export type IncidentType = (typeof INCIDENT_TYPES)[number];

export const INCIDENT_STATUSES = ['open', 'reported', 'closed'] as const;
export type IncidentStatus = (typeof INCIDENT_STATUSES)[number];

const REPORT_WITHIN_HOURS: Partial<Record<IncidentType, number>> = {
  stability_safety: 1,
  key_industry_staff: 24,
};

export function reportDueAt(type: IncidentType, occurredAt: Date): Date | null {
  const hours = REPORT_WITHIN_HOURS[type];
  return hours === undefined ? null : new Date(occurredAt.getTime() + hours * 3_600_000);
}

export interface ReportClock {
  dueAt: Date | null;
  reportedAt: Date | null;
}

/** Due and not reported by now. */
export function isOverdue(clock: ReportClock, now: Date): boolean {
  return clock.dueAt !== null && clock.reportedAt === null && now > clock.dueAt;
}

/** Reported, but after the deadline. */
export function wasReportedLate(clock: ReportClock): boolean {
  return clock.dueAt !== null && clock.reportedAt !== null && clock.reportedAt > clock.dueAt;
}
