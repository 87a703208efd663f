/**
 * Camera health: the plain data the pure core works on. No I/O here and no clock: every instant is passed in.
 */

/** Where a camera stands. 'unknown' (never judged yet) and 'maintenance' are not counted in any rate. */
export type HealthState = 'unknown' | 'online' | 'degraded' | 'offline' | 'maintenance';

/** The county's rule: at least 95% of the video installations must be effective (视频监控设施有效率≥95%). */
export const EFFECTIVE_TARGET = 0.95;

export const HEALTH_STATES: readonly HealthState[] = [
  'unknown',
  'online',
  'degraded',
  'offline',
  'maintenance',
];

/**
 * How one probe's connection attempt ended.
 * - ok: stream negotiated and frames arrived;
 * - network: TCP / connection failure;
 * - signalling: an RTSP error other than auth or session limit, or an unusable SDP;
 * - auth: 401 with our credentials;
 * - session_limit: 453 / 503, someone else holds the sessions (inconclusive);
 * - stream: RTSP fine but frames did not arrive (stalled or ended).
 */
export type HandshakeOutcome = 'ok' | 'network' | 'signalling' | 'auth' | 'session_limit' | 'stream';

/** A picture-quality fault. Night and infrared are not faults; the picture layer decides that first. */
export type PictureFault = 'black' | 'frozen' | 'blur' | 'brightness' | 'colour_cast' | 'noise';

/** A compliance fault: reported on its own, it does not make a camera ineffective. */
export type ComplianceFault = 'clock_drift' | 'osd_mismatch';

/** The outcome of one probe slot for one camera. */
export interface SlotResult {
  at: Date;
  handshake: HandshakeOutcome;
  /** null: checked and normal; undefined: not checked this slot, keep the last verdict. */
  picture: PictureFault | null | undefined;
  /** []: checked and compliant; undefined: not checked this slot, keep the last verdict. */
  compliance: ComplianceFault[] | undefined;
  /** The slot falls in an approved maintenance window. */
  inMaintenance: boolean;
}

/** The stored health record of one camera; transition() is a function of it and one result. */
export interface CameraHealth {
  state: HealthState;
  /** 'network' | 'signalling' | 'stream' (offline), 'auth_failure' | 'picture:<f>' | 'compliance:<f>' (degraded), 'maintenance', or null. */
  reason: string | null;
  /** When the current state/reason began. */
  since: Date;
  consecutiveFailures: number;
  consecutiveSuccesses: number;
  lastPicture: PictureFault | null;
  lastCompliance: ComplianceFault[];
  /** Recent change times for flap detection, trimmed to the flap window. */
  stateChanges: Date[];
  flapping: boolean;
  lastResultAt: Date | null;
}

export interface StateChange {
  from: HealthState;
  to: HealthState;
  fromReason: string | null;
  toReason: string | null;
  at: Date;
  flapping: boolean;
}

export interface HealthParams {
  /** K: consecutive failures before a camera is declared down (3, as the GB/T 28181 keepalive count). */
  failuresToOffline: number;
  /** M: consecutive successes before an offline (or auth-refused) camera is declared back. */
  successesToOnline: number;
  /** Flap window length. */
  flapWindowMs: number;
  /** Changes within the window that make a camera flapping. */
  flapChanges: number;
}

export const DEFAULT_HEALTH_PARAMS: Readonly<HealthParams> = Object.freeze({
  failuresToOffline: 3,
  successesToOnline: 2,
  flapWindowMs: 30 * 60_000,
  flapChanges: 5,
});

/** The record of a camera nobody has judged yet. */
export function initialHealth(at: Date): CameraHealth {
  return {
    state: 'unknown',
    reason: null,
    since: at,
    consecutiveFailures: 0,
    consecutiveSuccesses: 0,
    lastPicture: null,
    lastCompliance: [],
    stateChanges: [],
    flapping: false,
    lastResultAt: null,
  };
}

const PICTURE_PREFIX = 'picture:';
const COMPLIANCE_PREFIX = 'compliance:';

/** Counted in the rates at all: 'unknown' and 'maintenance' are left out of scheduled time and live shares. */
export function counted(state: HealthState): boolean {
  return state !== 'unknown' && state !== 'maintenance';
}

/** Online (在线): the stream arrives, whatever the picture or compliance. */
export function online(state: HealthState, reason: string | null): boolean {
  if (state === 'online') return true;
  if (state !== 'degraded' || reason === null) return false;
  return reason.startsWith(PICTURE_PREFIX) || reason.startsWith(COMPLIANCE_PREFIX);
}

/** Effective (有效): online with a normal picture. Compliance faults do not make a camera ineffective. */
export function effective(state: HealthState, reason: string | null): boolean {
  if (state === 'online') return true;
  return state === 'degraded' && reason !== null && reason.startsWith(COMPLIANCE_PREFIX);
}

/** A state with its ledger flags. */
export interface IntervalState {
  state: HealthState;
  reason: string | null;
  online: boolean;
  effective: boolean;
}

export function intervalState(state: HealthState, reason: string | null): IntervalState {
  return { state, reason, online: online(state, reason), effective: effective(state, reason) };
}
