/**
 * The read-only view of a simulated camera that the RTSP servers take. The ONVIF side owns the camera state;
 * it hands each server objects of this shape, and the servers call `faults()` whenever they need the current
 * fault set (per request and, while streaming, on every frame tick), so faults toggle at run time.
 */

export type ClipKind = 'moving' | 'black' | 'frozen' | 'noise';

export const CLIP_KINDS: readonly ClipKind[] = ['moving', 'black', 'frozen', 'noise'];

export interface RtspFaults {
  /** The camera's path answers nothing: the connection is closed at once. */
  offline: boolean;
  /** Every authenticated request is answered 401, whatever the credentials. */
  authFails: boolean;
  /** After PLAY the RTSP session stays up but no RTP bytes flow. */
  streamStall: boolean;
  /** After about 2 s of frames the server stops sending and closes the connection. */
  streamEnd: boolean;
  black: boolean;
  frozen: boolean;
  noise: boolean;
  /** SETUP and PLAY are answered 453 Not Enough Bandwidth. */
  sessionLimit: boolean;
}

export type RtspAuthKind = 'basic' | 'digest' | 'none';

export interface RtspCameraView {
  id: string;
  /** The main stream's path, e.g. '/cam/<id>/main'. The sub stream is served at {@link subStreamPath}. */
  path: string;
  username: string;
  password: string;
  auth: RtspAuthKind;
  faults(): RtspFaults;
}

export const NO_FAULTS: Readonly<RtspFaults> = Object.freeze({
  offline: false,
  authFails: false,
  streamStall: false,
  streamEnd: false,
  black: false,
  frozen: false,
  noise: false,
  sessionLimit: false,
});

/** Which picture a camera shows: black wins over noise, noise over frozen. */
export function clipKindFor(faults: RtspFaults): ClipKind {
  if (faults.black) return 'black';
  if (faults.noise) return 'noise';
  if (faults.frozen) return 'frozen';
  return 'moving';
}

/** '/cam/x/main' → '/cam/x/sub'; any other path gets '/sub' appended. */
export function subStreamPath(mainPath: string): string {
  return mainPath.endsWith('/main') ? `${mainPath.slice(0, -'/main'.length)}/sub` : `${mainPath}/sub`;
}
