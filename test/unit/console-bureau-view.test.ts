import ExcelJS from 'exceljs';
import { describe, expect, it } from 'vitest';
import type { RankingRow } from '../../src/console/lib/bureau-types.js';
import {
  gapRows,
  incidentRows,
  localMinute,
  monthLabel,
  monthWindow,
  parseMonth,
  percent,
  rankRows,
  slaRows,
} from '../../src/console/lib/bureau-view.js';
import { type Column, csvCell, toCsv, toXlsx } from '../../src/console/lib/export-table.js';

const ranked = (
  nodeId: string,
  name: string,
  effectiveRate: number | null,
  meetsTarget: boolean | null = null,
): RankingRow => ({
  nodeId,
  name,
  kind: 'police_district',
  parentId: 'p',
  parentName: '上级',
  cameras: effectiveRate === null ? 0 : 2,
  meetsTarget,
  figures: { scheduledMs: 1, effectiveMs: 1, effectiveRate, onlineRate: effectiveRate },
});

describe('bureau dashboard view logic', () => {
  it('takes a month as a window, cut at now for the current month', () => {
    const oct = new Date(2026, 9, 15);
    const now = new Date(2026, 10, 30, 9);
    expect(monthWindow(oct, now)).toEqual({
      from: new Date(2026, 9, 1).toISOString(),
      to: new Date(2026, 10, 1).toISOString(),
    });
    expect(monthWindow(now, now).to).toBe(now.toISOString());
    expect(monthLabel(oct)).toBe('2026-10');
    expect(parseMonth('2026-10')).toEqual(new Date(2026, 9, 1));
    expect(parseMonth('2026-13')).toBeNull();
    expect(parseMonth(['2026-10'])).toBeNull();
  });

  it('ranks the API’s worst-first nodes by effective rate, best first, those without figures last', () => {
    const rows = rankRows(
      [
        ranked('a', '甲', 0.9, false),
        ranked('d', '丁', 0.96, true),
        ranked('c', '丙', 0.99),
        ranked('b', '乙', null),
      ],
      (ok) => String(ok),
    );
    expect(rows.map((r) => [r.rank, r.id, r.name, r.parent, r.cameras, r.meets])).toEqual([
      [1, 'c', '丙', '上级', 2, 'null'],
      [2, 'd', '丁', '上级', 2, 'true'],
      [3, 'a', '甲', '上级', 2, 'false'],
      [4, 'b', '乙', '上级', 0, 'null'],
    ]);
    expect(rows[0]).toMatchObject({ onlineRate: 0.99, effectiveRate: 0.99 });
  });

  it('lists each camera to repair under its district, lost time in hours', () => {
    const rows = gapRows(
      [
        {
          name: 'A1',
          gap: {
            rate: 0.93,
            rateAfterFixes: 1,
            reached: true,
            fixes: [{ cameraId: 'c', name: 'cam', lostMs: 5_400_000 }],
          },
        },
      ],
      (ok) => (ok ? 'yes' : 'no'),
    );
    expect(rows).toEqual([
      { district: 'A1', camera: 'cam', lostHours: 1.5, rate: 0.93, rateAfterFixes: 1, reached: 'yes' },
    ]);
  });

  it('adds the met-SLA share to the contractor rows', () => {
    const base = { contractorId: 'k', contractorName: 'K', opened: 3, closed: 2, stillOpen: 1 };
    const extra = { meanMinutesToAcknowledge: null, meanMinutesToRepair: null, externalCauseHours: 0 };
    expect(slaRows([{ ...base, ...extra, metSla: 3, breached: 1 }])[0]?.metRate).toBe(0.75);
    expect(slaRows([{ ...base, ...extra, metSla: 0, breached: 0 }])[0]?.metRate).toBeNull();
    expect(percent(0.97531)).toBe('97.53%');
    expect(percent(null)).toBe('—');
  });
});

describe('incidents whose cameras were down', () => {
  it('shows times to the minute in local time and names the states', () => {
    const d = new Date(2026, 9, 7, 8, 5, 59);
    expect(localMinute(d)).toBe('2026-10-07 08:05');
    const [row] = incidentRows(
      [
        {
          incidentId: 'i',
          occurredAt: d.toISOString(),
          type: 'dispute',
          title: '纠纷',
          place: '村',
          cameraId: 'c',
          cameraName: '摄像机',
          state: 'offline',
          reason: null,
          since: null,
          until: null,
        },
      ],
      (s) => `<${s}>`,
    );
    expect(row).toEqual({
      occurredAt: '2026-10-07 08:05',
      title: '纠纷',
      place: '村',
      camera: '摄像机',
      state: '<offline>',
      reason: '',
      since: '',
      until: '',
    });
  });
});

describe('table export', () => {
  const columns: Column[] = [
    { key: 'name', label: '名称' },
    { key: 'rate', label: '有效率', kind: 'percent' },
    { key: 'hours', label: '小时', kind: 'number' },
  ];
  const rows = [
    { name: '甲,"乙"', rate: 0.975312, hours: 1.23456 },
    { name: '=cmd', rate: null, hours: null },
  ];

  it('writes RFC 4180 CSV with a BOM, percent points, quoted commas and defused formulas', () => {
    expect(toCsv(columns, rows)).toBe(`\uFEFF名称,有效率(%),小时\r\n"甲,""乙""",97.53,1.23\r\n'=cmd,,\r\n`);
    expect(csvCell(3, 'int')).toBe('3');
    expect(csvCell(-3, 'number')).toBe('-3');
    expect(csvCell('+86 138', 'text')).toBe("'+86 138");
  });

  it('writes XLSX with the exact fractions formatted as percent', async () => {
    const blob = await toXlsx('排名/测试', columns, rows);
    const book = new ExcelJS.Workbook();
    await book.xlsx.load(await blob.arrayBuffer());
    const sheet = book.worksheets[0] as ExcelJS.Worksheet;
    expect(sheet.name).toBe('排名 测试');
    expect(sheet.getRow(1).values).toEqual([undefined, '名称', '有效率', '小时']);
    expect(sheet.getCell('B2').value).toBe(0.975312);
    expect(sheet.getCell('B2').numFmt).toBe('0.00%');
    expect(sheet.getCell('A3').value).toBe('=cmd');
    expect(sheet.getCell('B3').value).toBeNull();
  });
});
