import { get, type Page } from './api';
import type {
  Availability,
  ContractorRow,
  District,
  Gap,
  IncidentDown,
  RankingRow,
  Window,
} from './bureau-types';

export type * from './bureau-types';

export const districtsOfKind = (kind: string) =>
  get<Page<District>>('/districts', { kind, limit: 500 }).then((p) => p.items);
export const availability = (nodeId: string, w: Window) =>
  get<Availability>('/availability', { nodeId, ...w });
/** Every node of a level in the caller's scope with its figures (town: towns and townships), worst first. */
export const ranking = (kind: 'town' | 'police_district', w: Window) =>
  get<{ rows: RankingRow[] }>('/availability/ranking', { kind, ...w }).then((r) => r.rows);
export const liveShare = (nodeId: string) =>
  get<{ effectiveShare: number | null; byState: Record<string, number> }>('/availability/live', { nodeId });
export const gap = (nodeId: string, w: Window) => get<Gap>('/availability/gap', { nodeId, ...w });
export const contractorReport = (w: Window) =>
  get<{ rows: ContractorRow[] }>('/reports/contractors', { ...w }).then((r) => r.rows);

export const incidentsDown = (w: Window) =>
  get<{ rows: IncidentDown[] }>('/exports/incidents-cameras-down', { ...w }).then((r) => r.rows);

/** Runs fn over items, at most `limit` at a time, keeping their order. */
export async function mapLimit<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}
