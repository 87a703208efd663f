import { describe, expect, it } from 'vitest';
import { type Availability, ZERO_AVAILABILITY } from '../../src/health/availability.js';
import type { DayPiece } from '../../src/health/calendar.js';
import { assembleDays } from '../../src/health/day-pieces.js';
import { kindsOfLevel, type RankedNode, rankingRow, worstFirst } from '../../src/health/ranking.js';

const HOUR = 3_600_000;
const figures = (scheduledH: number, effectiveH: number): Availability => ({
  ...ZERO_AVAILABILITY,
  scheduledMs: scheduledH * HOUR,
  onlineMs: effectiveH * HOUR,
  effectiveMs: effectiveH * HOUR,
});
const node = (nodeId: string, name: string): RankedNode => ({
  nodeId,
  name,
  kind: 'police_district',
  parentId: 'p',
  parentName: '上级',
});
const row = (nodeId: string, name: string, total: Availability) =>
  rankingRow(node(nodeId, name), { cameras: 1, total }, 0.95);

describe('availability ranking', () => {
  it('ranks the town level with its townships', () => {
    expect(kindsOfLevel('town')).toEqual(['town', 'township']);
    expect(kindsOfLevel('police_district')).toEqual(['police_district']);
  });

  it('gives a row its rates and whether it meets the target, 95% itself included', () => {
    expect(row('a', '甲', figures(100, 95))).toMatchObject({
      cameras: 1,
      meetsTarget: true,
      figures: { scheduledMs: 100 * HOUR, effectiveMs: 95 * HOUR, effectiveRate: 0.95, onlineRate: 0.95 },
    });
    expect(row('a', '甲', figures(100, 94)).meetsTarget).toBe(false);
    expect(row('a', '甲', figures(0, 0))).toMatchObject({
      meetsTarget: null,
      figures: { effectiveRate: null, onlineRate: null },
    });
  });

  it('puts the worst effective rate first and nodes with nothing scheduled last', () => {
    const rows = [
      row('1', '甲', figures(0, 0)),
      row('2', '乙', figures(10, 10)),
      row('3', '丙', figures(10, 5)),
      row('4', '丁', figures(10, 9)),
      row('5', '戊', figures(10, 0)),
    ];
    expect(worstFirst(rows).map((r) => r.name)).toEqual(['戊', '丙', '丁', '乙', '甲']);
    // a copy: the rows given keep their order
    expect(rows.map((r) => r.name)).toEqual(['甲', '乙', '丙', '丁', '戊']);
  });

  it('orders equal rates by name, then id, whatever order they come in', () => {
    const rows = [
      row('b', 'B', figures(10, 9)),
      row('c', 'A', figures(0, 0)),
      row('a', 'B', figures(20, 18)),
      row('d', 'A', figures(10, 9)),
    ];
    const expected = ['d', 'a', 'b', 'c'];
    expect(worstFirst(rows).map((r) => r.nodeId)).toEqual(expected);
    expect(worstFirst([...rows].reverse()).map((r) => r.nodeId)).toEqual(expected);
  });
});

describe('a window assembled from its pieces', () => {
  const piece = (day: string, fromH: number, toH: number): DayPiece => ({
    day,
    from: new Date(Date.UTC(2026, 0, 1, fromH)),
    to: new Date(Date.UTC(2026, 0, 1, toH)),
  });

  it('takes a piece as computed if it was, else its day’s rollup, else zeros, and sums them', () => {
    const first = piece('2026-01-01', 0, 24);
    const second = piece('2026-01-02', 24, 48);
    const third = piece('2026-01-03', 48, 60);
    const computed = new Map([[first, figures(24, 20)]]);
    const rolled = new Map([
      ['2026-01-01', figures(24, 1)],
      ['2026-01-02', figures(24, 23)],
    ]);
    const { total, byDay } = assembleDays([first, second, third], computed, rolled);
    expect(byDay).toEqual([
      { day: '2026-01-01', figures: figures(24, 20) },
      { day: '2026-01-02', figures: figures(24, 23) },
      { day: '2026-01-03', figures: ZERO_AVAILABILITY },
    ]);
    expect(total).toEqual(figures(48, 43));
  });
});
