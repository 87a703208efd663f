/** Incidents on the duty desk: the county's reporting clocks (1 hour for stability/safety, 24 for key staff). */
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

export interface Incident {
  id: string;
  type: string;
  title: string;
  occurredAt: string;
  districtId: string;
  cameraIds: string[];
  status: string;
  reportDueAt: string | null;
  reportedAt: string | null;
  overdue: boolean;
  reportedLate: boolean;
}

/** How an incident's report stands: 'overdue', 'due' (clock running), 'late', 'ontime' or 'none' (no clock). */
export function reportState(i: Incident): 'overdue' | 'due' | 'late' | 'ontime' | 'none' {
  if (!i.reportDueAt) return 'none';
  if (i.overdue) return 'overdue';
  if (i.reportedAt) return i.reportedLate ? 'late' : 'ontime';
  return 'due';
}

/** Overdue first, then running clocks by deadline, then the rest newest first. */
export function byUrgency(list: readonly Incident[]): Incident[] {
  const order = { overdue: 0, due: 1, late: 2, ontime: 3, none: 3 } as const;
  return [...list].sort((a, b) => {
    const d = order[reportState(a)] - order[reportState(b)];
    if (d !== 0) return d;
    if (reportState(a) === 'due') return String(a.reportDueAt).localeCompare(String(b.reportDueAt));
    return b.occurredAt.localeCompare(a.occurredAt);
  });
}
