import type { AlertRow } from './duty-alerts.js';

/** "Worst cameras now": the cameras of live (open or acknowledged) alerts, gravest first, then longest down. */
export interface WorstCamera {
  id: string;
  name: string;
  cause: string;
  severity: string;
  since: string;
  place: string[];
}

const GRAVITY: Record<string, number> = { critical: 0, major: 1, minor: 2 };

export function worstNow(rows: readonly AlertRow[], limit = 16): WorstCamera[] {
  const seen = new Map<string, WorstCamera>();
  // a group stands for its cameras: each of them counts, under the group's place path when it has none
  const cameraRows = rows.flatMap((r) =>
    r.kind === 'group' && r.status !== 'resolved'
      ? (r.children ?? []).map((c) => ({ ...c, placePath: c.placePath?.length ? c.placePath : r.placePath }))
      : [r],
  );
  for (const r of cameraRows) {
    if (r.status === 'resolved' || r.kind !== 'camera' || !r.cameraId) continue;
    const cam: WorstCamera = {
      id: r.cameraId,
      name: r.cameraName ?? r.cameraId,
      cause: r.cause,
      severity: r.severity,
      since: r.openedAt,
      place: r.placePath,
    };
    const had = seen.get(cam.id);
    if (!had || rank(cam) < rank(had)) seen.set(cam.id, cam);
  }
  return [...seen.values()].sort((a, b) => rank(a) - rank(b)).slice(0, limit);
}

function rank(c: WorstCamera): number {
  // gravity first; within it, the earlier the longer down
  return (GRAVITY[c.severity] ?? 3) * 1e15 + new Date(c.since).getTime();
}
