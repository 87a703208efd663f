import { get, type Page, type Query } from './api';

/** Every row of a list, fetched a page of 500 at a time; `progress(done, total)` after each page. */
export async function fetchAll<T>(
  path: string,
  query: Query,
  progress: (done: number, total: number) => void,
  signal?: { cancelled: boolean },
): Promise<T[]> {
  const rows: T[] = [];
  for (;;) {
    const page = await get<Page<T>>(path, { ...query, limit: 500, offset: rows.length });
    rows.push(...page.items);
    progress(rows.length, page.total);
    if (signal?.cancelled || page.items.length === 0 || rows.length >= page.total) return rows;
  }
}
