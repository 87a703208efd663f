import { describe, expect, it } from 'vitest';
import { replay, transition, workingState } from '../../src/health/transition.js';
import {
  type CameraHealth,
  counted,
  DEFAULT_HEALTH_PARAMS,
  effective,
  type HandshakeOutcome,
  type HealthParams,
  initialHealth,
  intervalState,
  online,
  type SlotResult,
} from '../../src/health/types.js';

const BASE = Date.UTC(2024, 5, 1, 0, 0, 0);
const MIN = 60_000;
const at = (minute: number): Date => new Date(BASE + minute * MIN);

function slot(minute: number, handshake: HandshakeOutcome, extra: Partial<SlotResult> = {}): SlotResult {
  return {
    at: at(minute),
    handshake,
    picture: handshake === 'ok' ? null : undefined,
    compliance: handshake === 'ok' ? [] : undefined,
    inMaintenance: false,
    ...extra,
  };
}

const K = DEFAULT_HEALTH_PARAMS.failuresToOffline;
const M = DEFAULT_HEALTH_PARAMS.successesToOnline;

/** A camera that has been online since minute 0 (one success from unknown). */
function onlineCamera(): CameraHealth {
  return transition(initialHealth(at(-1)), slot(0, 'ok')).next;
}

/** n failures of one kind, one per minute starting at `from`. */
function failures(from: number, n: number, kind: HandshakeOutcome = 'network'): SlotResult[] {
  return Array.from({ length: n }, (_, i) => slot(from + i, kind));
}

function offlineCamera(kind: HandshakeOutcome = 'network'): CameraHealth {
  return replay(onlineCamera(), failures(1, K, kind)).health;
}

describe('types and defaults', () => {
  it('defaults: K=3, M=2, 30 min flap window, 5 changes', () => {
    expect(DEFAULT_HEALTH_PARAMS).toEqual({
      failuresToOffline: 3,
      successesToOnline: 2,
      flapWindowMs: 30 * MIN,
      flapChanges: 5,
    });
    expect(Object.isFrozen(DEFAULT_HEALTH_PARAMS)).toBe(true);
  });

  it('initialHealth is unknown with clean counters', () => {
    expect(initialHealth(at(0))).toEqual({
      state: 'unknown',
      reason: null,
      since: at(0),
      consecutiveFailures: 0,
      consecutiveSuccesses: 0,
      lastPicture: null,
      lastCompliance: [],
      stateChanges: [],
      flapping: false,
      lastResultAt: null,
    });
  });

  it.each([
    ['online', null, true, true, true],
    ['degraded', 'picture:black', true, false, true],
    ['degraded', 'picture:frozen', true, false, true],
    ['degraded', 'compliance:clock_drift', true, true, true],
    ['degraded', 'compliance:osd_mismatch', true, true, true],
    ['degraded', 'auth_failure', false, false, true],
    ['degraded', null, false, false, true],
    ['offline', 'network', false, false, true],
    ['offline', 'stream', false, false, true],
    ['unknown', null, false, false, false],
    ['maintenance', 'maintenance', false, false, false],
  ] as const)('%s/%s: online %s, effective %s, counted %s', (state, reason, on, eff, isCounted) => {
    expect(online(state, reason)).toBe(on);
    expect(effective(state, reason)).toBe(eff);
    expect(counted(state)).toBe(isCounted);
    expect(intervalState(state, reason)).toEqual({ state, reason, online: on, effective: eff });
  });

  it('workingState: picture beats compliance, first compliance fault names the reason', () => {
    expect(workingState(null, [])).toEqual({ state: 'online', reason: null });
    expect(workingState('blur', ['clock_drift'])).toEqual({ state: 'degraded', reason: 'picture:blur' });
    expect(workingState(null, ['osd_mismatch', 'clock_drift'])).toEqual({
      state: 'degraded',
      reason: 'compliance:osd_mismatch',
    });
  });
});

describe('from unknown', () => {
  it('one success suffices', () => {
    const { next, change, reprobeSoon } = transition(initialHealth(at(-1)), slot(0, 'ok'));
    expect(next.state).toBe('online');
    expect(next.reason).toBeNull();
    expect(next.since).toEqual(at(0));
    expect(next.consecutiveSuccesses).toBe(1);
    expect(next.lastResultAt).toEqual(at(0));
    expect(reprobeSoon).toBe(false);
    expect(change).toEqual({
      from: 'unknown',
      to: 'online',
      fromReason: null,
      toReason: null,
      at: at(0),
      flapping: false,
    });
  });

  it('still needs K failures to go offline, re-probing fast before that', () => {
    let h = initialHealth(at(-1));
    for (let i = 0; i < K - 1; i++) {
      const step = transition(h, slot(i, 'network'));
      expect(step.next.state).toBe('unknown');
      expect(step.change).toBeNull();
      expect(step.reprobeSoon).toBe(true);
      h = step.next;
    }
    const step = transition(h, slot(K, 'network'));
    expect(step.next.state).toBe('offline');
    expect(step.next.reason).toBe('network');
    expect(step.change?.from).toBe('unknown');
    expect(step.reprobeSoon).toBe(false);
  });

  it('a first success with a picture fault lands degraded at once', () => {
    const { next } = transition(initialHealth(at(-1)), slot(0, 'ok', { picture: 'black' }));
    expect(next).toMatchObject({ state: 'degraded', reason: 'picture:black', lastPicture: 'black' });
  });
});

describe('failure hysteresis', () => {
  it.each(['network', 'signalling', 'stream'] as const)(
    '%s: K-1 stays, K goes offline, K+1 raises nothing',
    (kind) => {
      let h = onlineCamera();
      const steps = failures(1, K + 1, kind).map((r) => {
        const step = transition(h, r);
        h = step.next;
        return step;
      });
      // K-1 failures: still online, fast re-probe each time.
      for (const step of steps.slice(0, K - 1)) {
        expect(step.next.state).toBe('online');
        expect(step.change).toBeNull();
        expect(step.reprobeSoon).toBe(true);
      }
      expect(steps[K - 2]?.next.consecutiveFailures).toBe(K - 1);
      // K: offline with the outcome as reason; no re-probe any more.
      const kth = steps[K - 1];
      expect(kth?.next).toMatchObject({
        state: 'offline',
        reason: kind,
        consecutiveFailures: K,
        since: at(K),
      });
      expect(kth?.change).toMatchObject({ from: 'online', to: 'offline', fromReason: null, toReason: kind });
      expect(kth?.reprobeSoon).toBe(false);
      // K+1: stays offline, no second change, no fast re-probe.
      const after = steps[K];
      expect(after?.next).toMatchObject({
        state: 'offline',
        reason: kind,
        consecutiveFailures: K + 1,
        since: at(K),
      });
      expect(after?.change).toBeNull();
      expect(after?.reprobeSoon).toBe(false);
    },
  );

  it('a success before K resets the failure count', () => {
    const { health } = replay(onlineCamera(), [
      ...failures(1, K - 1),
      slot(10, 'ok'),
      ...failures(11, K - 1),
    ]);
    expect(health.state).toBe('online');
    expect(health.consecutiveFailures).toBe(K - 1);
  });

  it('mixed failure kinds count together; the latest kind names the reason', () => {
    const { health, changes } = replay(onlineCamera(), [
      slot(1, 'network'),
      slot(2, 'signalling'),
      slot(3, 'stream'),
    ]);
    expect(health).toMatchObject({ state: 'offline', reason: 'stream' });
    expect(changes).toHaveLength(1);
  });

  it('an offline camera whose failure kind changes updates its reason with a change event', () => {
    const step = transition(offlineCamera('network'), slot(20, 'stream'));
    expect(step.next).toMatchObject({ state: 'offline', reason: 'stream', since: at(20) });
    expect(step.change).toMatchObject({
      from: 'offline',
      to: 'offline',
      fromReason: 'network',
      toReason: 'stream',
    });
    expect(step.reprobeSoon).toBe(false);
  });

  it('respects custom K', () => {
    const params: HealthParams = { ...DEFAULT_HEALTH_PARAMS, failuresToOffline: 1 };
    const step = transition(onlineCamera(), slot(1, 'network'), params);
    expect(step.next.state).toBe('offline');
    expect(step.reprobeSoon).toBe(false);
  });
});

describe('returning from offline', () => {
  it('needs M consecutive successes', () => {
    let h = offlineCamera();
    for (let i = 0; i < M - 1; i++) {
      const step = transition(h, slot(10 + i, 'ok'));
      expect(step.next.state).toBe('offline');
      expect(step.next.consecutiveFailures).toBe(0);
      expect(step.change).toBeNull();
      expect(step.reprobeSoon).toBe(false);
      h = step.next;
    }
    const step = transition(h, slot(10 + M, 'ok'));
    expect(step.next).toMatchObject({
      state: 'online',
      reason: null,
      consecutiveSuccesses: M,
      since: at(10 + M),
    });
    expect(step.change).toMatchObject({
      from: 'offline',
      to: 'online',
      fromReason: 'network',
      toReason: null,
    });
  });

  it('a failure in between restarts the success count', () => {
    const { health } = replay(offlineCamera(), [slot(10, 'ok'), slot(11, 'network'), slot(12, 'ok')]);
    expect(health.state).toBe('offline');
    expect(health.consecutiveSuccesses).toBe(1);
    expect(health.consecutiveFailures).toBe(0);
  });

  it('returns degraded when the picture is faulty', () => {
    const { health } = replay(offlineCamera(), [
      slot(10, 'ok', { picture: 'frozen' }),
      slot(11, 'ok', { picture: undefined }),
    ]);
    expect(health).toMatchObject({ state: 'degraded', reason: 'picture:frozen' });
  });
});

describe('picture and compliance', () => {
  it('picture beats compliance', () => {
    const step = transition(onlineCamera(), slot(1, 'ok', { picture: 'noise', compliance: ['clock_drift'] }));
    expect(step.next).toMatchObject({ state: 'degraded', reason: 'picture:noise' });
    expect(step.change).toMatchObject({ from: 'online', to: 'degraded', toReason: 'picture:noise' });
    expect(step.reprobeSoon).toBe(false);
  });

  it('compliance faults alone degrade with the first fault', () => {
    const step = transition(onlineCamera(), slot(1, 'ok', { compliance: ['osd_mismatch', 'clock_drift'] }));
    expect(step.next).toMatchObject({
      state: 'degraded',
      reason: 'compliance:osd_mismatch',
      lastCompliance: ['osd_mismatch', 'clock_drift'],
    });
  });

  it('an undefined picture keeps the last verdict; null clears it', () => {
    const { health: faulty } = replay(onlineCamera(), [slot(1, 'ok', { picture: 'blur' })]);
    const kept = transition(faulty, slot(2, 'ok', { picture: undefined }));
    expect(kept.next).toMatchObject({ state: 'degraded', reason: 'picture:blur', lastPicture: 'blur' });
    expect(kept.change).toBeNull();
    const cleared = transition(kept.next, slot(3, 'ok', { picture: null }));
    expect(cleared.next).toMatchObject({ state: 'online', reason: null, lastPicture: null });
    expect(cleared.change).toMatchObject({ from: 'degraded', to: 'online', fromReason: 'picture:blur' });
  });

  it('undefined compliance keeps the last verdict; [] clears it', () => {
    const { health: faulty } = replay(onlineCamera(), [slot(1, 'ok', { compliance: ['clock_drift'] })]);
    const kept = transition(faulty, slot(2, 'ok', { compliance: undefined }));
    expect(kept.next.reason).toBe('compliance:clock_drift');
    expect(kept.change).toBeNull();
    expect(transition(kept.next, slot(3, 'ok', { compliance: [] })).next.state).toBe('online');
  });

  it('the kept picture survives failures and outranks new compliance faults', () => {
    const { health } = replay(onlineCamera(), [
      slot(1, 'ok', { picture: 'colour_cast' }),
      slot(2, 'network'),
      slot(3, 'ok', { picture: undefined, compliance: ['clock_drift'] }),
    ]);
    expect(health).toMatchObject({ state: 'degraded', reason: 'picture:colour_cast' });
  });

  it('the change from one picture fault to another is a change', () => {
    const { changes } = replay(onlineCamera(), [
      slot(1, 'ok', { picture: 'black' }),
      slot(2, 'ok', { picture: 'brightness' }),
    ]);
    expect(changes.map((c) => c.toReason)).toEqual(['picture:black', 'picture:brightness']);
  });

  it('the stored compliance list is a copy of the input', () => {
    const compliance: SlotResult['compliance'] = ['clock_drift'];
    const { next } = transition(onlineCamera(), slot(1, 'ok', { compliance }));
    compliance.push('osd_mismatch');
    expect(next.lastCompliance).toEqual(['clock_drift']);
  });
});

describe('auth failures', () => {
  it('degrade with auth_failure at K, not offline', () => {
    let h = onlineCamera();
    for (let i = 1; i < K; i++) {
      const step = transition(h, slot(i, 'auth'));
      expect(step.next.state).toBe('online');
      expect(step.reprobeSoon).toBe(true);
      h = step.next;
    }
    const step = transition(h, slot(K, 'auth'));
    expect(step.next).toMatchObject({ state: 'degraded', reason: 'auth_failure' });
    expect(step.change).toMatchObject({ from: 'online', to: 'degraded', toReason: 'auth_failure' });
    expect(step.reprobeSoon).toBe(false);
    expect(online('degraded', 'auth_failure')).toBe(false);
    expect(effective('degraded', 'auth_failure')).toBe(false);
  });

  it('returning from auth_failure needs M successes', () => {
    const authDown = replay(onlineCamera(), failures(1, K, 'auth')).health;
    const first = transition(authDown, slot(10, 'ok'));
    expect(first.next).toMatchObject({ state: 'degraded', reason: 'auth_failure' });
    expect(first.change).toBeNull();
    const second = transition(first.next, slot(11, 'ok'));
    expect(second.next).toMatchObject({ state: 'online', reason: null });
  });

  it('an offline camera that starts refusing our credentials becomes degraded auth_failure', () => {
    const step = transition(offlineCamera(), slot(20, 'auth'));
    expect(step.next).toMatchObject({ state: 'degraded', reason: 'auth_failure' });
    expect(step.change).toMatchObject({ from: 'offline', fromReason: 'network' });
  });

  it('a picture-degraded camera returns at once: only offline and auth_failure need M', () => {
    const { health } = replay(onlineCamera(), [slot(1, 'ok', { picture: 'black' })]);
    expect(transition(health, slot(2, 'ok')).next.state).toBe('online');
  });
});

describe('session limit', () => {
  it('is inconclusive: counters and state stand, fast re-probe, no change', () => {
    const oneFailure = transition(onlineCamera(), slot(1, 'network')).next;
    const step = transition(oneFailure, slot(2, 'session_limit'));
    expect(step.change).toBeNull();
    expect(step.reprobeSoon).toBe(true);
    expect(step.next).toMatchObject({
      state: 'online',
      consecutiveFailures: 1,
      consecutiveSuccesses: 0,
      since: oneFailure.since,
      lastResultAt: at(2),
    });
  });

  it('interleaved session limits do not break a failure streak or a success streak', () => {
    const down = replay(onlineCamera(), [
      slot(1, 'network'),
      slot(2, 'session_limit'),
      slot(3, 'network'),
      slot(4, 'stream'),
    ]);
    expect(down.health).toMatchObject({ state: 'offline', reason: 'stream' });
    const up = replay(down.health, [slot(5, 'ok'), slot(6, 'session_limit'), slot(7, 'ok')]);
    expect(up.health.state).toBe('online');
  });

  it('leaves an offline camera offline and an unknown camera unknown', () => {
    expect(transition(offlineCamera(), slot(20, 'session_limit')).next.state).toBe('offline');
    const unknown = transition(initialHealth(at(-1)), slot(0, 'session_limit'));
    expect(unknown.next.state).toBe('unknown');
    expect(unknown.change).toBeNull();
  });
});

describe('maintenance', () => {
  it('enters maintenance from any state and resets counters', () => {
    for (const start of [
      onlineCamera(),
      offlineCamera(),
      transition(onlineCamera(), slot(1, 'network')).next,
    ]) {
      const step = transition(start, slot(30, 'network', { inMaintenance: true }));
      expect(step.next).toMatchObject({
        state: 'maintenance',
        reason: 'maintenance',
        consecutiveFailures: 0,
        consecutiveSuccesses: 0,
        since: at(30),
      });
      expect(step.change).toMatchObject({ to: 'maintenance', toReason: 'maintenance' });
      expect(step.reprobeSoon).toBe(false);
    }
  });

  it('stays in maintenance quietly while the window lasts, whatever the handshake', () => {
    const inMaint = transition(onlineCamera(), slot(1, 'ok', { inMaintenance: true })).next;
    const { health, changes } = replay(inMaint, [
      slot(2, 'network', { inMaintenance: true }),
      slot(3, 'session_limit', { inMaintenance: true }),
      slot(4, 'ok', { inMaintenance: true }),
    ]);
    expect(health.state).toBe('maintenance');
    expect(changes).toEqual([]);
  });

  it('leaves with one success, like unknown', () => {
    const inMaint = transition(offlineCamera(), slot(30, 'ok', { inMaintenance: true })).next;
    const step = transition(inMaint, slot(31, 'ok'));
    expect(step.next).toMatchObject({ state: 'online', consecutiveSuccesses: 1 });
    expect(step.change).toMatchObject({ from: 'maintenance', to: 'online', fromReason: 'maintenance' });
  });

  it('leaving with failures: unknown at once, offline only after K fresh failures', () => {
    const inMaint = transition(onlineCamera(), slot(30, 'network', { inMaintenance: true })).next;
    const first = transition(inMaint, slot(31, 'network'));
    expect(first.next).toMatchObject({ state: 'unknown', reason: null, consecutiveFailures: 1 });
    expect(first.change).toMatchObject({ from: 'maintenance', to: 'unknown' });
    expect(first.reprobeSoon).toBe(true);
    const { health, changes } = replay(first.next, failures(32, K - 1));
    expect(health).toMatchObject({ state: 'offline', reason: 'network' });
    expect(changes).toHaveLength(1);
  });

  it('leaving on a session limit also ends the maintenance state', () => {
    const inMaint = transition(onlineCamera(), slot(30, 'ok', { inMaintenance: true })).next;
    const step = transition(inMaint, slot(31, 'session_limit'));
    expect(step.next.state).toBe('unknown');
    expect(step.reprobeSoon).toBe(true);
  });
});

describe('ordering', () => {
  it('ignores a result older than the last one', () => {
    const h = transition(onlineCamera(), slot(10, 'network')).next;
    const step = transition(h, slot(5, 'network'));
    expect(step.next).toBe(h);
    expect(step.change).toBeNull();
    expect(step.reprobeSoon).toBe(false);
  });

  it('ignores a duplicate (equal timestamp)', () => {
    const h = transition(onlineCamera(), slot(10, 'network')).next;
    const step = transition(h, slot(10, 'network'));
    expect(step.next).toBe(h);
    expect(step.next.consecutiveFailures).toBe(1);
  });

  it('a late success cannot bring an offline camera back', () => {
    const down = offlineCamera();
    const { health, changes } = replay(down, [slot(0, 'ok'), slot(1, 'ok'), slot(2, 'ok')]);
    expect(health).toBe(down);
    expect(changes).toEqual([]);
  });
});

describe('restart from the persisted record', () => {
  it('a camera already offline staying down raises no second change', () => {
    const stored: CameraHealth = JSON.parse(JSON.stringify(offlineCamera()), (key, value) =>
      ['since', 'lastResultAt'].includes(key) && typeof value === 'string' ? new Date(value) : value,
    );
    stored.stateChanges = stored.stateChanges.map((t) => new Date(t));
    const { health, changes } = replay(stored, failures(100, 5));
    expect(changes).toEqual([]);
    expect(health).toMatchObject({
      state: 'offline',
      reason: 'network',
      since: at(K),
      consecutiveFailures: K + 5,
    });
  });

  it('a stored mid-streak count carries on', () => {
    const stored: CameraHealth = { ...onlineCamera(), consecutiveFailures: K - 1, lastResultAt: at(50) };
    const step = transition(stored, slot(51, 'network'));
    expect(step.next.state).toBe('offline');
  });

  it('a stored flapping record keeps its window', () => {
    const stored: CameraHealth = {
      ...onlineCamera(),
      stateChanges: [at(1), at(2), at(3), at(4), at(5)],
      flapping: true,
      lastResultAt: at(5),
    };
    // Quiet result inside the window: still flapping.
    expect(transition(stored, slot(6, 'ok')).next.flapping).toBe(true);
  });
});

describe('flapping', () => {
  const params: HealthParams = {
    failuresToOffline: 1,
    successesToOnline: 1,
    flapWindowMs: 30 * MIN,
    flapChanges: 5,
  };
  /** Alternate down/up once a minute from minute 1: each result is a change. */
  const alternate = (from: number, n: number): SlotResult[] =>
    Array.from({ length: n }, (_, i) => slot(from + i, i % 2 === 0 ? 'network' : 'ok'));

  it('turns on at the fifth change in the window, and the change carries it', () => {
    let h = onlineCamera();
    const steps = alternate(1, 5).map((r) => {
      const s = transition(h, r, params);
      h = s.next;
      return s;
    });
    expect(steps.map((s) => s.next.flapping)).toEqual([false, false, false, true, true]);
    // onlineCamera() changed at minute 0, so the fourth alternation is the fifth change in the window.
    expect(steps[3]?.change?.flapping).toBe(true);
    expect(h.stateChanges).toHaveLength(6);
  });

  it('a change exactly flapWindowMs old still counts; one millisecond older drops out', () => {
    const stored: CameraHealth = {
      ...onlineCamera(),
      stateChanges: [at(0), at(5), at(10), at(20)],
      lastResultAt: at(29),
    };
    // At minute 30 the change at minute 0 is exactly on the edge: kept, 4 + this one = 5.
    const onEdge = transition(stored, { ...slot(30, 'network') }, params);
    expect(onEdge.next.stateChanges.map((d) => d.getTime())).toEqual(
      [0, 5, 10, 20, 30].map((m) => at(m).getTime()),
    );
    expect(onEdge.next.flapping).toBe(true);
    // One millisecond later the minute-0 change is gone: 3 + this one = 4.
    const past = transition(stored, { ...slot(30, 'network'), at: new Date(at(30).getTime() + 1) }, params);
    expect(past.next.stateChanges).toHaveLength(4);
    expect(past.next.flapping).toBe(false);
  });

  it('clears when the window holds fewer changes, even on a quiet result', () => {
    const flappy: CameraHealth = {
      ...onlineCamera(),
      stateChanges: [at(1), at(2), at(3), at(4), at(5)],
      flapping: true,
      lastResultAt: at(5),
    };
    const stillInside = transition(flappy, slot(31, 'ok'), params);
    // At minute 31 the change at minute 1 is exactly 30 min old: still in the window, 5 changes.
    expect(stillInside.next.flapping).toBe(true);
    const quiet = transition(stillInside.next, slot(32, 'ok'), params);
    expect(quiet.change).toBeNull();
    expect(quiet.next.stateChanges.map((d) => d.getTime())).toEqual([2, 3, 4, 5].map((m) => at(m).getTime()));
    expect(quiet.next.flapping).toBe(false);
  });

  it('never flaps on a steady camera', () => {
    const { health } = replay(
      onlineCamera(),
      Array.from({ length: 100 }, (_, i) => slot(i + 1, 'ok')),
    );
    expect(health.flapping).toBe(false);
    expect(health.stateChanges).toEqual([]);
  });

  it('since moves only on a change', () => {
    const { health } = replay(onlineCamera(), [slot(1, 'ok'), slot(2, 'network'), slot(3, 'ok')]);
    expect(health.since).toEqual(at(0));
    expect(health.lastResultAt).toEqual(at(3));
  });
});
