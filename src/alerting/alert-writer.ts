/**
 * Stores what the alert rules and the grouping decide for a batch of health events, inside the stage's
 * transaction, and collects the feed entries that tell the consoles about it (appended in one go at the end,
 * their payloads read from the stored rows so that they show the final count of a group).
 */
import type { DbClient } from '../db.js';
import type { FeedAppend, FeedKind } from './feed-repo.js';
import { type GroupingRules, planGrouping, type RecentOffline } from './grouping.js';
import type { HealthEvent } from './health-events.js';
import { placePaths } from './place-path.js';
import { type AlertCause, type AlertRules, decideAlerts, type Severity } from './rules.js';

interface Intent {
  alertId: number;
  kind: FeedKind;
  at: Date;
  extra?: Record<string, unknown>;
}

interface OpenGroup {
  alertId: number;
  nodeId: string;
}

export class AlertWriter {
  private readonly intents: Intent[] = [];
  private recent: RecentOffline[] | null = null;
  private groups: Map<string, OpenGroup> | null = null;
  private camerasUnder: Map<string, number> | null = null;
  /** the causes of each camera's unresolved alerts, read once per camera and kept up to date here */
  private readonly openByCamera = new Map<string, Set<AlertCause>>();
  /** groups that took cameras in this batch (one count update each) or lost some (maybe resolved) */
  private readonly grown = new Map<number, Date>();
  private readonly shrunk = new Map<number, Date>();

  constructor(
    private readonly tx: DbClient,
    private readonly rules: Readonly<AlertRules>,
    private readonly grouping: GroupingRules,
  ) {}

  /** Reads the unresolved alerts of a batch's cameras in one query (the events then need none each). */
  async preload(cameraIds: readonly string[]): Promise<void> {
    const ids = [...new Set(cameraIds)].filter((id) => !this.openByCamera.has(id));
    if (ids.length === 0) return;
    for (const id of ids) this.openByCamera.set(id, new Set());
    const { rows } = await this.tx.query<{ camera_id: string; cause: AlertCause }>(
      `SELECT camera_id, cause FROM alerts
        WHERE kind = 'camera' AND camera_id = ANY($1::uuid[]) AND status <> 'resolved'`,
      [ids],
    );
    for (const r of rows) this.openByCamera.get(r.camera_id)?.add(r.cause);
  }

  /** Applies one health event: opens its fault's alert (grouped when it is one of many), resolves the rest. */
  async apply(event: HealthEvent): Promise<void> {
    const open = await this.openCauses(event.cameraId);
    const decision = decideAlerts(event, new Set(open), this.rules);
    for (const cause of decision.resolve) await this.resolve(event, cause);
    for (const o of decision.open) {
      if (o.cause === 'offline') await this.openOffline(event, o.severity, o.detail);
      else await this.openAlone(event.cameraId, event.siteId, o.cause, o.severity, o.detail, event.at);
    }
  }

  /** Opens a camera alert that is not about the health state (session limit); no-op if one is open. */
  async openStandalone(
    cameraId: string,
    siteId: string,
    cause: AlertCause,
    detail: string | null,
    at: Date,
  ): Promise<void> {
    const rule = this.rules[cause];
    if (!rule.enabled || (await this.openCauses(cameraId)).has(cause)) return;
    await this.openAlone(cameraId, siteId, cause, rule.severity, detail, at);
  }

  async resolveCause(cameraId: string, cause: AlertCause, at: Date): Promise<void> {
    await this.resolve({ cameraId, at }, cause);
  }

  private async openCauses(cameraId: string): Promise<Set<AlertCause>> {
    await this.preload([cameraId]);
    return this.openByCamera.get(cameraId) as Set<AlertCause>;
  }

  private async insertCameraAlert(
    cameraId: string,
    siteId: string,
    cause: AlertCause,
    severity: Severity,
    detail: string | null,
    at: Date,
    groupId: number | null,
  ): Promise<number> {
    const { rows } = await this.tx.query<{ id: string }>(
      `INSERT INTO alerts (kind, camera_id, place_id, cause, severity, detail, opened_at, group_id)
       VALUES ('camera', $1, $2, $3, $4, $5, $6, $7) RETURNING id`,
      [cameraId, siteId, cause, severity, detail, at, groupId],
    );
    this.openByCamera.get(cameraId)?.add(cause);
    return Number(rows[0]?.id);
  }

  private async openAlone(
    cameraId: string,
    siteId: string,
    cause: AlertCause,
    severity: Severity,
    detail: string | null,
    at: Date,
  ): Promise<number> {
    const id = await this.insertCameraAlert(cameraId, siteId, cause, severity, detail, at, null);
    this.intents.push({ alertId: id, kind: 'opened', at });
    return id;
  }

  private async resolve(event: Pick<HealthEvent, 'cameraId' | 'at'>, cause: AlertCause): Promise<void> {
    const { rows } = await this.tx.query<{ id: string; group_id: string | null }>(
      `UPDATE alerts SET status = 'resolved', resolved_at = greatest(opened_at, $3)
        WHERE kind = 'camera' AND camera_id = $1 AND cause = $2 AND status <> 'resolved'
        RETURNING id, group_id`,
      [event.cameraId, cause, event.at],
    );
    this.openByCamera.get(event.cameraId)?.delete(cause);
    for (const r of rows) {
      const id = Number(r.id);
      this.intents.push({ alertId: id, kind: 'resolved', at: event.at });
      if (r.group_id !== null) this.shrunk.set(Number(r.group_id), event.at);
      if (this.recent) this.recent = this.recent.filter((x) => x.alertId !== id);
    }
  }

  private async loadGroupingState(path: readonly string[]): Promise<void> {
    if (this.recent && this.groups && this.camerasUnder) return;
    const county = path[0];
    const recent = await this.tx.query<{
      id: string;
      path: string[];
      opened_at: Date;
      group_node: string | null;
    }>(
      `SELECT a.id, d.ancestors AS path, a.opened_at, g.place_id AS group_node
         FROM alerts a JOIN districts d ON d.id = a.place_id LEFT JOIN alerts g ON g.id = a.group_id
        WHERE a.kind = 'camera' AND a.cause = 'offline' AND a.status <> 'resolved' AND d.ancestors[1] = $1`,
      [county],
    );
    this.recent = recent.rows.map((r) => ({
      alertId: Number(r.id),
      path: r.path,
      openedAt: r.opened_at,
      groupNodeId: r.group_node,
    }));
    const groups = await this.tx.query<{ id: string; place_id: string }>(
      `SELECT id, place_id FROM alerts WHERE kind = 'group' AND status <> 'resolved'`,
    );
    this.groups = new Map(
      groups.rows.map((r) => [r.place_id, { alertId: Number(r.id), nodeId: r.place_id }]),
    );
    const counts = await this.tx.query<{ node: string; n: string }>(
      `SELECT node, count(*) AS n
         FROM cameras c JOIN districts d ON d.id = c.site_id CROSS JOIN LATERAL unnest(d.ancestors) AS node
        WHERE c.retired_at IS NULL AND d.ancestors[1] = $1
        GROUP BY node`,
      [county],
    );
    this.camerasUnder = new Map(counts.rows.map((r) => [r.node, Number(r.n)]));
  }

  private async openOffline(event: HealthEvent, severity: Severity, detail: string | null): Promise<void> {
    await this.loadGroupingState(event.path);
    const recent = this.recent as RecentOffline[];
    const groups = this.groups as Map<string, OpenGroup>;
    const plan = planGrouping({
      path: event.path,
      at: event.at,
      recent,
      camerasUnder: this.camerasUnder as Map<string, number>,
      openGroupNodes: new Set(groups.keys()),
      rules: this.grouping,
    });
    if (plan.kind === 'alone') {
      const id = await this.openAlone(event.cameraId, event.siteId, 'offline', severity, detail, event.at);
      recent.push({ alertId: id, path: event.path, openedAt: event.at, groupNodeId: null });
      return;
    }
    let group = groups.get(plan.nodeId);
    if (!group) {
      const { rows } = await this.tx.query<{ id: string; kind: string }>(
        `INSERT INTO alerts (kind, place_id, cause, severity, detail, opened_at, camera_count)
         SELECT 'group', d.id, 'offline', $2, d.kind::text || '_down', $3, 0 FROM districts d WHERE d.id = $1
         RETURNING id`,
        [plan.nodeId, this.rules.offline.severity, event.at],
      );
      group = { alertId: Number(rows[0]?.id), nodeId: plan.nodeId };
      groups.set(plan.nodeId, group);
      this.intents.push({ alertId: group.alertId, kind: 'grouped', at: event.at });
    } else {
      this.grown.set(group.alertId, event.at);
    }
    for (const node of plan.supersede) await this.supersedeGroup(node, group, event.at);
    if (plan.absorb.length > 0) {
      await this.tx.query('UPDATE alerts SET group_id = $1 WHERE id = ANY($2::bigint[])', [
        group.alertId,
        plan.absorb,
      ]);
      for (const id of plan.absorb) {
        this.intents.push({ alertId: id, kind: 'superseded', at: event.at, extra: { by: group.alertId } });
      }
      for (const r of recent) if (plan.absorb.includes(r.alertId)) r.groupNodeId = plan.nodeId;
    }
    const id = await this.insertCameraAlert(
      event.cameraId,
      event.siteId,
      'offline',
      severity,
      detail,
      event.at,
      group.alertId,
    );
    recent.push({ alertId: id, path: event.path, openedAt: event.at, groupNodeId: plan.nodeId });
  }

  /** A larger group takes over a smaller one: its cameras move up, and the smaller group is closed. */
  private async supersedeGroup(nodeId: string, by: OpenGroup, at: Date): Promise<void> {
    const groups = this.groups as Map<string, OpenGroup>;
    const old = groups.get(nodeId);
    if (!old) return;
    await this.tx.query(`UPDATE alerts SET group_id = $1 WHERE group_id = $2 AND status <> 'resolved'`, [
      by.alertId,
      old.alertId,
    ]);
    await this.tx.query(
      `UPDATE alerts SET status = 'resolved', resolved_at = greatest(opened_at, $2), camera_count = 0
        WHERE id = $1`,
      [old.alertId, at],
    );
    groups.delete(nodeId);
    for (const r of this.recent ?? []) if (r.groupNodeId === nodeId) r.groupNodeId = by.nodeId;
    this.intents.push({ alertId: old.alertId, kind: 'superseded', at, extra: { by: by.alertId } });
  }

  /** Settles group counts, resolves groups left without an open camera, and returns the feed entries. */
  async finish(): Promise<FeedAppend[]> {
    for (const [groupId, at] of this.shrunk) {
      const { rows } = await this.tx.query<{ id: string }>(
        `UPDATE alerts g SET status = 'resolved', resolved_at = greatest(g.opened_at, $2)
          WHERE g.id = $1 AND g.status <> 'resolved'
            AND NOT EXISTS (SELECT 1 FROM alerts c WHERE c.group_id = g.id AND c.status <> 'resolved')
          RETURNING id`,
        [groupId, at],
      );
      if (rows.length > 0) {
        this.intents.push({ alertId: groupId, kind: 'resolved', at });
        this.grown.delete(groupId);
      } else if (!this.grown.has(groupId)) {
        this.grown.set(groupId, at);
      }
    }
    for (const [groupId, at] of this.grown) {
      if (!this.intents.some((i) => i.alertId === groupId && i.kind === 'grouped')) {
        this.intents.push({ alertId: groupId, kind: 'grouped', at, extra: { update: true } });
      }
    }
    const touchedGroups = [...new Set([...this.grown.keys(), ...this.intents.map((i) => i.alertId)])];
    await this.tx.query(
      `UPDATE alerts g SET camera_count =
         (SELECT count(*) FROM alerts c WHERE c.group_id = g.id AND c.status <> 'resolved')
        WHERE g.id = ANY($1::bigint[]) AND g.kind = 'group' AND g.status <> 'resolved'`,
      [touchedGroups],
    );
    return this.feedEntries();
  }

  /** The nodes on the paths of each group's cameras, resolved ones included (their desks saw them go). */
  private async groupReach(groupIds: number[]): Promise<Map<number, string[]>> {
    if (groupIds.length === 0) return new Map();
    const { rows } = await this.tx.query<{ group_id: string; nodes: string[] }>(
      `SELECT c.group_id, array_agg(DISTINCT node) AS nodes
         FROM alerts c JOIN districts d ON d.id = c.place_id CROSS JOIN LATERAL unnest(d.ancestors) AS node
        WHERE c.group_id = ANY($1::bigint[]) GROUP BY c.group_id`,
      [groupIds],
    );
    return new Map(rows.map((r) => [Number(r.group_id), r.nodes]));
  }

  private async feedEntries(): Promise<FeedAppend[]> {
    if (this.intents.length === 0) return [];
    const ids = [...new Set(this.intents.map((i) => i.alertId))];
    const { rows } = await this.tx.query<AlertRow>(
      `SELECT a.id, a.kind, a.camera_id, c.name AS camera_name, a.place_id, a.cause, a.severity, a.detail,
              a.group_id, a.camera_count, a.opened_at
         FROM alerts a LEFT JOIN cameras c ON c.id = a.camera_id WHERE a.id = ANY($1::bigint[])`,
      [ids],
    );
    const byId = new Map(rows.map((r) => [Number(r.id), r]));
    const under = await this.groupReach(rows.filter((r) => r.kind === 'group').map((r) => Number(r.id)));
    const paths = await placePaths(
      this.tx,
      rows.map((r) => r.place_id),
    );
    return this.intents.flatMap((intent) => {
      const row = byId.get(intent.alertId);
      if (!row) return [];
      const status = intent.kind === 'opened' || intent.kind === 'grouped' ? 'open' : 'resolved';
      return [
        {
          alertId: intent.alertId,
          kind: intent.kind,
          at: intent.at,
          placeId: row.place_id,
          severity: row.severity,
          alsoVisibleUnder: under.get(intent.alertId) ?? [],
          payload: {
            ...alertPayload(row, paths.get(row.place_id)?.names ?? []),
            status,
            ...intent.extra,
          },
        },
      ];
    });
  }
}

interface AlertRow {
  id: string;
  kind: 'camera' | 'group';
  camera_id: string | null;
  camera_name: string | null;
  place_id: string;
  cause: AlertCause;
  severity: Severity;
  detail: string | null;
  group_id: string | null;
  camera_count: number | null;
  opened_at: Date;
}

function alertPayload(row: AlertRow, placePath: string[]): Record<string, unknown> {
  return {
    alertId: Number(row.id),
    alertKind: row.kind,
    cause: row.cause,
    severity: row.severity,
    detail: row.detail,
    cameraId: row.camera_id,
    cameraName: row.camera_name,
    cameraCount: row.camera_count,
    groupId: row.group_id === null ? null : Number(row.group_id),
    placeId: row.place_id,
    placePath,
    openedAt: row.opened_at.toISOString(),
  };
}
