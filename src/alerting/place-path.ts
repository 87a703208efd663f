import type { Queryable } from '../db.js';

/** A node of the district tree as people read it: its names from the county down, e.g. 彭阳县 / 白阳镇 / … */
export interface PlacePath {
  ids: string[];
  names: string[];
  kinds: string[];
}

/** The paths of the given nodes (districts, villages or sites), one query for all of them. */
export async function placePaths(q: Queryable, placeIds: readonly string[]): Promise<Map<string, PlacePath>> {
  const unique = [...new Set(placeIds)];
  const paths = new Map<string, PlacePath>();
  if (unique.length === 0) return paths;
  const { rows } = await q.query<{ id: string; ids: string[]; names: string[]; kinds: string[] }>(
    `SELECT d.id, d.ancestors AS ids,
            array_agg(a.name ORDER BY p.n) AS names, array_agg(a.kind::text ORDER BY p.n) AS kinds
       FROM districts d
       CROSS JOIN LATERAL unnest(d.ancestors) WITH ORDINALITY AS p(id, n)
       JOIN districts a ON a.id = p.id
      WHERE d.id = ANY($1::uuid[])
      GROUP BY d.id, d.ancestors`,
    [unique],
  );
  for (const r of rows) paths.set(r.id, { ids: r.ids, names: r.names, kinds: r.kinds });
  return paths;
}
