/** A kept report as an XLSX workbook: the CSV's table, rates as numbers shown as percents with two decimals. */
import ExcelJS from 'exceljs';
import { REPORT_COLUMNS, reportRows } from './report-table.js';
import type { MonthlySnapshot } from './snapshot.js';

export async function reportXlsx(report: MonthlySnapshot): Promise<Buffer> {
  const book = new ExcelJS.Workbook();
  book.creator = 'Xueliang';
  const sheet = book.addWorksheet(`月度报告 ${report.month}`);
  sheet.columns = REPORT_COLUMNS.map((c) => ({ header: c.header, width: c.width }));
  sheet.getRow(1).font = { bold: true };
  sheet.views = [{ state: 'frozen', ySplit: 1 }];
  for (const cells of reportRows(report)) {
    const row = sheet.addRow(cells.map((c) => (c !== null && typeof c === 'object' ? c.percent : c)));
    cells.forEach((c, i) => {
      if (c !== null && typeof c === 'object') row.getCell(i + 1).numFmt = '0.00%';
    });
  }
  return Buffer.from(await book.xlsx.writeBuffer());
}
