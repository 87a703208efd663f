import { type Column, type Row, toCsv, toXlsx } from './export-table';

/** Hands a file to the browser's downloads. */
export function saveFile(blob: Blob, filename: string): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

export async function exportTable(
  format: 'csv' | 'xlsx',
  name: string,
  columns: Column[],
  rows: Row[],
): Promise<void> {
  const blob =
    format === 'csv'
      ? new Blob([toCsv(columns, rows)], { type: 'text/csv;charset=utf-8' })
      : await toXlsx(name, columns, rows);
  saveFile(blob, `${name}.${format}`);
}
