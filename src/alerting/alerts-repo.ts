/**
 * Alerts as the consoles read and acknowledge them, and the alert rules as the county sets them. Scope: a duty
 * user sees the alerts placed under its node of the tree; bureau and admin see the county.
 */
import { audit } from '../audit.js';
import type { Principal } from '../auth/policy.js';
import { placeInScope } from '../auth/scope.js';
import type { DbClient, Queryable } from '../db.js';
import { ConflictError, NotFoundError } from '../errors.js';
import { listPage, type Page, type PageOf, Params } from '../sql.js';
import { appendFeed, type FeedAppend, type FeedKind } from './feed-repo.js';
import { placePaths } from './place-path.js';
import { ALERT_CAUSES, type AlertCause, DEFAULT_ALERT_RULES, type Severity } from './rules.js';

export type AlertStatus = 'open' | 'acknowledged' | 'resolved';

export interface Alert {
  id: number;
  kind: 'camera' | 'group';
  cause: string;
  severity: Severity;
  status: AlertStatus;
  detail: string | null;
  cameraId: string | null;
  cameraName: string | null;
  placeId: string;
  /** names from the county down to the alert's place */
  placePath: string[];
  groupId: number | null;
  cameraCount: number | null;
  openedAt: Date;
  acknowledgedAt: Date | null;
  acknowledgedBy: string | null;
  acknowledgedByUsername: string | null;
  resolvedAt: Date | null;
}

export interface AlertWithChildren extends Alert {
  /** group alerts: the camera alerts folded into it */
  children?: Alert[];
}

export interface AlertHistoryEntry {
  feedId: number;
  kind: FeedKind;
  at: Date;
  actor: string | null;
  actorUsername: string | null;
  payload: Record<string, unknown>;
}

export interface AlertDetail extends AlertWithChildren {
  children: Alert[];
  history: AlertHistoryEntry[];
}

type AlertRow = Omit<Alert, 'placePath'>;

const COLUMNS = `a.id, a.kind, a.cause, a.severity, a.status, a.detail, a.camera_id AS "cameraId",
  c.name AS "cameraName", a.place_id AS "placeId", a.group_id AS "groupId",
  CASE WHEN a.kind = 'group'
       THEN COALESCE(a.camera_count, (SELECT count(*)::int FROM alerts f WHERE f.group_id = a.id)) END AS "cameraCount",
  a.opened_at AS "openedAt", a.acknowledged_at AS "acknowledgedAt", a.acknowledged_by AS "acknowledgedBy",
  u.username AS "acknowledgedByUsername", a.resolved_at AS "resolvedAt"`;

const FROM = `alerts a LEFT JOIN cameras c ON c.id = a.camera_id LEFT JOIN users u ON u.id = a.acknowledged_by`;

async function withPaths(q: Queryable, rows: AlertRow[]): Promise<Alert[]> {
  const paths = await placePaths(
    q,
    rows.map((r) => r.placeId),
  );
  return rows.map((r) => ({ ...r, placePath: paths.get(r.placeId)?.names ?? [] }));
}

async function childrenOf(q: Queryable, groupIds: readonly number[]): Promise<Map<number, Alert[]>> {
  const byGroup = new Map<number, Alert[]>();
  if (groupIds.length === 0) return byGroup;
  const { rows } = await q.query<AlertRow>(
    `SELECT ${COLUMNS} FROM ${FROM} WHERE a.group_id = ANY($1::bigint[]) ORDER BY a.opened_at, a.id`,
    [groupIds],
  );
  for (const child of await withPaths(q, rows)) {
    const list = byGroup.get(child.groupId as number) ?? [];
    list.push(child);
    byGroup.set(child.groupId as number, list);
  }
  return byGroup;
}

export interface AlertFilter {
  status?: AlertStatus[];
  cause?: AlertCause;
  severity?: Severity;
  /** opened at or after */
  since?: string;
  /** list folded camera alerts as rows of their own too */
  includeFolded?: boolean;
}

export async function listAlerts(
  q: Queryable,
  who: Principal,
  filter: AlertFilter,
  page: Page,
): Promise<PageOf<AlertWithChildren>> {
  const params = new Params();
  const where = [placeInScope(who, 'a.place_id', params)];
  if (filter.status?.length) where.push(`a.status = ANY(${params.p(filter.status)}::text[])`);
  if (filter.cause) where.push(`a.cause = ${params.p(filter.cause)}`);
  if (filter.severity) where.push(`a.severity = ${params.p(filter.severity)}`);
  if (filter.since) where.push(`a.opened_at >= ${params.p(filter.since)}`);
  if (!filter.includeFolded) {
    // a folded alert stays a row of its own for a caller who cannot see its group (a duty desk below it)
    where.push(`a.group_id IS NULL OR NOT EXISTS (SELECT 1 FROM alerts g WHERE g.id = a.group_id
                 AND ${placeInScope(who, 'g.place_id', params)})`);
  }
  const listed = await listPage<AlertRow, AlertRow>(q, {
    select: COLUMNS,
    from: FROM,
    where,
    orderBy: 'a.opened_at DESC, a.id DESC',
    params,
    page,
    map: (r) => r,
  });
  const items = await withPaths(q, listed.items);
  const children = await childrenOf(
    q,
    items.filter((a) => a.kind === 'group').map((a) => a.id),
  );
  return {
    ...listed,
    items: items.map((a) => (a.kind === 'group' ? { ...a, children: children.get(a.id) ?? [] } : a)),
  };
}

async function getAlertRow(q: Queryable, who: Principal, id: number, lock = false): Promise<AlertRow> {
  const params = new Params();
  const { rows } = await q.query<AlertRow>(
    `SELECT ${COLUMNS} FROM ${FROM}
      WHERE a.id = ${params.p(id)} AND ${placeInScope(who, 'a.place_id', params)}${lock ? ' FOR UPDATE OF a' : ''}`,
    params.values,
  );
  if (!rows[0]) throw new NotFoundError('alert', String(id));
  return rows[0];
}

/** One alert with its folded camera alerts and its life as the feed recorded it (404 outside scope). */
export async function getAlert(q: Queryable, who: Principal, id: number): Promise<AlertDetail> {
  const [alert] = await withPaths(q, [await getAlertRow(q, who, id)]);
  const children = alert?.kind === 'group' ? ((await childrenOf(q, [id])).get(id) ?? []) : [];
  const { rows } = await q.query<AlertHistoryEntry>(
    `SELECT f.id AS "feedId", f.kind, f.at, f.actor, u.username AS "actorUsername", f.payload
       FROM alert_feed f LEFT JOIN users u ON u.id = f.actor
      WHERE f.alert_id = $1 ORDER BY f.id`,
    [id],
  );
  return { ...(alert as Alert), children, history: rows };
}

/** The feed payload of an alert as it stands (see the alert stage for the fields). */
export function alertPayload(alert: Alert, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    alertId: alert.id,
    alertKind: alert.kind,
    cause: alert.cause,
    severity: alert.severity,
    status: alert.status,
    detail: alert.detail,
    cameraId: alert.cameraId,
    cameraName: alert.cameraName,
    cameraCount: alert.cameraCount,
    groupId: alert.groupId,
    placeId: alert.placeId,
    placePath: alert.placePath,
    openedAt: alert.openedAt.toISOString(),
    ...extra,
  };
}

/**
 * Acknowledges an alert, and a group's open camera alerts with it: one 'acknowledged' feed entry each, in the
 * same transaction. 409 when it is resolved or already acknowledged. Returns the last feed id written: nudge
 * the feed with it after commit.
 */
export async function acknowledgeAlert(
  tx: DbClient,
  who: Principal,
  id: number,
  note: string | null,
): Promise<number> {
  const current = await getAlertRow(tx, who, id, true);
  if (current.status !== 'open') {
    const by = current.acknowledgedByUsername ? ` by ${current.acknowledgedByUsername}` : '';
    throw new ConflictError(
      `alert ${id} is already ${current.status}${current.status === 'acknowledged' ? by : ''}`,
    );
  }
  const { rows: changed } = await tx.query<{ id: number }>(
    `UPDATE alerts SET status = 'acknowledged', acknowledged_by = $2, acknowledged_at = now()
      WHERE id = $1 OR (group_id = $1 AND status = 'open')
      RETURNING id`,
    [id, who.userId],
  );
  const childIds = changed.map((r) => r.id).filter((c) => c !== id);
  const { rows } = await tx.query<AlertRow>(
    `SELECT ${COLUMNS} FROM ${FROM} WHERE a.id = ANY($1::bigint[]) ORDER BY (a.id = $2) DESC, a.id`,
    [[id, ...childIds], id],
  );
  const at = new Date();
  const extra = { by: who.username, ...(note ? { note } : {}) };
  const entries: FeedAppend[] = (await withPaths(tx, rows)).map((a) => ({
    alertId: a.id,
    kind: 'acknowledged',
    at,
    actor: who.userId,
    placeId: a.placeId,
    severity: a.severity,
    payload: alertPayload(a, extra),
  }));
  const feedIds = await appendFeed(tx, entries);
  await audit(tx, who, 'acknowledge', 'alert', String(id), {
    ...(note ? { note } : {}),
    ...(childIds.length > 0 ? { children: childIds } : {}),
  });
  return Math.max(...feedIds);
}

export interface StoredAlertRule {
  cause: AlertCause;
  enabled: boolean;
  severity: Severity;
  /** false while the cause keeps the default of src/alerting/rules.ts */
  configured: boolean;
  updatedBy: string | null;
  updatedAt: Date | null;
}

export async function listAlertRules(q: Queryable): Promise<StoredAlertRule[]> {
  const { rows } = await q.query<{
    cause: AlertCause;
    enabled: boolean;
    severity: Severity;
    updated_by: string | null;
    updated_at: Date;
  }>('SELECT cause, enabled, severity, updated_by, updated_at FROM alert_rules');
  const stored = new Map(rows.map((r) => [r.cause, r]));
  return ALERT_CAUSES.map((cause) => {
    const r = stored.get(cause);
    return r
      ? {
          cause,
          enabled: r.enabled,
          severity: r.severity,
          configured: true,
          updatedBy: r.updated_by,
          updatedAt: r.updated_at,
        }
      : { cause, ...DEFAULT_ALERT_RULES[cause], configured: false, updatedBy: null, updatedAt: null };
  });
}

/** The rules the alert stage applies (one implementation, in rules-repo.ts). */
export { loadAlertRules } from './rules-repo.js';

export async function setAlertRule(
  tx: DbClient,
  who: Principal,
  cause: AlertCause,
  rule: { enabled: boolean; severity: Severity },
): Promise<StoredAlertRule> {
  const before = (await listAlertRules(tx)).find((r) => r.cause === cause);
  await tx.query(
    `INSERT INTO alert_rules (cause, enabled, severity, updated_by, updated_at) VALUES ($1, $2, $3, $4, now())
     ON CONFLICT (cause) DO UPDATE
       SET enabled = EXCLUDED.enabled, severity = EXCLUDED.severity, updated_by = EXCLUDED.updated_by,
           updated_at = EXCLUDED.updated_at`,
    [cause, rule.enabled, rule.severity, who.userId],
  );
  await audit(tx, who, 'update', 'alert_rule', cause, {
    before: before ? { enabled: before.enabled, severity: before.severity } : null,
    after: rule,
  });
  const after = (await listAlertRules(tx)).find((r) => r.cause === cause);
  return after as StoredAlertRule;
}
