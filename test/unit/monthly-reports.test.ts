import { describe, expect, it } from 'vitest';
import { localMonth } from '../../src/governance/local-date.js';
import { ZERO_AVAILABILITY } from '../../src/health/availability.js';
import { worstFirst } from '../../src/health/ranking.js';
import { dueMonth, monthIsOver, previousMonth } from '../../src/reports/months.js';
import { percentText, reportCsv } from '../../src/reports/report-csv.js';
import { REPORT_COLUMNS, reportRows } from '../../src/reports/report-table.js';
import { type AreaFigures, areaFigures, type MonthlySnapshot } from '../../src/reports/snapshot.js';

const SHANGHAI = 'Asia/Shanghai';

describe('the month a report is due for', () => {
  it('is the previous month of the county calendar, not of UTC', () => {
    // 2026-11-30T16:30Z is 00:30 on 1 December in Shanghai: November is over there
    expect(dueMonth(new Date('2026-11-30T16:30:00Z'), SHANGHAI)).toBe('2026-11');
    // …but not in UTC, nor one minute before local midnight
    expect(dueMonth(new Date('2026-11-30T16:30:00Z'), 'UTC')).toBe('2026-10');
    expect(dueMonth(new Date('2026-11-30T15:59:59.999Z'), SHANGHAI)).toBe('2026-10');
    expect(dueMonth(new Date('2026-11-30T16:00:00Z'), SHANGHAI)).toBe('2026-11');
  });

  it('crosses the year in January', () => {
    expect(dueMonth(new Date('2026-12-31T16:00:00Z'), SHANGHAI)).toBe('2026-12');
    expect(dueMonth(new Date('2027-01-15T04:00:00Z'), SHANGHAI)).toBe('2026-12');
    expect(previousMonth('2027-01')).toBe('2026-12');
    expect(previousMonth('2026-10')).toBe('2026-09');
  });

  it('follows zones west of UTC and across DST', () => {
    // 1 March 2026 03:00Z is still 28 February evening in New York
    expect(dueMonth(new Date('2026-03-01T03:00:00Z'), 'America/New_York')).toBe('2026-01');
    expect(dueMonth(new Date('2026-03-01T05:00:00Z'), 'America/New_York')).toBe('2026-02');
    // Berlin is back on UTC+1 after 25 October: 00:30 on 1 November is 23:30Z on 31 October
    expect(localMonth(new Date('2026-10-31T23:30:00Z'), 'Europe/Berlin')).toBe('2026-11');
  });

  it('counts a month as over only once the local calendar has left it', () => {
    const now = new Date('2026-11-30T16:30:00Z');
    expect(monthIsOver('2026-11', now, SHANGHAI)).toBe(true);
    expect(monthIsOver('2026-12', now, SHANGHAI)).toBe(false);
    expect(monthIsOver('2026-11', now, 'UTC')).toBe(false);
    expect(monthIsOver('2025-12', now, SHANGHAI)).toBe(true);
  });
});

const area = (name: string, scheduledMs: number, effectiveMs: number, id = name): AreaFigures =>
  areaFigures({
    nodeId: id,
    name,
    parentName: null,
    cameras: 1,
    total: { ...ZERO_AVAILABILITY, scheduledMs, effectiveMs, onlineMs: effectiveMs },
  });

describe('the report kept for a month', () => {
  it('ranks areas worst first, those with nothing scheduled last', () => {
    const ranked = worstFirst([
      area('甲', 100, 99),
      area('乙', 0, 0),
      area('丙', 100, 50),
      area('丁', 100, 99),
    ]);
    expect(ranked.map((a) => a.name)).toEqual(['丙', '丁', '甲', '乙']);
  });

  it('holds each area to 95%, and nothing scheduled to nothing', () => {
    expect(area('x', 100, 95).meetsTarget).toBe(true);
    expect(area('x', 100, 94.99).meetsTarget).toBe(false);
    expect(area('x', 0, 0).meetsTarget).toBeNull();
  });

  it('writes rates as percents with two decimals in an RFC 4180 table', () => {
    expect(percentText(0.96534)).toBe('96.53%');
    expect(percentText(1)).toBe('100.00%');
    const county = area('某县, "全县"', 1000, 905);
    const report: MonthlySnapshot = {
      month: '2026-10',
      timeZone: SHANGHAI,
      from: '2026-09-30T16:00:00.000Z',
      to: '2026-10-31T16:00:00.000Z',
      target: 0.95,
      county,
      towns: [],
      policeDistricts: [],
      days: [{ day: '2026-10-01', figures: county.figures, meetsTarget: false }],
      contractors: [],
    };
    const csv = reportCsv(report);
    expect(csv.startsWith('\uFEFF部分,名称,')).toBe(true);
    const lines = csv.slice(1).split('\r\n');
    expect(lines).toHaveLength(4); // header, county, one day, and the final line break
    expect(lines[1]).toBe('全县,"某县, ""全县""",,,1,90.50%,90.50%,95.00%,未达标,,,,,,,,');
    expect(lines[2]?.startsWith('每日,2026-10-01,,,,90.50%,90.50%,95.00%,未达标,')).toBe(true);
    for (const row of reportRows(report)) expect(row).toHaveLength(REPORT_COLUMNS.length);
  });
});
