/**
 * Any table of the console as CSV or XLSX, made in the browser from the very rows the page shows (so the file
 * and the screen cannot disagree). Percentages: in CSV as percent points with 2 decimals ("97.53"), in XLSX
 * as the exact fraction formatted 0.00%.
 */
export interface Column {
  key: string;
  label: string;
  kind?: 'text' | 'int' | 'number' | 'percent';
}
export type Row = Record<string, unknown>;

/** A cell's text in CSV (empty for null). */
export function csvCell(value: unknown, kind: Column['kind'] = 'text'): string {
  if (value === null || value === undefined) return '';
  if (kind === 'percent' && typeof value === 'number') return (value * 100).toFixed(2);
  if (kind === 'number' && typeof value === 'number') return String(Math.round(value * 100) / 100);
  let text = String(value);
  // quoting does not stop a spreadsheet from running "=…" as a formula; a leading apostrophe keeps it text
  if (kind === 'text' && /^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

const headerOf = (c: Column) => (c.kind === 'percent' ? `${c.label}(%)` : c.label);

/** RFC 4180 text with a BOM so that Excel reads the Chinese right. */
export function toCsv(columns: Column[], rows: Row[]): string {
  const lines = [columns.map((c) => csvCell(headerOf(c))).join(',')];
  for (const row of rows) lines.push(columns.map((c) => csvCell(row[c.key], c.kind)).join(','));
  return `\uFEFF${lines.join('\r\n')}\r\n`;
}

export async function toXlsx(sheetName: string, columns: Column[], rows: Row[]): Promise<Blob> {
  const { default: ExcelJS } = await import('exceljs');
  const book = new ExcelJS.Workbook();
  book.creator = 'Xueliang';
  const sheet = book.addWorksheet(sheetName.slice(0, 31).replace(/[\\/?*[\]:]/g, ' '));
  sheet.columns = columns.map((c) => ({
    header: c.label,
    key: c.key,
    width: Math.max(10, c.label.length * 2 + 2),
    style: c.kind === 'percent' ? { numFmt: '0.00%' } : c.kind === 'number' ? { numFmt: '0.00' } : {},
  }));
  sheet.getRow(1).font = { bold: true };
  for (const row of rows) sheet.addRow(Object.fromEntries(columns.map((c) => [c.key, row[c.key] ?? null])));
  const buffer = await book.xlsx.writeBuffer();
  return new Blob([buffer], { type: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet' });
}
