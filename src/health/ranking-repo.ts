/**
 * The availability ranking of one level of the tree within a caller's scope: the level's nodes, then all
 * their figures read together (nodeFiguresByNode) — the same figures GET /availability gives each node.
 */
import type { Principal } from '../auth/policy.js';
import { placeInScope } from '../auth/scope.js';
import type { Queryable } from '../db.js';
import { Params } from '../sql.js';
import type { Bounds } from './calendar.js';
import { type NodeFigures, nodeFiguresByNode } from './node-figures.js';
import {
  kindsOfLevel,
  type RankedNode,
  type RankingKind,
  type RankingRow,
  rankingRow,
  worstFirst,
} from './ranking.js';

/** The nodes of a level the caller may see, with their parents' names. */
export async function levelNodes(db: Queryable, who: Principal, kind: RankingKind): Promise<RankedNode[]> {
  const params = new Params();
  const { rows } = await db.query<RankedNode>(
    `SELECT d.id AS "nodeId", d.kind, d.name, d.parent_id AS "parentId", p.name AS "parentName"
       FROM districts d LEFT JOIN districts p ON p.id = d.parent_id
      WHERE d.kind = ANY(${params.p(kindsOfLevel(kind))}::district_kind[]) AND ${placeInScope(who, 'd.id', params)}`,
    params.values,
  );
  return rows;
}

/** The level's nodes in the caller's scope, worst effective rate first. */
export async function availabilityRanking(
  db: Queryable,
  who: Principal,
  kind: RankingKind,
  window: Bounds,
  opts: { now: Date; timeZone: string; target: number },
): Promise<RankingRow[]> {
  const nodes = await levelNodes(db, who, kind);
  const figures = await nodeFiguresByNode(
    db,
    nodes.map((n) => n.nodeId),
    window,
    opts.now,
    opts.timeZone,
  );
  // every node asked for has its figures
  const rows = nodes.map((n) => rankingRow(n, figures.get(n.nodeId) as NodeFigures, opts.target));
  return worstFirst(rows);
}
