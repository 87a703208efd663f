/**
 * The ONVIF client layer's vocabulary. The client knows nothing of the database, queues or HTTP routes:
 * it takes a target and returns typed results or throws an OnvifError.
 */

export type OnvifAuthStyle = 'ws-username-token' | 'http-digest';

export interface OnvifTarget {
  /** the device service URL, e.g. http://10.64.1.11/onvif/device_service */
  deviceUrl: string;
  username?: string;
  password?: string;
  /** which auth to send; 'auto' tries WS-UsernameToken and falls back to HTTP Digest on a 401 challenge */
  auth?: OnvifAuthStyle | 'auto';
  /** deadline for one whole call (connect + request + reply), in milliseconds; required, no hidden default */
  timeoutMs: number;
  /** the largest reply accepted, in bytes (default 256 KiB: real replies are 20–50 KB, and parsing more blocks) */
  maxReplyBytes?: number;
  /**
   * the device's clock minus ours, in seconds. WS-UsernameToken's Created is stamped in the device's time, as
   * devices refuse tokens created minutes away from their own clock (ONVIF Core, "user token" replay checks).
   */
  clockOffsetSeconds?: number;
  /** https only: accept a self-signed or otherwise unverifiable certificate (most cameras have one) */
  allowUnverifiedTls?: boolean;
}

/** The default of OnvifTarget.maxReplyBytes. */
export const DEFAULT_MAX_REPLY_BYTES = 256 * 1024;

export type OnvifErrorKind =
  | 'timeout' // no complete reply within the deadline (hang, slow drip)
  | 'refused' // TCP connection refused
  | 'unreachable' // host or network unreachable, DNS failure, reset
  | 'auth' // credentials refused (HTTP 401/403 after auth, or ter:NotAuthorized)
  | 'soap-fault' // a well-formed SOAP Fault other than an auth failure
  | 'malformed' // not XML, or XML without the expected elements
  | 'too-large' // reply larger than maxReplyBytes
  | 'http'; // another HTTP status

export class OnvifError extends Error {
  constructor(
    readonly kind: OnvifErrorKind,
    /** the ONVIF operation, e.g. 'GetDeviceInformation' */
    readonly operation: string,
    message: string,
  ) {
    super(`onvif: ${operation}: ${message}`);
    this.name = 'OnvifError';
  }
}

export interface DeviceInformation {
  manufacturer: string;
  model: string;
  firmwareVersion: string;
  serialNumber: string;
  hardwareId: string;
}

export interface ServiceAddresses {
  device: string;
  media: string | null;
  media2: string | null;
  events: string | null;
  imaging: string | null;
}

export interface MediaProfile {
  token: string;
  name: string;
  encoding: string | null; // 'H264', 'H265', 'JPEG'
  width: number | null;
  height: number | null;
  /** the token of the profile's video source configuration (for OSD) */
  videoSourceConfigurationToken: string | null;
}

export interface ClockReading {
  /** the camera's UTC clock as it reported it */
  cameraTime: Date;
  /** camera minus server, in seconds (positive: camera ahead) */
  offsetSeconds: number;
  /** 'NTP' or 'Manual' as the device reports it */
  dateTimeType: string | null;
}

export interface OsdText {
  token: string;
  text: string;
}

/** tt:TransportProtocol of Media1 GetStreamUri */
export type StreamTransport = 'RTSP' | 'UDP' | 'TCP' | 'HTTP';

/** The parts readInventory reads, in order. */
export type InventoryPart =
  | 'clock'
  | 'deviceInformation'
  | 'services'
  | 'profiles'
  | 'mainStreamUri'
  | 'subStreamUri'
  | 'snapshotUri'
  | 'osds';

/**
 * Everything readInventory could read. A part is null when it failed (its error is in `errors`) or when it
 * does not apply (no second profile → subStreamUri null with no error). Parts that depend on a failed part
 * (stream URIs need profiles; media parts need services) are null and carry no error of their own; after a
 * refused/unreachable connection, or a timeout before anything answered, the remaining parts are not tried
 * and carry an error of the same kind saying so.
 */
export interface Inventory {
  deviceInformation: DeviceInformation | null;
  services: ServiceAddresses | null;
  profiles: MediaProfile[] | null;
  mainStreamUri: string | null;
  subStreamUri: string | null;
  snapshotUri: string | null;
  clock: ClockReading | null;
  osds: OsdText[] | null;
  errors: Partial<Record<InventoryPart, OnvifError>>;
}
