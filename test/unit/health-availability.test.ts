import { describe, expect, it } from 'vitest';
import {
  type Availability,
  type AvailabilityInput,
  cameraAvailability,
  type Exclusion,
  type Gap,
  gapToTarget,
  rates,
  type StateInterval,
  sumAvailability,
  ZERO_AVAILABILITY,
} from '../../src/health/availability.js';
import type { HealthState } from '../../src/health/types.js';

const BASE = Date.UTC(2024, 5, 1, 0, 0, 0);
const H = 3_600_000;
const h = (hours: number): Date => new Date(BASE + hours * H);

function iv(
  from: number,
  to: number | null,
  state: HealthState = 'online',
  reason: string | null = null,
): StateInterval {
  return { from: h(from), to: to === null ? null : h(to), state, reason };
}
const maint = (from: number, to: number): Exclusion => ({ from: h(from), to: h(to), kind: 'maintenance' });
const external = (from: number, to: number): Exclusion => ({
  from: h(from),
  to: h(to),
  kind: 'external_cause',
});
const gap = (from: number, to: number): Gap => ({ from: h(from), to: h(to) });

/** A one-day window [0h, 24h), a camera commissioned long before and never retired, now long after. */
function input(over: Partial<AvailabilityInput>): AvailabilityInput {
  return {
    intervals: [],
    exclusions: [],
    gaps: [],
    lifetime: { commissionedAt: h(-1000), retiredAt: null },
    window: { from: h(0), to: h(24) },
    now: h(1000),
    ...over,
  };
}

/** Expected figures in hours. */
function hours(a: Partial<Record<keyof Availability, number>>): Availability {
  const out = { ...ZERO_AVAILABILITY };
  for (const [k, v] of Object.entries(a)) out[k as keyof Availability] = (v ?? 0) * H;
  return out;
}

function bucketTotal(a: Availability): number {
  return a.scheduledMs + a.maintenanceMs + a.externalCauseMs + a.gapMs + a.unknownMs;
}

describe('cameraAvailability: window and lifetime', () => {
  it('cuts intervals at both window ends', () => {
    const a = cameraAvailability(
      input({
        intervals: [iv(-5, 3), iv(3, 10, 'offline', 'network'), iv(10, 30, 'degraded', 'picture:black')],
      }),
    );
    expect(a).toEqual(hours({ scheduledMs: 24, onlineMs: 17, effectiveMs: 3 }));
  });

  it('counts nothing outside the window', () => {
    const a = cameraAvailability(input({ intervals: [iv(-10, -1), iv(25, 30)] }));
    expect(a).toEqual(hours({ unknownMs: 24 }));
  });

  it('cuts at commissioning and retirement inside the window', () => {
    const a = cameraAvailability(
      input({ intervals: [iv(-5, null)], lifetime: { commissionedAt: h(6), retiredAt: h(18) } }),
    );
    expect(a).toEqual(hours({ scheduledMs: 12, onlineMs: 12, effectiveMs: 12 }));
  });

  it('a camera commissioned after the window or retired before it has nothing', () => {
    const later = cameraAvailability(
      input({ intervals: [iv(-5, null)], lifetime: { commissionedAt: h(30), retiredAt: null } }),
    );
    const earlier = cameraAvailability(
      input({ intervals: [iv(-5, null)], lifetime: { commissionedAt: h(-50), retiredAt: h(-1) } }),
    );
    expect(later).toEqual(ZERO_AVAILABILITY);
    expect(earlier).toEqual(ZERO_AVAILABILITY);
    expect(rates(later)).toEqual({ onlineRate: null, effectiveRate: null });
  });

  it('an open interval runs to now when now is inside the window', () => {
    const a = cameraAvailability(
      input({ intervals: [iv(-2, 4, 'offline', 'stream'), iv(4, null)], now: h(10) }),
    );
    expect(a).toEqual(hours({ scheduledMs: 10, onlineMs: 6, effectiveMs: 6 }));
  });

  it('an open interval runs to the window end when now is past it', () => {
    const a = cameraAvailability(input({ intervals: [iv(4, null)], now: h(48) }));
    expect(a).toEqual(hours({ scheduledMs: 20, onlineMs: 20, effectiveMs: 20, unknownMs: 4 }));
  });

  it('nothing counts when now is before the window', () => {
    expect(cameraAvailability(input({ intervals: [iv(-5, null)], now: h(-1) }))).toEqual(ZERO_AVAILABILITY);
  });

  it('a closed interval ending after now is cut at now', () => {
    const a = cameraAvailability(input({ intervals: [iv(0, 20)], now: h(5) }));
    expect(a).toEqual(hours({ scheduledMs: 5, onlineMs: 5, effectiveMs: 5 }));
  });

  it('retirement, window end and now: the earliest wins', () => {
    const a = cameraAvailability(
      input({ intervals: [iv(0, null)], lifetime: { commissionedAt: h(-1), retiredAt: h(15) }, now: h(20) }),
    );
    expect(a.scheduledMs).toBe(15 * H);
  });
});

describe('cameraAvailability: exclusions and gaps', () => {
  it('removes maintenance and external-cause time, overlaps counted once, maintenance first', () => {
    const a = cameraAvailability(
      input({
        intervals: [iv(-10, null, 'offline', 'network')],
        exclusions: [
          external(-2, 1), // over the window start: 1 h
          maint(2, 6),
          external(4, 8), // 4–6 is maintenance already: 2 h
          external(7, 9), // overlaps the previous external: 8–9 adds 1 h
          maint(3, 5), // inside the first maintenance: nothing new
          maint(22, 26), // over the window end: 2 h
        ],
      }),
    );
    expect(a).toEqual(hours({ scheduledMs: 14, maintenanceMs: 6, externalCauseMs: 4 }));
    expect(a.onlineMs).toBe(0);
  });

  it('an external cause wholly inside maintenance counts as maintenance only', () => {
    const a = cameraAvailability(
      input({ intervals: [iv(0, null)], exclusions: [external(3, 4), maint(2, 6)] }),
    );
    expect(a).toEqual(hours({ scheduledMs: 20, onlineMs: 20, effectiveMs: 20, maintenanceMs: 4 }));
  });

  it('exclusions outside the lifetime do not count', () => {
    const a = cameraAvailability(
      input({
        intervals: [iv(0, null)],
        exclusions: [maint(0, 8), external(16, 24)],
        lifetime: { commissionedAt: h(6), retiredAt: h(18) },
      }),
    );
    expect(a).toEqual(
      hours({ scheduledMs: 8, onlineMs: 8, effectiveMs: 8, maintenanceMs: 2, externalCauseMs: 2 }),
    );
  });

  it('gaps count neither way, merged, and never twice with an exclusion', () => {
    const a = cameraAvailability(
      input({
        intervals: [iv(-1, 12, 'offline', 'network'), iv(12, null)],
        exclusions: [maint(2, 6)],
        gaps: [gap(10, 12), gap(11, 13), gap(5, 7), gap(23, 30)],
      }),
    );
    // Gaps: 10–13 (3 h), 6–7 (1 h; 5–6 is maintenance), 23–24 (1 h).
    expect(a.gapMs).toBe(5 * H);
    expect(a.maintenanceMs).toBe(4 * H);
    // Scheduled: 24 − 4 − 5 = 15 h; online 13–23 = 10 h.
    expect(a.scheduledMs).toBe(15 * H);
    expect(a.onlineMs).toBe(10 * H);
    expect(a.effectiveMs).toBe(10 * H);
    expect(bucketTotal(a)).toBe(24 * H);
  });

  it('empty or inverted exclusions and gaps are ignored', () => {
    const a = cameraAvailability(
      input({
        intervals: [iv(0, null)],
        exclusions: [maint(5, 5), external(8, 6)],
        gaps: [gap(3, 3), gap(9, 2)],
      }),
    );
    expect(a).toEqual(hours({ scheduledMs: 24, onlineMs: 24, effectiveMs: 24 }));
  });
});

describe('cameraAvailability: states', () => {
  it('unknown and maintenance states and uncovered time count neither way', () => {
    const a = cameraAvailability(
      input({
        intervals: [iv(0, 4, 'unknown'), iv(4, 10), iv(12, 14, 'maintenance', 'maintenance'), iv(14, 24)],
      }),
    );
    // 0–4 unknown, 10–12 uncovered, 12–14 maintenance state.
    expect(a).toEqual(hours({ scheduledMs: 16, onlineMs: 16, effectiveMs: 16, unknownMs: 8 }));
  });

  it('compliance-degraded is effective; picture-degraded is online but not effective; auth is neither', () => {
    const a = cameraAvailability(
      input({
        intervals: [
          iv(0, 6, 'degraded', 'compliance:clock_drift'),
          iv(6, 12, 'degraded', 'picture:frozen'),
          iv(12, 18, 'degraded', 'auth_failure'),
          iv(18, 24, 'offline', 'signalling'),
        ],
      }),
    );
    expect(a).toEqual(hours({ scheduledMs: 24, onlineMs: 12, effectiveMs: 6 }));
  });

  it('unsorted input gives the same figures as sorted', () => {
    const sorted = [
      iv(0, 5),
      iv(5, 9, 'offline', 'network'),
      iv(9, 15, 'degraded', 'picture:blur'),
      iv(15, null),
    ];
    const shuffled = [sorted[2], sorted[0], sorted[3], sorted[1]] as StateInterval[];
    const a = cameraAvailability(input({ intervals: sorted }));
    expect(cameraAvailability(input({ intervals: shuffled }))).toEqual(a);
    expect(a).toEqual(hours({ scheduledMs: 24, onlineMs: 20, effectiveMs: 14 }));
  });

  it('a later interval start cuts an earlier open one, and an overlapping closed one', () => {
    const a = cameraAvailability(
      input({
        intervals: [
          iv(10, null, 'offline', 'network'),
          iv(0, null),
          iv(16, 20),
          iv(12, 18, 'offline', 'stream'),
        ],
      }),
    );
    // 0–10 online, 10–12 offline, 12–16 offline (cut by 16), 16–20 online, 20–24 uncovered.
    expect(a).toEqual(hours({ scheduledMs: 20, onlineMs: 14, effectiveMs: 14, unknownMs: 4 }));
  });

  it('of two intervals with the same start the later listed wins', () => {
    const a = cameraAvailability(input({ intervals: [iv(0, null, 'offline', 'network'), iv(0, null)] }));
    expect(a.effectiveMs).toBe(24 * H);
  });

  it('every millisecond lands in exactly one bucket', () => {
    const a = cameraAvailability(
      input({
        intervals: [iv(3, 7, 'unknown'), iv(7, 20, 'degraded', 'picture:noise'), iv(1, 3)],
        exclusions: [maint(0, 2), external(1, 4), external(18, 19)],
        gaps: [gap(3.5, 6), gap(15, 16)],
        lifetime: { commissionedAt: h(0.5), retiredAt: h(23) },
        now: h(22),
      }),
    );
    expect(bucketTotal(a)).toBe(21.5 * H);
    expect(a.onlineMs).toBeLessThanOrEqual(a.scheduledMs);
    expect(a.effectiveMs).toBe(0);
    expect(a).toEqual(
      hours({
        maintenanceMs: 1.5,
        externalCauseMs: 3,
        gapMs: 3,
        scheduledMs: 11,
        onlineMs: 11,
        unknownMs: 3,
      }),
    );
  });
});

describe('rates and sums', () => {
  it('rates are ratios of time', () => {
    expect(rates(hours({ scheduledMs: 20, onlineMs: 19, effectiveMs: 18 }))).toEqual({
      onlineRate: 0.95,
      effectiveRate: 0.9,
    });
  });

  it('node rollups sum cameras first, never average ratios', () => {
    // A: a whole day, 50% effective. B: commissioned for the last hour, 100% effective.
    const a = cameraAvailability(input({ intervals: [iv(0, 12), iv(12, null, 'offline', 'network')] }));
    const b = cameraAvailability(
      input({ intervals: [iv(0, null)], lifetime: { commissionedAt: h(23), retiredAt: null } }),
    );
    const node = sumAvailability([a, b]);
    expect(node).toEqual(hours({ scheduledMs: 25, onlineMs: 13, effectiveMs: 13, unknownMs: 0 }));
    expect(rates(node).effectiveRate).toBeCloseTo(13 / 25, 12);
    const averageOfRatios = ((rates(a).effectiveRate ?? 0) + (rates(b).effectiveRate ?? 0)) / 2;
    expect(averageOfRatios).toBe(0.75);
    expect(rates(node).effectiveRate).not.toBe(averageOfRatios);
  });

  it('sums every field, and the empty sum is zero', () => {
    const one = hours({
      scheduledMs: 1,
      onlineMs: 2,
      effectiveMs: 3,
      maintenanceMs: 4,
      externalCauseMs: 5,
      gapMs: 6,
      unknownMs: 7,
    });
    expect(sumAvailability([one, one])).toEqual(
      hours({
        scheduledMs: 2,
        onlineMs: 4,
        effectiveMs: 6,
        maintenanceMs: 8,
        externalCauseMs: 10,
        gapMs: 12,
        unknownMs: 14,
      }),
    );
    expect(sumAvailability([])).toEqual(ZERO_AVAILABILITY);
  });
});

describe('gapToTarget', () => {
  const cam = (id: string, scheduledHours: number, effectiveHours: number) => ({
    id,
    scheduledMs: scheduledHours * H,
    effectiveMs: effectiveHours * H,
  });

  it('already reached: no fixes', () => {
    expect(gapToTarget([cam('a', 100, 96), cam('b', 100, 94)])).toEqual({
      rate: 0.95,
      rateAfterFixes: 0.95,
      reached: true,
      fixes: [],
    });
  });

  it('one fix enough: the camera with the most lost time', () => {
    const r = gapToTarget([cam('a', 100, 99), cam('b', 100, 80), cam('c', 100, 95), cam('d', 100, 96)]);
    expect(r.rate).toBeCloseTo(0.925, 12);
    expect(r.fixes).toEqual(['b']);
    expect(r.reached).toBe(true);
    expect(r.rateAfterFixes).toBeCloseTo(0.975, 12);
  });

  it('takes the fewest cameras, largest losses first, ties by id', () => {
    const cameras = [cam('z', 10, 5), cam('y', 10, 5), cam('x', 10, 7), cam('w', 100, 100)];
    // 117/130 = 0.9; need 123.5: +5 (y) = 122, +5 (z) = 127.
    const r = gapToTarget(cameras);
    expect(r.fixes).toEqual(['y', 'z']);
    expect(r.reached).toBe(true);
  });

  it('not reachable with the given target: all lossy cameras, reached false', () => {
    // Cameras with no lost time are never listed.
    const r = gapToTarget([cam('a', 10, 5), cam('b', 10, 10), cam('c', 10, 9)], 1.01);
    expect(r.fixes).toEqual(['a', 'c']);
    expect(r.reached).toBe(false);
    expect(r.rateAfterFixes).toBe(1);
  });

  it('honours a custom target and an exact hit', () => {
    // 170/200: at 0.95 fixing b hits 190/200 exactly; at 0.96 both are needed.
    expect(gapToTarget([cam('a', 100, 90), cam('b', 100, 80)])).toMatchObject({
      fixes: ['b'],
      reached: true,
      rateAfterFixes: 0.95,
    });
    expect(gapToTarget([cam('a', 100, 90), cam('b', 100, 80)], 0.96).fixes).toEqual(['b', 'a']);
    expect(gapToTarget([cam('a', 100, 90), cam('b', 100, 80)], 0.9).fixes).toEqual(['b']);
    expect(gapToTarget([cam('a', 100, 90)], 0.9)).toMatchObject({ reached: true, fixes: [] });
  });

  it('nothing scheduled: no rate, nothing to fix', () => {
    expect(gapToTarget([])).toEqual({ rate: null, rateAfterFixes: null, reached: true, fixes: [] });
    expect(gapToTarget([cam('a', 0, 0)])).toMatchObject({ rate: null, fixes: [] });
  });
});
