import { describe, expect, it } from 'vitest';
import {
  ALERT_CAUSES,
  type AlertCause,
  causeOf,
  DEFAULT_ALERT_RULES,
  decideAlerts,
} from '../../src/alerting/rules.js';
import type { HealthState } from '../../src/health/types.js';

const at = new Date('2026-11-29T02:00:00Z');
const change = (to: HealthState, toReason: string | null = null) => ({ at, to, toReason });
const open = (...causes: AlertCause[]) => new Set(causes);

describe('alert causes', () => {
  it.each([
    ['offline', 'network', 'offline'],
    ['offline', 'stream', 'offline'],
    ['degraded', 'auth_failure', 'auth_failure'],
    ['degraded', 'picture:black', 'picture'],
    ['degraded', 'picture:colour_cast', 'picture'],
    ['degraded', 'compliance:clock_drift', 'clock_drift'],
    ['degraded', 'compliance:osd_mismatch', 'osd_mismatch'],
    ['degraded', 'something new', null],
    ['degraded', null, null],
    ['online', null, null],
    ['unknown', 'monitoring_gap', null],
    ['maintenance', 'maintenance', null],
  ] as const)('%s (%s) is %s', (state, reason, cause) => {
    expect(causeOf(state, reason)).toBe(cause);
  });
});

describe('decideAlerts', () => {
  it('a camera going offline opens one critical alert naming the failed layer', () => {
    expect(decideAlerts(change('offline', 'network'), open())).toEqual({
      open: [{ cause: 'offline', severity: 'critical', at, detail: 'network' }],
      resolve: [],
    });
  });

  it('dedupes: an alert already open for the cause opens nothing', () => {
    expect(decideAlerts(change('offline', 'stream'), open('offline'))).toEqual({ open: [], resolve: [] });
  });

  it('a picture fault names the fault; compliance faults are minor', () => {
    expect(decideAlerts(change('degraded', 'picture:frozen'), open()).open).toEqual([
      { cause: 'picture', severity: 'major', at, detail: 'frozen' },
    ]);
    expect(decideAlerts(change('degraded', 'compliance:clock_drift'), open()).open[0]?.severity).toBe(
      'minor',
    );
  });

  it('back online resolves every open alert', () => {
    expect(decideAlerts(change('online'), open('offline', 'clock_drift'))).toEqual({
      open: [],
      resolve: ['clock_drift', 'offline'],
    });
  });

  it('moving from one fault to another resolves the old one and opens the new one', () => {
    expect(decideAlerts(change('degraded', 'picture:black'), open('offline'))).toEqual({
      open: [{ cause: 'picture', severity: 'major', at, detail: 'black' }],
      resolve: ['offline'],
    });
  });

  it('unknown (our probes stopped) and maintenance resolve nothing and open nothing', () => {
    for (const to of [change('unknown', 'monitoring_gap'), change('maintenance', 'maintenance')]) {
      expect(decideAlerts(to, open('offline', 'picture'))).toEqual({ open: [], resolve: [] });
    }
  });

  it('a rule turned off opens nothing, and still lets the probe resolve what is open', () => {
    const rules = { ...DEFAULT_ALERT_RULES, clock_drift: { enabled: false, severity: 'minor' as const } };
    expect(decideAlerts(change('degraded', 'compliance:clock_drift'), open(), rules).open).toEqual([]);
    expect(decideAlerts(change('online'), open('clock_drift'), rules).resolve).toEqual(['clock_drift']);
  });

  it('every cause has a rule, and every open alert is either kept or resolved by every change', () => {
    const states: [HealthState, string | null][] = [
      ['online', null],
      ['offline', 'network'],
      ['degraded', 'auth_failure'],
      ['degraded', 'picture:noise'],
      ['degraded', 'compliance:osd_mismatch'],
      ['unknown', null],
      ['maintenance', 'maintenance'],
    ];
    for (const cause of ALERT_CAUSES) expect(DEFAULT_ALERT_RULES[cause]).toBeDefined();
    for (const [state, reason] of states) {
      for (const existing of ALERT_CAUSES) {
        const d = decideAlerts(change(state, reason), open(existing));
        const entered = causeOf(state, reason);
        // never two open alerts for one cause, never a resolve of what the change itself is
        expect(d.open.map((o) => o.cause)).not.toContain(existing);
        if (entered !== null) expect(d.resolve).not.toContain(entered);
      }
    }
  });
});
