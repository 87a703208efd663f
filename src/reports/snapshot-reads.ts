/**
 * Reads a month's figures the way GET /availability and GET /reports/contractors read them (nodeFigures,
 * contractorReport), county-wide, and shapes them into the report kept for the month.
 */
import { systemPrincipal } from '../auth/policy.js';
import type { Queryable } from '../db.js';
import { localMonthBounds } from '../health/calendar.js';
import { nodeFigures, nodeFiguresByNode } from '../health/node-figures.js';
import { worstFirst } from '../health/ranking.js';
import { EFFECTIVE_TARGET } from '../health/types.js';
import { contractorReport } from '../tickets/reports-repo.js';
import { areaFigures, dayFigures, type MonthlySnapshot } from './snapshot.js';

interface AreaNode {
  id: string;
  name: string;
  kind: 'county' | 'town' | 'township' | 'police_district';
  parentName: string | null;
}

async function areaNodes(db: Queryable): Promise<AreaNode[]> {
  const { rows } = await db.query<AreaNode>(
    `SELECT d.id, d.name, d.kind, p.name AS "parentName"
       FROM districts d LEFT JOIN districts p ON p.id = d.parent_id
      WHERE d.kind IN ('county', 'town', 'township', 'police_district')
      ORDER BY d.created_at, d.id`,
  );
  return rows;
}

/** The month's report as of `now`; null when there is no county in the tree yet. */
export async function readMonthlySnapshot(
  db: Queryable,
  month: string,
  now: Date,
  timeZone: string,
): Promise<MonthlySnapshot | null> {
  const nodes = await areaNodes(db);
  const county = nodes.find((n) => n.kind === 'county');
  if (!county) return null;
  const window = localMonthBounds(month, timeZone);
  // one level of the tree at a time: its nodes' subtrees do not overlap, so one bulk read serves them all
  const areasOf = async (kinds: readonly AreaNode['kind'][]) => {
    const level = nodes.filter((n) => kinds.includes(n.kind));
    const figures = await nodeFiguresByNode(
      db,
      level.map((n) => n.id),
      window,
      now,
      timeZone,
    );
    return worstFirst(
      level.map((node) => {
        const f = figures.get(node.id);
        if (!f) throw new Error(`no figures for node ${node.id}`);
        return areaFigures({
          nodeId: node.id,
          name: node.name,
          parentName: node.parentName,
          cameras: f.cameras,
          total: f.total,
        });
      }),
    );
  };
  const countyFigures = await nodeFigures(db, county.id, window, now, timeZone);
  return {
    month,
    timeZone,
    from: window.from.toISOString(),
    to: window.to.toISOString(),
    target: EFFECTIVE_TARGET,
    county: areaFigures({
      nodeId: county.id,
      name: county.name,
      parentName: null,
      cameras: countyFigures.cameras,
      total: countyFigures.total,
    }),
    towns: await areasOf(['town', 'township']),
    policeDistricts: await areasOf(['police_district']),
    days: dayFigures(countyFigures.byDay),
    contractors: await contractorReport(db, systemPrincipal, window, now),
  };
}
