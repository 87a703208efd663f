/**
 * The duty console's district tree: the user's nodes (districts) with their cameras as leaves, and how a
 * node's live effective rate reads against the county's 95% line. Pure: no Vue, no fetch.
 */
export const TARGET = 0.95;

export interface DistrictLite {
  id: string;
  kind: string;
  name: string;
  parentId: string | null;
  lat: number | null;
  lon: number | null;
}

export interface CameraLite {
  id: string;
  name: string;
  siteId: string;
  lat: number | null;
  lon: number | null;
}

export interface TreeNode {
  /** district id, or the camera's id for a leaf */
  id: string;
  label: string;
  kind: string;
  isCamera: boolean;
  children: TreeNode[];
}

/** Builds the forest: a district whose parent is not in the list (the user's own node) is a root. */
export function buildTree(districts: readonly DistrictLite[], cameras: readonly CameraLite[]): TreeNode[] {
  const byId = new Map<string, TreeNode>();
  for (const d of districts)
    byId.set(d.id, { id: d.id, label: d.name, kind: d.kind, isCamera: false, children: [] });
  const roots: TreeNode[] = [];
  for (const d of districts) {
    const node = byId.get(d.id) as TreeNode;
    const parent = d.parentId ? byId.get(d.parentId) : undefined;
    if (parent) parent.children.push(node);
    else roots.push(node);
  }
  for (const c of cameras) {
    const site = byId.get(c.siteId);
    if (site) site.children.push({ id: c.id, label: c.name, kind: 'camera', isCamera: true, children: [] });
  }
  return roots;
}

export type RateLevel = 'good' | 'bad' | 'unknown';

/** Green at or above the 95% line, red below it, grey when nothing is scheduled. */
export function rateLevel(rate: number | null | undefined, target = TARGET): RateLevel {
  if (rate === null || rate === undefined || Number.isNaN(rate)) return 'unknown';
  return rate >= target ? 'good' : 'bad';
}

/** 0.9634 → "96.3%"; no rate → "—". Never rounds a rate below the line up to it. */
export function formatRate(rate: number | null | undefined): string {
  if (rate === null || rate === undefined || Number.isNaN(rate)) return '—';
  const tenths = Math.floor(rate * 1000 + 1e-9) / 10;
  return `${tenths.toFixed(1)}%`;
}
