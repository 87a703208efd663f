import type { ComplianceFault, PictureFault } from './types.js';

/** One stored probe result, as the camera health view reads it (newest first). */
export interface RecentResult {
  at: Date;
  handshake: string;
  stream: { outcome?: string } | null;
  picture: { fault: string | null } | null;
  onvifPort: { outcome: string; ms?: number | null } | null;
}

/** A layer as last seen: ok (null: not known, e.g. never checked or not reached), what was seen, and when. */
export interface LayerState {
  ok: boolean | null;
  outcome: string | null;
  at: Date | null;
}

export interface CameraLayers {
  network: LayerState & { onvifPort: LayerState };
  signalling: LayerState;
  stream: LayerState;
  picture: LayerState;
  compliance: LayerState & { faults: ComplianceFault[] };
}

const UNKNOWN: LayerState = { ok: null, outcome: null, at: null };
const SIGNALLING_FAULTS = new Set(['auth', 'signalling', 'session_limit']);

/**
 * Each layer of a camera's health as last seen, from its recent results and the verdicts its health keeps.
 * Pure. A layer above a failed one was not reached by that probe: it shows its last known state.
 */
export function cameraLayers(
  recent: readonly RecentResult[],
  verdicts: { lastPicture: PictureFault | null; lastCompliance: ComplianceFault[] } | null,
): CameraLayers {
  const last = recent[0];
  const reached = recent.find((r) => r.handshake !== 'network');
  const streamed = recent.find((r) => r.stream !== null);
  const pictured = recent.find((r) => r.picture !== null);
  const onvif = recent.find((r) => r.onvifPort !== null);
  return {
    network: {
      ...(last ? { ok: last.handshake !== 'network', outcome: last.handshake, at: last.at } : UNKNOWN),
      onvifPort: onvif?.onvifPort
        ? { ok: onvif.onvifPort.outcome === 'ok', outcome: onvif.onvifPort.outcome, at: onvif.at }
        : UNKNOWN,
    },
    signalling: reached
      ? { ok: !SIGNALLING_FAULTS.has(reached.handshake), outcome: reached.handshake, at: reached.at }
      : UNKNOWN,
    stream: streamed
      ? { ok: streamed.stream?.outcome === 'ok', outcome: streamed.stream?.outcome ?? null, at: streamed.at }
      : UNKNOWN,
    picture: pictured
      ? {
          ok: (verdicts?.lastPicture ?? null) === null,
          outcome: verdicts?.lastPicture ?? 'normal',
          at: pictured.at,
        }
      : UNKNOWN,
    compliance: verdicts
      ? {
          ok: verdicts.lastCompliance.length === 0,
          outcome: verdicts.lastCompliance.join(',') || 'compliant',
          at: null,
          faults: verdicts.lastCompliance,
        }
      : { ...UNKNOWN, faults: [] },
  };
}
