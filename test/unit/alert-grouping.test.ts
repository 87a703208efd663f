import { describe, expect, it } from 'vitest';
import { type GroupingInput, planGrouping, type RecentOffline } from '../../src/alerting/grouping.js';

// county C → town T → police district P → villages V1, V2 → sites S1 (V1), S2 (V1), S3 (V2)
const S1 = ['C', 'T', 'P', 'V1', 'S1'];
const S2 = ['C', 'T', 'P', 'V1', 'S2'];
const S3 = ['C', 'T', 'P', 'V2', 'S3'];
const counts = new Map([
  ['C', 100],
  ['T', 100],
  ['P', 100],
  ['V1', 60],
  ['V2', 40],
  ['S1', 40],
  ['S2', 20],
  ['S3', 40],
]);
const rules = { windowMs: 120_000, minCameras: 2, minPercent: 50 };
const t0 = new Date('2026-11-01T08:00:00Z');
const at = (s: number) => new Date(t0.getTime() + s * 1000);

let nextId = 1;
function recent(path: string[], s: number, groupNodeId: string | null = null): RecentOffline {
  return { alertId: nextId++, path, openedAt: at(s), groupNodeId };
}

function input(path: string[], s: number, others: RecentOffline[], groups: string[] = []): GroupingInput {
  return { path, at: at(s), recent: others, camerasUnder: counts, openGroupNodes: new Set(groups), rules };
}

describe('planGrouping', () => {
  it('lets the first camera of a site alert alone', () => {
    expect(planGrouping(input(S1, 0, []))).toEqual({ kind: 'alone' });
  });

  it('groups a second camera of the same site within the window, folding the first in', () => {
    const first = recent(S1, 0);
    expect(planGrouping(input(S1, 30, [first]))).toEqual({
      kind: 'group',
      nodeId: 'S1',
      create: true,
      absorb: [first.alertId],
      supersede: [],
    });
  });

  it('does not group two cameras of a site further apart than the window', () => {
    expect(planGrouping(input(S1, 121, [recent(S1, 0)]))).toEqual({ kind: 'alone' });
  });

  it('folds later cameras into an open site group even after the window', () => {
    const member = recent(S1, 0, 'S1');
    expect(planGrouping(input(S1, 600, [member], ['S1']))).toEqual({
      kind: 'group',
      nodeId: 'S1',
      create: false,
      absorb: [],
      supersede: [],
    });
  });

  it('keeps one dead site a site alert, not "the village is down", however many cameras it has', () => {
    const site = Array.from({ length: 39 }, (_, i) => recent(S1, i % 60, i === 0 ? null : 'S1'));
    const plan = planGrouping(input(S1, 60, site, ['S1']));
    expect(plan).toMatchObject({ kind: 'group', nodeId: 'S1', create: false });
  });

  it('groups a village when its failures span two sites and half its cameras, superseding the site group', () => {
    // 20 of S1 (grouped) and 9 of S2 went down; the 30th camera of the village (60 cameras) tips it over
    const s1 = Array.from({ length: 20 }, (_, i) => recent(S1, i, 'S1'));
    const s2 = Array.from({ length: 9 }, (_, i) => recent(S2, 20 + i));
    const plan = planGrouping(input(S2, 40, [...s1, ...s2], ['S1']));
    expect(plan).toMatchObject({ kind: 'group', nodeId: 'V1', create: true, supersede: ['S1'] });
    // the site group's cameras move with it; the standalone ones of S2 are absorbed
    expect(plan.kind === 'group' && plan.absorb).toEqual(s2.map((r) => r.alertId));
  });

  it('does not group a village that lost two sites but under half of its cameras', () => {
    const plan = planGrouping(input(S2, 10, [recent(S1, 0)]));
    expect(plan).toEqual({ kind: 'alone' });
  });

  it('groups a whole police district when its villages go dark together', () => {
    const v1 = Array.from({ length: 40 }, (_, i) => recent(i < 30 ? S1 : S2, i % 60, 'V1'));
    const v2 = Array.from({ length: 19 }, (_, i) => recent(S3, i % 60));
    const plan = planGrouping(input(S3, 59, [...v1, ...v2], ['V1']));
    // 60 of 100 across both villages: the police district. Its town and county have a single child on this
    // path, so the failure is not theirs to name
    expect(plan).toMatchObject({ kind: 'group', nodeId: 'P', create: true, supersede: ['V1'] });
  });
});
