/**
 * SLA and open-fault reports, each within the reader's scope. Per contractor: the tickets opened in a period and
 * how they went. Per police district: the faults open now.
 */
import { placePaths } from '../alerting/place-path.js';
import type { Principal } from '../auth/policy.js';
import { placeInScope } from '../auth/scope.js';
import type { Queryable } from '../db.js';
import { ForbiddenError, NotFoundError } from '../errors.js';
import { Params } from '../sql.js';
import { type ContractorFigures, contractorFigures, type ReportTicket, type TicketStatus } from './rules.js';
import { earliest, externalCauseOf, SLA_START_SQL } from './sla-reads.js';
import { ticketInScope } from './tickets-read.js';

export interface ContractorReportRow extends ContractorFigures {
  contractorId: string;
  contractorName: string;
}

/**
 * One row per contractor: the bureau sees all of them, a contractor its own, a duty desk those with tickets on
 * cameras under its node, counting only those tickets.
 */
export async function contractorReport(
  q: Queryable,
  who: Principal,
  period: { from: Date; to: Date },
  now = new Date(),
): Promise<ContractorReportRow[]> {
  const params = new Params();
  const { rows } = await q.query<{
    contractorId: string;
    cameraId: string;
    status: TicketStatus;
    slaStart: Date;
    nominalDue: Date;
    acknowledgedAt: Date | null;
    restoredAt: Date | null;
  }>(
    `SELECT t.contractor_id AS "contractorId", t.camera_id AS "cameraId", t.status,
            ${SLA_START_SQL} AS "slaStart", t.sla_due_at AS "nominalDue", t.acknowledged_at AS "acknowledgedAt",
            (SELECT max(e.at) FROM ticket_events e WHERE e.ticket_id = t.id AND e.kind = 'restored') AS "restoredAt"
       FROM tickets t JOIN cameras c ON c.id = t.camera_id
      WHERE t.opened_at >= ${params.p(period.from)} AND t.opened_at < ${params.p(period.to)}
        AND ${ticketInScope(who, params)}`,
    params.values,
  );
  const excluded = await externalCauseOf(
    q,
    rows.map((r) => r.cameraId),
    earliest(
      rows.map((r) => r.slaStart),
      now,
    ),
  );
  const byContractor = new Map<string, ReportTicket[]>();
  for (const r of rows) {
    const list = byContractor.get(r.contractorId) ?? [];
    list.push({
      clock: { start: r.slaStart, nominalDue: r.nominalDue },
      excluded: excluded.get(r.cameraId) ?? [],
      status: r.status,
      acknowledgedAt: r.acknowledgedAt,
      // a reopened ticket's earlier restoration does not count for its current cycle
      restoredAt: r.status === 'closed' ? r.restoredAt : null,
    });
    byContractor.set(r.contractorId, list);
  }
  const contractors = await q.query<{ id: string; name: string }>(
    `SELECT id, name FROM contractors
      WHERE ($1::text IN ('admin', 'bureau') OR id = ANY ($2::uuid[])) ORDER BY name`,
    [who.role, [...byContractor.keys(), ...(who.contractorId ? [who.contractorId] : [])]],
  );
  return contractors.rows.map((k) => ({
    contractorId: k.id,
    contractorName: k.name,
    ...contractorFigures(byContractor.get(k.id) ?? [], now),
  }));
}

export interface OpenFaultsRow {
  districtId: string;
  name: string;
  placePath: string[];
  openAlerts: { critical: number; major: number; minor: number };
  oldestOpenedAt: Date | null;
  oldestAgeMinutes: number | null;
  openTickets: number;
}

/** SQL: the district `alias` and the node `nodeSql` lie on one path from the county, either under the other. */
function onOnePath(alias: string, nodeSql: string): string {
  return `EXISTS (SELECT 1 FROM districts n WHERE n.id = ${nodeSql}::uuid
            AND (n.ancestors @> ARRAY[${alias}.id] OR ${alias}.ancestors @> ARRAY[n.id]))`;
}

/** A duty desk may narrow the report to a node in or above its own; 404 otherwise. */
async function assertVisible(q: Queryable, who: Principal, districtId: string): Promise<void> {
  const params = new Params();
  const scope = who.role === 'duty' ? onOnePath('d', params.p(who.scopeDistrictId)) : 'TRUE';
  const { rows } = await q.query(
    `SELECT 1 FROM districts d WHERE d.id = ${params.p(districtId)} AND ${scope}`,
    params.values,
  );
  if (rows.length === 0) throw new NotFoundError('district', districtId);
}

/**
 * Per police district, the camera alerts and tickets open now. A duty desk gets the police districts in or
 * above its node, counting only what lies under its node; contractors follow tickets, not alerts (403).
 */
export async function openFaultsReport(
  q: Queryable,
  who: Principal,
  districtId: string | undefined,
  now = new Date(),
): Promise<OpenFaultsRow[]> {
  if (who.role === 'contractor')
    throw new ForbiddenError('contractors follow their tickets, not open faults');
  if (districtId) await assertVisible(q, who, districtId);
  const params = new Params();
  const scopeNode = who.role === 'duty' ? params.p(who.scopeDistrictId) : null;
  const under = districtId ? params.p(districtId) : null;
  const alertScope = placeInScope(who, 'a.place_id', params);
  const ticketScope = placeInScope(who, 'c.site_id', params);
  const { rows } = await q.query<{
    districtId: string;
    name: string;
    critical: number;
    major: number;
    minor: number;
    oldestOpenedAt: Date | null;
    openTickets: number;
  }>(
    `SELECT pd.id AS "districtId", pd.name, al.critical, al.major, al.minor, al.oldest AS "oldestOpenedAt",
            tk.n AS "openTickets"
       FROM districts pd
       CROSS JOIN LATERAL (
         SELECT count(*) FILTER (WHERE a.severity = 'critical') AS critical,
                count(*) FILTER (WHERE a.severity = 'major') AS major,
                count(*) FILTER (WHERE a.severity = 'minor') AS minor, min(a.opened_at) AS oldest
           FROM alerts a JOIN districts ap ON ap.id = a.place_id
          WHERE a.kind = 'camera' AND a.status <> 'resolved' AND ap.ancestors @> ARRAY[pd.id] AND ${alertScope}) al
       CROSS JOIN LATERAL (
         SELECT count(*) AS n FROM tickets t JOIN cameras c ON c.id = t.camera_id JOIN districts cs ON cs.id = c.site_id
          WHERE t.status <> 'closed' AND cs.ancestors @> ARRAY[pd.id] AND ${ticketScope}) tk
      WHERE pd.kind = 'police_district'
        ${scopeNode ? `AND ${onOnePath('pd', scopeNode)}` : ''}
        ${under ? `AND ${onOnePath('pd', under)}` : ''}
      ORDER BY pd.name`,
    params.values,
  );
  const paths = await placePaths(
    q,
    rows.map((r) => r.districtId),
  );
  return rows.map((r) => ({
    districtId: r.districtId,
    name: r.name,
    placePath: paths.get(r.districtId)?.names ?? [],
    openAlerts: { critical: r.critical, major: r.major, minor: r.minor },
    oldestOpenedAt: r.oldestOpenedAt,
    oldestAgeMinutes:
      r.oldestOpenedAt === null ? null : Math.floor((now.getTime() - r.oldestOpenedAt.getTime()) / 60_000),
    openTickets: r.openTickets,
  }));
}
