/**
 * Grouping of offline alerts: when many cameras under one node of the tree go offline within a short window,
 * the duty desk gets one "site/uplink down" alert naming the node and the count instead of a storm. Pure.
 *
 * A site groups as soon as two (groupMinCameras) of its cameras went offline within the window: they share an
 * uplink. A node above a site groups only when the failures span at least two of its children and cover at
 * least groupMinPercent of its cameras — so one dead site of forty cameras in a town of fifty is a site alert,
 * not "the town is down". The highest node that qualifies wins; a group already open on the camera's path
 * takes the camera even when the window has passed (the uplink is still down).
 */

export interface GroupingRules {
  windowMs: number;
  minCameras: number;
  minPercent: number;
}

export interface RecentOffline {
  alertId: number;
  /** the camera's site path, county first */
  path: readonly string[];
  openedAt: Date;
  /** the node of the open group it is folded into, if any */
  groupNodeId: string | null;
}

export interface GroupingInput {
  /** the new offline alert's camera: its site path, county first, and when it went offline */
  path: readonly string[];
  at: Date;
  /** open offline camera alerts that may share a node with it (the new one excluded) */
  recent: readonly RecentOffline[];
  /** cameras in service under each node of the path */
  camerasUnder: ReadonlyMap<string, number>;
  /** nodes that have an open group alert */
  openGroupNodes: ReadonlySet<string>;
  rules: GroupingRules;
}

export type GroupingPlan =
  | { kind: 'alone' }
  | {
      kind: 'group';
      /** the node whose group takes the new alert */
      nodeId: string;
      /** true when that group does not exist yet */
      create: boolean;
      /** standalone alerts of the window under the node, to fold into it (smaller groups move whole) */
      absorb: number[];
      /** open groups under the node that the new group supersedes */
      supersede: string[];
    };

function under(path: readonly string[], nodeId: string): boolean {
  return path.includes(nodeId);
}

function qualifies(input: GroupingInput, depth: number, inWindow: readonly RecentOffline[]): boolean {
  const nodeId = input.path[depth] as string;
  const members = inWindow.filter((r) => under(r.path, nodeId));
  const count = members.length + 1;
  if (count < input.rules.minCameras) return false;
  const isSite = depth === input.path.length - 1;
  if (isSite) return true;
  const children = new Set(members.map((r) => r.path[depth + 1]));
  children.add(input.path[depth + 1]);
  const cameras = input.camerasUnder.get(nodeId) ?? 0;
  return children.size >= 2 && count * 100 >= input.rules.minPercent * cameras;
}

export function planGrouping(input: GroupingInput): GroupingPlan {
  const since = input.at.getTime() - input.rules.windowMs;
  const inWindow = input.recent.filter((r) => r.openedAt.getTime() >= since);
  const openOnPath = input.path.findIndex((id) => input.openGroupNodes.has(id));
  const qualifying = input.path.findIndex((_, depth) => qualifies(input, depth, inWindow));
  const candidates = [openOnPath, qualifying].filter((d) => d >= 0);
  if (candidates.length === 0) return { kind: 'alone' };
  const depth = Math.min(...candidates);
  const nodeId = input.path[depth] as string;
  const absorb = inWindow
    .filter((r) => under(r.path, nodeId) && r.groupNodeId === null)
    .map((r) => r.alertId)
    .sort((a, b) => a - b);
  const supersede = [
    ...new Set(
      input.recent
        .filter((r) => r.groupNodeId !== null && r.groupNodeId !== nodeId && under(r.path, nodeId))
        .map((r) => r.groupNodeId as string),
    ),
  ].filter((g) => input.openGroupNodes.has(g));
  return { kind: 'group', nodeId, create: !input.openGroupNodes.has(nodeId), absorb, supersede };
}
