/**
 * A kept report laid out as one table, the same for CSV and XLSX: every row has every column (RFC 4180 wants
 * one field count), the first column names the part of the report the row belongs to.
 */
import type { AreaFigures, MonthlySnapshot } from './snapshot.js';

/** A rate as a share (0.9653), shown as a percent with two decimals; null: nothing was scheduled. */
export type Cell = { percent: number | null } | string | number | null;

export interface ReportColumn {
  header: string;
  width: number;
}

export const REPORT_COLUMNS: ReportColumn[] = [
  { header: '部分', width: 12 },
  { header: '名称', width: 24 },
  { header: '所属乡镇', width: 16 },
  { header: '排名', width: 6 },
  { header: '摄像机数', width: 10 },
  { header: '有效率', width: 10 },
  { header: '在线率', width: 10 },
  { header: '目标', width: 8 },
  { header: '是否达标', width: 10 },
  { header: '派单数', width: 8 },
  { header: '已关闭', width: 8 },
  { header: '未关闭', width: 8 },
  { header: '按时修复', width: 10 },
  { header: '超时', width: 8 },
  { header: '平均响应(分钟)', width: 14 },
  { header: '平均修复(分钟)', width: 14 },
  { header: '外因(小时)', width: 12 },
];

const SLA_BLANKS: Cell[] = Array(8).fill(null);

function verdict(meets: boolean | null): string | null {
  return meets === null ? null : meets ? '达标' : '未达标';
}

function areaRow(part: string, area: AreaFigures, rank: number | null, target: number): Cell[] {
  return [
    part,
    area.name,
    area.parentName,
    rank,
    area.cameras,
    { percent: area.figures.effectiveRate },
    { percent: area.figures.onlineRate },
    { percent: target },
    verdict(area.meetsTarget),
    ...SLA_BLANKS,
  ];
}

export function reportRows(report: MonthlySnapshot): Cell[][] {
  const { target } = report;
  return [
    areaRow('全县', report.county, null, target),
    ...report.towns.map((a, i) => areaRow('乡镇', a, i + 1, target)),
    ...report.policeDistricts.map((a, i) => areaRow('派出所辖区', a, i + 1, target)),
    ...report.days.map((d): Cell[] => [
      '每日',
      d.day,
      null,
      null,
      null,
      { percent: d.figures.effectiveRate },
      { percent: d.figures.onlineRate },
      { percent: target },
      verdict(d.meetsTarget),
      ...SLA_BLANKS,
    ]),
    ...report.contractors.map((k): Cell[] => [
      '运维单位',
      k.contractorName,
      null,
      null,
      null,
      null,
      null,
      null,
      null,
      k.opened,
      k.closed,
      k.stillOpen,
      k.metSla,
      k.breached,
      k.meanMinutesToAcknowledge,
      k.meanMinutesToRepair,
      k.externalCauseHours,
    ]),
  ];
}

export function reportFilename(month: string, extension: 'csv' | 'xlsx'): string {
  return `availability-${month}.${extension}`;
}
