import { describe, expect, it } from 'vitest';
import type { FeedEntry, FeedKind } from '../../src/alerting/feed-repo.js';
import { notifyJobId, type RouteScope, routesFor } from '../../src/notify/match.js';
import { nextAttemptDelay } from '../../src/notify/retry.js';

const route = (id: string, over: Partial<RouteScope> = {}): RouteScope => ({
  id,
  districtId: null,
  contractorId: null,
  minSeverity: 'minor',
  ...over,
});
const ROUTES = [
  route('county'),
  route('townA', { districtId: 'A' }),
  route('pdA1', { districtId: 'A1' }),
  route('pdB1', { districtId: 'B1' }),
  route('k1', { contractorId: 'K1' }),
  route('k2', { contractorId: 'K2' }),
  route('countyCritical', { minSeverity: 'critical' }),
];

function entry(
  kind: FeedKind,
  payload: Record<string, unknown> = {},
  severity: FeedEntry['severity'] = 'major',
) {
  return {
    id: 1,
    alertId: 1,
    ticketId: null,
    kind,
    at: new Date(),
    actor: null,
    ancestors: ['county-id', 'A', 'A1', 'A1v', 'A1s'],
    severity,
    payload: { alertKind: 'camera', groupId: null, contractorId: 'K1', ...payload },
  } satisfies FeedEntry;
}

describe('which routes take a feed entry', () => {
  it('sends an alert to the routes of its path and the county, at or above their severity', () => {
    expect(routesFor(entry('opened'), ROUTES)).toEqual(['county', 'townA', 'pdA1']);
    expect(routesFor(entry('resolved', {}, 'critical'), ROUTES)).toEqual([
      'county',
      'townA',
      'pdA1',
      'countyCritical',
    ]);
  });

  it('sends a group alert, but not a grown count nor a camera folded into it', () => {
    expect(routesFor(entry('grouped', { alertKind: 'group' }), ROUTES)).toHaveLength(3);
    expect(routesFor(entry('grouped', { alertKind: 'group', update: true }), ROUTES)).toEqual([]);
    expect(routesFor(entry('opened', { groupId: 9 }), ROUTES)).toEqual([]);
  });

  it('never sends acknowledgements or supersessions', () => {
    expect(routesFor(entry('acknowledged'), ROUTES)).toEqual([]);
    expect(routesFor(entry('superseded'), ROUTES)).toEqual([]);
  });

  it('sends a ticket to its contractor, an escalation also to the county', () => {
    expect(routesFor(entry('ticket_opened'), ROUTES)).toEqual(['k1']);
    expect(routesFor(entry('ticket_escalated'), ROUTES)).toEqual(['county', 'k1']);
    expect(routesFor(entry('ticket_opened', { contractorId: 'K3' }), ROUTES)).toEqual([]);
  });

  it('names a job by entry and route, without a colon', () => {
    expect(notifyJobId(12, 'r-1')).toBe('n-12-r-1');
  });
});

describe('retry delays', () => {
  const policy = { timeoutMs: 1000, maxAgeSeconds: 3600, backoffMs: 2000, maxBackoffMs: 300_000 };
  const t0 = 1_000_000;

  it('doubles from backoffMs up to maxBackoffMs', () => {
    expect([1, 2, 3, 4].map((n) => nextAttemptDelay(n, t0, t0, policy))).toEqual([2000, 4000, 8000, 16000]);
    expect(nextAttemptDelay(20, t0, t0, policy)).toBe(300_000);
  });

  it('lands the last attempt on the age limit, then gives up', () => {
    const almost = t0 + 3600_000 - 500;
    expect(nextAttemptDelay(20, t0, almost, policy)).toBe(500);
    expect(nextAttemptDelay(20, t0, t0 + 3600_000, policy)).toBeNull();
  });
});
