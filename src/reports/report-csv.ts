/** A kept report as CSV: RFC 4180 (CRLF, quoted where needed), UTF-8 with a BOM so spreadsheets read Chinese. */
import { type Cell, REPORT_COLUMNS, reportRows } from './report-table.js';
import type { MonthlySnapshot } from './snapshot.js';

export function percentText(share: number): string {
  return `${(share * 100).toFixed(2)}%`;
}

function field(cell: Cell): string {
  if (cell === null) return '';
  const text =
    typeof cell === 'object' ? (cell.percent === null ? '' : percentText(cell.percent)) : String(cell);
  // quoted when RFC 4180 needs it, and when a spreadsheet would take it for a formula
  return /[",\r\n]/.test(text) || /^[=+\-@]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

export function reportCsv(report: MonthlySnapshot): string {
  const lines = [REPORT_COLUMNS.map((c) => field(c.header)), ...reportRows(report).map((r) => r.map(field))];
  return `\uFEFF${lines.map((l) => l.join(',')).join('\r\n')}\r\n`;
}
