import { onBeforeUnmount, reactive } from 'vue';
import { get, type Page } from './api';
import { buildTree, type CameraLite, type DistrictLite, type TreeNode } from './duty-tree';

/** How often the tree's live rates are read again. */
const RATE_REFRESH_MS = 30_000;
/** Rates are read for the upper levels of the tree only (sites are many and small). */
const RATE_KINDS = new Set(['county', 'town', 'township', 'police_district', 'village']);
const MAX_RATE_NODES = 80;

/** A whole list page by page (the API gives at most 500 a page); a county's worth at most. */
const PAGE = 500;
const MAX_ITEMS = 20_000;
async function all<T>(path: string): Promise<T[]> {
  const items: T[] = [];
  for (;;) {
    const page = await get<Page<T>>(path, { limit: PAGE, offset: items.length });
    items.push(...page.items);
    if (page.items.length < PAGE || items.length >= page.total || items.length >= MAX_ITEMS) return items;
  }
}

/** The user's part of the tree (its districts and cameras) and each node's live effective rate, refreshed. */
export function useDutyPlaces() {
  const places = reactive({
    state: 'loading' as 'loading' | 'ready' | 'error',
    error: '',
    districts: [] as DistrictLite[],
    cameras: [] as CameraLite[],
    tree: [] as TreeNode[],
    rates: {} as Record<string, number | null>,
  });

  async function readRates() {
    const nodes = places.districts.filter((d) => RATE_KINDS.has(d.kind)).slice(0, MAX_RATE_NODES);
    const read = await Promise.all(
      nodes.map((d) =>
        get<{ effectiveShare: number | null }>('/availability/live', { nodeId: d.id })
          .then((r) => [d.id, r.effectiveShare] as const)
          .catch(() => null),
      ),
    );
    const rates: Record<string, number | null> = {};
    for (const r of read) if (r) rates[r[0]] = r[1];
    places.rates = rates;
  }

  async function load() {
    places.state = 'loading';
    try {
      const [districts, cameras] = await Promise.all([
        all<DistrictLite>('/districts'),
        all<CameraLite>('/cameras'),
      ]);
      places.districts = districts;
      places.cameras = cameras;
      places.tree = buildTree(districts, cameras);
      places.state = 'ready';
      await readRates();
    } catch (err) {
      places.state = 'error';
      places.error = (err as Error).message;
    }
  }

  /** Reads the rates again soon (after an alert): several alerts in a burst cost one read. */
  let soon: ReturnType<typeof setTimeout> | undefined;
  function refreshSoon() {
    if (soon) return;
    soon = setTimeout(() => {
      soon = undefined;
      if (places.state === 'ready') void readRates();
    }, 2_000);
  }

  void load();
  const timer = setInterval(() => {
    if (places.state === 'ready') void readRates();
  }, RATE_REFRESH_MS);
  onBeforeUnmount(() => {
    clearInterval(timer);
    clearTimeout(soon);
  });
  return { places, reload: load, refreshSoon };
}
