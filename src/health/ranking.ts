/**
 * Ranking the nodes of one level of the tree by their availability over a window. Pure: no database.
 */
import { type Availability, type Rates, rates } from './availability.js';

/** The levels a ranking is made of: the town level (towns and townships alike) or the police districts. */
export const RANKING_KINDS = ['town', 'police_district'] as const;
export type RankingKind = (typeof RANKING_KINDS)[number];

const KINDS_OF_LEVEL: Record<RankingKind, readonly string[]> = {
  town: ['town', 'township'],
  police_district: ['police_district'],
};

/** The node kinds a ranking of that level takes in. */
export function kindsOfLevel(kind: RankingKind): readonly string[] {
  return KINDS_OF_LEVEL[kind];
}

export interface RankedNode {
  nodeId: string;
  kind: string;
  name: string;
  parentId: string | null;
  parentName: string | null;
}

export interface RankingRow extends RankedNode {
  cameras: number;
  meetsTarget: boolean | null;
  figures: Availability & Rates;
}

/** A node's row: its figures with their rates, and whether its effective rate meets the target (null: none). */
export function rankingRow(
  node: RankedNode,
  figures: { cameras: number; total: Availability },
  target: number,
): RankingRow {
  const r = rates(figures.total);
  return {
    ...node,
    cameras: figures.cameras,
    meetsTarget: r.effectiveRate === null ? null : r.effectiveRate >= target,
    figures: { ...figures.total, ...r },
  };
}

const byText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * Worst effective rate first; nodes with no scheduled time (no rate) last; ties by name, then id, so the
 * order never depends on the order the rows came in. Rankings and the monthly report's areas alike.
 */
export function worstFirst<
  T extends { nodeId: string; name: string; figures: { effectiveRate: number | null } },
>(rows: readonly T[]): T[] {
  return [...rows].sort((a, b) => {
    const x = a.figures.effectiveRate;
    const y = b.figures.effectiveRate;
    if (x !== y) {
      if (x === null) return 1;
      if (y === null) return -1;
      return x - y;
    }
    return byText(a.name, b.name) || byText(a.nodeId, b.nodeId);
  });
}
