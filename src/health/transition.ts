/**
 * The camera health state machine: one stored record plus one probe result gives the next record.
 * Pure: no clock, no I/O. Hysteresis (K failures down, M successes back), flap detection, and the rule that a
 * late or duplicated result never moves a camera backwards.
 */
import {
  type CameraHealth,
  type ComplianceFault,
  DEFAULT_HEALTH_PARAMS,
  type HealthParams,
  type HealthState,
  type PictureFault,
  type SlotResult,
  type StateChange,
} from './types.js';

export interface TransitionResult {
  next: CameraHealth;
  /** Set when the state or its reason changed. */
  change: StateChange | null;
  /** Probe this camera again soon: a first failure before K, or an inconclusive session-limit answer. */
  reprobeSoon: boolean;
}

interface Target {
  state: HealthState;
  reason: string | null;
}

/** The state a working stream earns, given the picture and compliance verdicts in force. */
export function workingState(picture: PictureFault | null, compliance: readonly ComplianceFault[]): Target {
  if (picture !== null) return { state: 'degraded', reason: `picture:${picture}` };
  const first = compliance[0];
  if (first !== undefined) return { state: 'degraded', reason: `compliance:${first}` };
  return { state: 'online', reason: null };
}

/** Down states a camera leaves only after M consecutive successes. */
function needsConfirmedReturn(state: HealthState, reason: string | null): boolean {
  return state === 'offline' || (state === 'degraded' && reason === 'auth_failure');
}

/**
 * Apply one slot result to a stored record. Results not newer than prev.lastResultAt (late, retried or
 * duplicated jobs) are ignored: prev comes back unchanged.
 */
export function transition(
  prev: CameraHealth,
  result: SlotResult,
  params: HealthParams = DEFAULT_HEALTH_PARAMS,
): TransitionResult {
  if (prev.lastResultAt !== null && result.at.getTime() <= prev.lastResultAt.getTime()) {
    return { next: prev, change: null, reprobeSoon: false };
  }

  const lastPicture = result.picture === undefined ? prev.lastPicture : result.picture;
  const lastCompliance = result.compliance === undefined ? prev.lastCompliance : [...result.compliance];

  // Leaving maintenance: the old verdict no longer stands, the camera starts over as if unknown.
  const base: Target =
    prev.state === 'maintenance' && !result.inMaintenance
      ? { state: 'unknown', reason: null }
      : { state: prev.state, reason: prev.reason };

  let failures = prev.consecutiveFailures;
  let successes = prev.consecutiveSuccesses;
  let target: Target = base;
  let reprobeSoon = false;

  if (result.inMaintenance) {
    failures = 0;
    successes = 0;
    target = { state: 'maintenance', reason: 'maintenance' };
  } else if (result.handshake === 'session_limit') {
    // Inconclusive: someone else holds the sessions. Counters and state stand; try again soon.
    reprobeSoon = true;
  } else if (result.handshake === 'ok') {
    failures = 0;
    successes += 1;
    const confirmed = !needsConfirmedReturn(base.state, base.reason) || successes >= params.successesToOnline;
    if (confirmed) target = workingState(lastPicture, lastCompliance);
  } else {
    successes = 0;
    failures += 1;
    if (failures >= params.failuresToOffline) {
      target =
        result.handshake === 'auth'
          ? { state: 'degraded', reason: 'auth_failure' }
          : { state: 'offline', reason: result.handshake };
    } else {
      reprobeSoon = true;
    }
  }

  const changed = target.state !== prev.state || target.reason !== prev.reason;
  const at = result.at;
  const windowStart = at.getTime() - params.flapWindowMs;
  const stateChanges = prev.stateChanges.filter((t) => t.getTime() >= windowStart);
  if (changed) stateChanges.push(at);
  const flapping = stateChanges.length >= params.flapChanges;

  const next: CameraHealth = {
    state: target.state,
    reason: target.reason,
    since: changed ? at : prev.since,
    consecutiveFailures: failures,
    consecutiveSuccesses: successes,
    lastPicture,
    lastCompliance,
    stateChanges,
    flapping,
    lastResultAt: at,
  };
  const change: StateChange | null = changed
    ? { from: prev.state, to: target.state, fromReason: prev.reason, toReason: target.reason, at, flapping }
    : null;
  return { next, change, reprobeSoon };
}

/** Fold a sequence of results over a record (in the given order); the changes it raised, in order. */
export function replay(
  start: CameraHealth,
  results: readonly SlotResult[],
  params: HealthParams = DEFAULT_HEALTH_PARAMS,
): { health: CameraHealth; changes: StateChange[] } {
  let health = start;
  const changes: StateChange[] = [];
  for (const result of results) {
    const step = transition(health, result, params);
    health = step.next;
    if (step.change) changes.push(step.change);
  }
  return { health, changes };
}
