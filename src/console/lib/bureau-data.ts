import { reactive } from 'vue';
import {
  type Availability,
  availability,
  type ContractorRow,
  contractorReport,
  type District,
  districtsOfKind,
  gap,
  type IncidentDown,
  incidentsDown,
  liveShare,
  mapLimit,
  ranking,
  type Window,
} from './bureau-api';
import { type GapRow, gapRows, type RankRow, rankRows, TARGET } from './bureau-view';

interface Part<T> {
  data: T;
  loading: boolean;
  error: string;
}
const part = <T>(data: T): Part<T> => ({ data, loading: false, error: '' });

/** Fills a part, unless a newer load (another month) has begun meanwhile: `current` says. */
async function fill<T>(p: Part<T>, fn: () => Promise<T>, current: () => boolean) {
  p.loading = true;
  p.error = '';
  try {
    const data = await fn();
    if (current()) p.data = data;
  } catch (err) {
    if (current()) p.error = (err as Error).message;
  } finally {
    if (current()) p.loading = false;
  }
}

/** Everything the bureau dashboard shows, each part loading and failing on its own. */
export function useBureauData(words: {
  meets: (ok: boolean | null) => string;
  reached: (ok: boolean) => string;
}) {
  const state = reactive({
    county: part<District | null>(null),
    now: part<number | null>(null),
    period: part<Availability | null>(null),
    towns: part<RankRow[]>([]),
    districts: part<RankRow[]>([]),
    gap: part<GapRow[]>([]),
    sla: part<ContractorRow[]>([]),
    incidents: part<IncidentDown[]>([]),
  });

  let generation = 0;
  async function load(w: Window) {
    const mine = ++generation;
    const current = () => mine === generation;
    await fill(state.county, async () => (await districtsOfKind('county'))[0] ?? null, current);
    const county = state.county.data;
    if (!county || !current()) return;
    await Promise.all([
      fill(state.now, async () => (await liveShare(county.id)).effectiveShare, current),
      fill(state.period, () => availability(county.id, w), current),
      fill(state.towns, async () => rankRows(await ranking('town', w), words.meets), current),
      fill(state.districts, async () => rankRows(await ranking('police_district', w), words.meets), current),
      fill(state.sla, () => contractorReport(w), current),
      fill(state.incidents, () => incidentsDown(w), current),
    ]);
    await fill(
      state.gap,
      async () => {
        const below = state.districts.data.filter(
          (d) => d.effectiveRate !== null && d.effectiveRate < TARGET,
        );
        const gaps = await mapLimit(below, 4, async (d) => ({ name: d.name, gap: await gap(d.id, w) }));
        return gapRows(gaps, words.reached);
      },
      current,
    );
  }

  return { state, load };
}
