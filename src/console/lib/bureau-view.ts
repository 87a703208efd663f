import type { ContractorRow, Gap, IncidentDown, RankingRow } from './bureau-types.js';
import type { Column } from './export-table.js';

export const TARGET = 0.95;
const HOUR = 3_600_000;

/** A month as a window: its first local midnight to the next month's, cut at `now` for the current month. */
export function monthWindow(month: Date, now = new Date()): { from: string; to: string } {
  const from = new Date(month.getFullYear(), month.getMonth(), 1);
  const end = new Date(month.getFullYear(), month.getMonth() + 1, 1);
  const to = end.getTime() > now.getTime() ? now : end;
  return { from: from.toISOString(), to: to.toISOString() };
}

/** "2026-10" of a date's month. */
export function monthLabel(d: Date): string {
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}`;
}

/** The month named "2026-10" (anything else: null). */
export function parseMonth(value: unknown): Date | null {
  const m = typeof value === 'string' ? /^(\d{4})-(\d{2})$/.exec(value) : null;
  if (!m) return null;
  const month = Number(m[2]);
  return month >= 1 && month <= 12 ? new Date(Number(m[1]), month - 1, 1) : null;
}

/** "97.53%" (null: "—"). */
export function percent(rate: number | null | undefined, digits = 2): string {
  return rate === null || rate === undefined ? '—' : `${(rate * 100).toFixed(digits)}%`;
}

export interface RankRow extends Record<string, unknown> {
  rank: number;
  id: string;
  name: string;
  parent: string;
  cameras: number;
  onlineRate: number | null;
  effectiveRate: number | null;
  meets: string;
}

/** The ranking's nodes by effective rate, best first (nodes with no scheduled time last). */
export function rankRows(ranking: RankingRow[], meets: (ok: boolean | null) => string): RankRow[] {
  const rows = ranking.map((n) => ({
    rank: 0,
    id: n.nodeId,
    name: n.name,
    parent: n.parentName ?? '',
    cameras: n.cameras,
    onlineRate: n.figures.onlineRate,
    effectiveRate: n.figures.effectiveRate,
    meets: meets(n.meetsTarget),
  }));
  rows.sort((a, b) => (b.effectiveRate ?? -1) - (a.effectiveRate ?? -1) || a.name.localeCompare(b.name));
  return rows.map((r, i) => ({ ...r, rank: i + 1 }));
}

export interface GapRow extends Record<string, unknown> {
  district: string;
  camera: string;
  lostHours: number;
  rate: number | null;
  rateAfterFixes: number | null;
  reached: string;
}

/** One row per camera to repair, under the police district it would lift. */
export function gapRows(districts: { name: string; gap: Gap }[], reached: (ok: boolean) => string): GapRow[] {
  return districts.flatMap(({ name, gap }) =>
    gap.fixes.map((f) => ({
      district: name,
      camera: f.name,
      lostHours: Math.round((f.lostMs / HOUR) * 100) / 100,
      rate: gap.rate,
      rateAfterFixes: gap.rateAfterFixes,
      reached: reached(gap.reached),
    })),
  );
}

/** The contractor SLA table, with the share of closed tickets that met their SLA. */
export function slaRows(rows: ContractorRow[]) {
  return rows.map((r) => ({
    ...r,
    metRate: r.metSla + r.breached > 0 ? r.metSla / (r.metSla + r.breached) : null,
  }));
}

export const RANK_COLUMNS = (t: (k: string) => string): Column[] => [
  { key: 'rank', label: t('bureau.col.rank'), kind: 'int' },
  { key: 'name', label: t('bureau.col.name') },
  { key: 'parent', label: t('bureau.col.parent') },
  { key: 'cameras', label: t('bureau.col.cameras'), kind: 'int' },
  { key: 'onlineRate', label: t('bureau.col.onlineRate'), kind: 'percent' },
  { key: 'effectiveRate', label: t('bureau.col.effectiveRate'), kind: 'percent' },
  { key: 'meets', label: t('bureau.col.meets') },
];

export const GAP_COLUMNS = (t: (k: string) => string): Column[] => [
  { key: 'district', label: t('bureau.col.district') },
  { key: 'camera', label: t('bureau.col.camera') },
  { key: 'lostHours', label: t('bureau.col.lostHours'), kind: 'number' },
  { key: 'rate', label: t('bureau.col.effectiveRate'), kind: 'percent' },
  { key: 'rateAfterFixes', label: t('bureau.col.rateAfterFixes'), kind: 'percent' },
  { key: 'reached', label: t('bureau.col.reached') },
];

export const SLA_COLUMNS = (t: (k: string) => string): Column[] => [
  { key: 'contractorName', label: t('bureau.col.contractor') },
  { key: 'opened', label: t('bureau.col.opened'), kind: 'int' },
  { key: 'closed', label: t('bureau.col.closed'), kind: 'int' },
  { key: 'stillOpen', label: t('bureau.col.stillOpen'), kind: 'int' },
  { key: 'metSla', label: t('bureau.col.metSla'), kind: 'int' },
  { key: 'breached', label: t('bureau.col.breached'), kind: 'int' },
  { key: 'metRate', label: t('bureau.col.metRate'), kind: 'percent' },
  { key: 'meanMinutesToAcknowledge', label: t('bureau.col.mtta'), kind: 'number' },
  { key: 'meanMinutesToRepair', label: t('bureau.col.mttr'), kind: 'number' },
  { key: 'externalCauseHours', label: t('bureau.col.externalHours'), kind: 'number' },
];

/** "2026-10-07 08:05" in local time: plain for the screen and for spreadsheets alike. */
export function localMinute(d: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}`;
}

/** Incidents whose cameras were down, times in local words and states named. */
export function incidentRows(rows: IncidentDown[], stateName: (state: string) => string) {
  const when = (iso: string | null) => (iso ? localMinute(new Date(iso)) : '');
  return rows.map((r) => ({
    occurredAt: when(r.occurredAt),
    title: r.title,
    place: r.place,
    camera: r.cameraName,
    state: stateName(r.state),
    reason: r.reason ?? '',
    since: when(r.since),
    until: when(r.until),
  }));
}

export const INCIDENT_COLUMNS = (t: (k: string) => string): Column[] => [
  { key: 'occurredAt', label: t('bureau.col.occurredAt') },
  { key: 'title', label: t('bureau.col.incident') },
  { key: 'place', label: t('bureau.col.place') },
  { key: 'camera', label: t('bureau.col.camera') },
  { key: 'state', label: t('bureau.col.state') },
  { key: 'reason', label: t('bureau.col.reason') },
  { key: 'since', label: t('bureau.col.since') },
  { key: 'until', label: t('bureau.col.until') },
];
