/** Collects positional parameters while a query is assembled: `sql.p(value)` returns `$n`. */
export class Params {
  readonly values: unknown[] = [];

  p(value: unknown): string {
    this.values.push(value);
    return `$${this.values.length}`;
  }
}

export interface Page {
  limit: number;
  offset: number;
}

export interface PageOf<T> {
  items: T[];
  total: number;
  limit: number;
  offset: number;
}

/** Escapes LIKE wildcards so a search for "50%" finds "50%". */
export function likePattern(text: string): string {
  return `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

interface ListQuery<Row, T> {
  /** columns of the SELECT list */
  select: string;
  /** FROM clause with its joins */
  from: string;
  where: string[];
  orderBy: string;
  params: Params;
  page: Page;
  map: (row: Row) => T;
}

/** One page of a list and the total that matches, in one round trip (plus one more for a page past the end). */
export async function listPage<Row extends object, T>(
  q: { query: (text: string, values: unknown[]) => Promise<{ rows: unknown[] }> },
  l: ListQuery<Row, T>,
): Promise<PageOf<T>> {
  const where = l.where.length > 0 ? `WHERE ${l.where.map((w) => `(${w})`).join(' AND ')}` : '';
  const limit = l.params.p(l.page.limit);
  const offset = l.params.p(l.page.offset);
  const { rows } = await q.query(
    `SELECT ${l.select}, count(*) OVER () AS total_count FROM ${l.from} ${where}
      ORDER BY ${l.orderBy} LIMIT ${limit} OFFSET ${offset}`,
    l.params.values,
  );
  const typed = rows as (Row & { total_count: number })[];
  let total = typed[0]?.total_count ?? 0;
  if (typed.length === 0 && l.page.offset > 0) {
    const counted = await q.query(
      `SELECT count(*) AS n FROM ${l.from} ${where}`,
      l.params.values.slice(0, -2),
    );
    total = (counted.rows[0] as { n: number }).n;
  }
  return { items: typed.map(l.map), total, limit: l.page.limit, offset: l.page.offset };
}
