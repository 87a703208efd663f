/**
 * Alert rules: which faults of a camera are alerts, how severe, and what a change of its health does to its open
 * alerts. Pure: the alerting service reads the durable health events and the open alerts, asks decideAlerts,
 * and stores the answer. One open alert per camera and cause.
 */
import type { HealthState } from '../health/types.js';

export type AlertCause =
  | 'offline'
  | 'picture'
  | 'auth_failure'
  | 'session_limit'
  | 'clock_drift'
  | 'osd_mismatch';

export const ALERT_CAUSES: readonly AlertCause[] = [
  'offline',
  'picture',
  'auth_failure',
  'session_limit',
  'clock_drift',
  'osd_mismatch',
];

export type Severity = 'critical' | 'major' | 'minor';

export interface AlertRule {
  enabled: boolean;
  severity: Severity;
}

export type AlertRules = Record<AlertCause, AlertRule>;

/** A camera that shows nothing is the duty desk's first concern; a wrong clock or label is housekeeping. */
export const DEFAULT_ALERT_RULES: Readonly<AlertRules> = Object.freeze({
  offline: { enabled: true, severity: 'critical' },
  picture: { enabled: true, severity: 'major' },
  auth_failure: { enabled: true, severity: 'major' },
  // raised from probe results, not from a health state: every session of the camera is held by others
  session_limit: { enabled: true, severity: 'major' },
  clock_drift: { enabled: true, severity: 'minor' },
  osd_mismatch: { enabled: true, severity: 'minor' },
});

/** The fault a health state stands for, if any (degraded reasons: 'picture:<fault>', 'compliance:<fault>'). */
export function causeOf(state: HealthState, reason: string | null): AlertCause | null {
  if (state === 'offline') return 'offline';
  if (state !== 'degraded' || reason === null) return null;
  if (reason === 'auth_failure') return 'auth_failure';
  if (reason.startsWith('picture:')) return 'picture';
  if (reason === 'compliance:clock_drift') return 'clock_drift';
  if (reason === 'compliance:osd_mismatch') return 'osd_mismatch';
  return null;
}

export interface HealthChange {
  at: Date;
  to: HealthState;
  toReason: string | null;
}

export interface AlertDecision {
  open: { cause: AlertCause; severity: Severity; at: Date; detail: string | null }[];
  /** causes whose open alert the change resolves (the probe saw the camera past them) */
  resolve: AlertCause[];
}

/**
 * What one change of a camera's health does to its alerts. The fault it enters is opened unless an alert for
 * that cause is open already (dedupe) or its rule is off. Open alerts for other causes are resolved, except
 * when the camera goes to 'unknown' (our probes stopped: nothing is known to be fixed) or 'maintenance'
 * (under repair: the alert stays until the probe sees it healthy). A change into maintenance opens nothing.
 * A session-limit alert stands until the probe results that raised it change (see the alerting stage).
 */
export function decideAlerts(
  change: HealthChange,
  openCauses: ReadonlySet<AlertCause>,
  rules: Readonly<AlertRules> = DEFAULT_ALERT_RULES,
): AlertDecision {
  const cause = causeOf(change.to, change.toReason);
  const open: AlertDecision['open'] = [];
  if (cause !== null && !openCauses.has(cause) && rules[cause].enabled) {
    const detail =
      cause === 'picture' ? (change.toReason?.slice('picture:'.length) ?? null) : change.toReason;
    open.push({ cause, severity: rules[cause].severity, at: change.at, detail });
  }
  const keep = change.to === 'unknown' || change.to === 'maintenance';
  // a session-limit alert is not about the health state: the probe results that raised it also resolve it
  const resolve = keep ? [] : [...openCauses].filter((c) => c !== cause && c !== 'session_limit').sort();
  return { open, resolve };
}
