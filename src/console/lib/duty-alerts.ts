/**
 * The duty console's alert list, kept up to date from the console WebSocket's feed entries. Pure: the list is
 * an array of rows keyed by alert id, and each feed entry yields the next list. Like `GET /alerts`, it lists
 * camera alerts folded into a group only through the group's row.
 */
export type AlertStatus = 'open' | 'acknowledged' | 'resolved';

export interface AlertRow {
  id: number;
  kind: 'camera' | 'group';
  cause: string;
  severity: string;
  status: AlertStatus;
  cameraId: string | null;
  cameraName: string | null;
  cameraCount: number | null;
  placePath: string[];
  openedAt: string;
  acknowledgedAt?: string | null;
  acknowledgedByUsername?: string | null;
  groupId?: number | null;
  /** a group's camera alerts (from `GET /alerts` or `/alerts/:id`) */
  children?: AlertRow[];
}

/** A `{type:'alert'}` message of /live (the feed entry's payload plus id, kind, at, severity). */
export interface FeedEntry {
  type: 'alert';
  id: number;
  kind: string;
  at: string;
  severity: string;
  alertId: number;
  alertKind: 'camera' | 'group';
  cause: string;
  cameraId: string | null;
  cameraName: string | null;
  cameraCount: number | null;
  groupId: number | null;
  placePath: string[];
  openedAt: string;
  status?: AlertStatus;
}

const STATUS_OF: Record<string, AlertStatus> = {
  opened: 'open',
  grouped: 'open',
  acknowledged: 'acknowledged',
  resolved: 'resolved',
};

/** How many rows the feed keeps; resolved ones fall off first. */
export const FEED_LIMIT = 100;

/**
 * The list after one feed entry: a new alert goes on top; an entry for a known alert updates its status. Camera
 * alerts folded into a group ('grouped' for the child) leave the list, the group row stands for them.
 */
export function applyEntry(rows: readonly AlertRow[], e: FeedEntry): AlertRow[] {
  const at = rows.findIndex((r) => r.id === e.alertId);
  const status: AlertStatus | undefined = STATUS_OF[e.kind] ?? e.status;
  // a camera alert folded into a group, or a group into a larger one: the group's row stands for it
  if (e.kind === 'superseded') return rows.filter((r) => r.id !== e.alertId);
  if (at >= 0) {
    const next = rows.slice();
    const old = rows[at] as AlertRow;
    next[at] = {
      ...old,
      status: status ?? old.status,
      severity: e.severity ?? old.severity,
      cameraCount: e.cameraCount ?? old.cameraCount,
      acknowledgedAt: e.kind === 'acknowledged' ? e.at : old.acknowledgedAt,
    };
    return next;
  }
  // an alert never seen, once over, or opened inside a group (listed under the group), adds no row
  if (e.kind === 'resolved' || e.kind === 'acknowledged' || e.groupId) return rows.slice();
  const row: AlertRow = {
    id: e.alertId,
    kind: e.alertKind,
    cause: e.cause,
    severity: e.severity,
    status: status ?? 'open',
    cameraId: e.cameraId,
    cameraName: e.cameraName,
    cameraCount: e.cameraCount,
    placePath: e.placePath ?? [],
    openedAt: e.openedAt ?? e.at,
    groupId: e.groupId,
  };
  return trim([row, ...rows]);
}

function trim(rows: AlertRow[]): AlertRow[] {
  if (rows.length <= FEED_LIMIT) return rows;
  const kept = rows.filter((r) => r.status !== 'resolved');
  return kept.slice(0, FEED_LIMIT);
}

/** The `since` to resume with: the larger of the last `synced` lastId and the last entry id received. */
export function resumeFrom(
  current: number | null,
  msg: { type: string; id?: number; lastId?: number | null },
) {
  const seen = msg.type === 'alert' ? msg.id : msg.type === 'synced' ? msg.lastId : null;
  if (typeof seen !== 'number') return current;
  return current === null ? seen : Math.max(current, seen);
}

/** Waits before the n-th reconnect (0-based): 0.5 s doubling up to 10 s. */
export function backoffMs(attempt: number): number {
  return Math.min(10_000, 500 * 2 ** Math.max(0, attempt));
}

/** Close codes after which reconnecting is pointless: the user was revoked. */
export const FINAL_CLOSE_CODES = new Set([4401]);

/** An instant as the desk reads it: month-day and 24-hour time in the console's language. */
export function clock(iso: string, locale: string): string {
  const at = new Date(iso);
  if (Number.isNaN(at.getTime())) return '';
  return at.toLocaleString(locale, {
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    hour12: false,
  });
}
