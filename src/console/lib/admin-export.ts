import { get, type Page, type Query } from './api';
import { saveFile } from './export-save';

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

/** Offers text as a file download; CSV gets a BOM so spreadsheets read the Chinese right. */
export function download(name: string, text: string, type = 'text/csv;charset=utf-8'): void {
  saveFile(new Blob([type.startsWith('text/csv') ? '\uFEFF' : '', text], { type }), name);
}
