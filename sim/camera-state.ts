import { createHash } from 'node:crypto';
import ipaddr from 'ipaddr.js';
import type { RtspFaults } from './rtsp/fault-view.js';

/**
 * A simulated camera's identity and its switchable faults. Pure: no sockets, no timers. The device
 * service, the discovery responder and the RTSP side read from here; the control API writes here.
 */

export type SimAuthStyle = 'ws-username-token' | 'http-digest' | 'both';

export interface SimIdentity {
  manufacturer: string;
  model: string;
  firmwareVersion: string;
  serialNumber: string;
  hardwareId: string;
}

export interface SimCameraSpec {
  id: string;
  /** a 127.x.y.z address */
  host: string;
  /** default: 8000 + index when the host is shared by several cameras, else 80; 0 picks a free port */
  onvifPort?: number;
  identity: SimIdentity;
  credentials: { username: string; password: string };
  authStyle: SimAuthStyle;
  rtspUrls: { main: string; sub: string };
  snapshotUrl: string;
  osdLabel: string;
  clockOffsetSeconds?: number;
  /** the /location/ scope text (default 'county') */
  location?: string;
  /** urn:uuid:...; default derived from the id, so it is stable across runs */
  endpointReference?: string;
}

/** The stream-side faults (read by the RTSP servers) plus the ONVIF-side ones. */
export interface SimFaults extends RtspFaults {
  onvifHangs: boolean;
  malformedSoap: boolean;
  clockDriftSeconds: number;
  /** a wrong on-screen label; null shows the configured one */
  osdLabel: string | null;
}

export interface SimIdentityPatch {
  firmwareVersion?: string;
  serialNumber?: string;
  host?: string;
}

export const NO_FAULTS: Readonly<SimFaults> = Object.freeze({
  offline: false,
  authFails: false,
  onvifHangs: false,
  malformedSoap: false,
  clockDriftSeconds: 0,
  osdLabel: null,
  streamStall: false,
  streamEnd: false,
  black: false,
  frozen: false,
  noise: false,
  sessionLimit: false,
});

export const FAULT_FIELDS = Object.keys(NO_FAULTS) as (keyof SimFaults)[];
const IDENTITY_FIELDS = ['firmwareVersion', 'serialNumber', 'host'] as const;
const AUTH_STYLES: readonly SimAuthStyle[] = ['ws-username-token', 'http-digest', 'both'];

/** A bad value from a caller (the control API answers it with a 400). */
export class SimInputError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`);
    this.name = 'SimInputError';
  }
}

export function isLoopbackV4(host: string): boolean {
  return ipaddr.IPv4.isValidFourPartDecimal(host) && ipaddr.IPv4.parse(host).range() === 'loopback';
}

/** urn:uuid:... derived from the camera id (name-based, SHA-1, as a version-5 UUID) */
export function endpointReferenceFor(id: string): string {
  const b = createHash('sha1').update(`xueliang-sim/${id}`).digest();
  b[6] = ((b[6] ?? 0) & 0x0f) | 0x50;
  b[8] = ((b[8] ?? 0) & 0x3f) | 0x80;
  const h = b.subarray(0, 16).toString('hex');
  return `urn:uuid:${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Checks a JSON object of fault fields; an unknown field or a wrong type throws SimInputError naming it. */
export function validateFaultPatch(input: unknown): Partial<SimFaults> {
  if (!isRecord(input)) throw new SimInputError('body', 'expected an object of fault fields');
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(input)) {
    if (!(FAULT_FIELDS as string[]).includes(key)) throw new SimInputError(key, 'unknown fault field');
    if (key === 'clockDriftSeconds') {
      if (typeof value !== 'number' || !Number.isFinite(value))
        throw new SimInputError(key, 'expected a number');
    } else if (key === 'osdLabel') {
      if (value !== null && typeof value !== 'string')
        throw new SimInputError(key, 'expected a string or null');
    } else if (typeof value !== 'boolean') {
      throw new SimInputError(key, 'expected a boolean');
    }
    out[key] = value;
  }
  return out as Partial<SimFaults>;
}

export function validateIdentityPatch(input: unknown): SimIdentityPatch {
  if (!isRecord(input)) throw new SimInputError('body', 'expected an object of identity fields');
  const out: SimIdentityPatch = {};
  for (const [key, value] of Object.entries(input)) {
    if (!(IDENTITY_FIELDS as readonly string[]).includes(key)) {
      throw new SimInputError(key, 'unknown identity field');
    }
    if (typeof value !== 'string' || value === '')
      throw new SimInputError(key, 'expected a non-empty string');
    if (key === 'host' && !isLoopbackV4(value)) throw new SimInputError(key, 'expected a 127.x.y.z address');
    out[key as (typeof IDENTITY_FIELDS)[number]] = value;
  }
  return out;
}

export function validateSpec(spec: SimCameraSpec): void {
  if (typeof spec.id !== 'string' || spec.id === '')
    throw new SimInputError('id', 'expected a non-empty string');
  if (!isLoopbackV4(spec.host)) throw new SimInputError(`${spec.id}.host`, 'expected a 127.x.y.z address');
  const port = spec.onvifPort;
  if (port !== undefined && !(Number.isInteger(port) && port >= 0 && port < 65536)) {
    throw new SimInputError(`${spec.id}.onvifPort`, 'expected a port number');
  }
  if (!AUTH_STYLES.includes(spec.authStyle))
    throw new SimInputError(`${spec.id}.authStyle`, 'unknown auth style');
}

export class SimCameraState {
  readonly id: string;
  readonly spec: Readonly<SimCameraSpec>;
  readonly endpointReference: string;
  /** bumped whenever what discovery announces (XAddrs, scopes) changes */
  metadataVersion = 1;
  #faults: SimFaults = { ...NO_FAULTS };
  #overrides: SimIdentityPatch = {};

  constructor(spec: SimCameraSpec) {
    validateSpec(spec);
    this.id = spec.id;
    this.spec = spec;
    this.endpointReference = spec.endpointReference ?? endpointReferenceFor(spec.id);
  }

  get host(): string {
    return this.#overrides.host ?? this.spec.host;
  }

  get identity(): SimIdentity {
    const { firmwareVersion, serialNumber } = this.#overrides;
    return {
      ...this.spec.identity,
      ...(firmwareVersion !== undefined && { firmwareVersion }),
      ...(serialNumber !== undefined && { serialNumber }),
    };
  }

  get faults(): SimFaults {
    return { ...this.#faults };
  }

  /** the label the OSD shows now (a fault may override it) */
  get osdLabel(): string {
    return this.#faults.osdLabel ?? this.spec.osdLabel;
  }

  /** how far the camera's clock is ahead of the real one, in seconds */
  get clockAheadSeconds(): number {
    return (this.spec.clockOffsetSeconds ?? 0) + this.#faults.clockDriftSeconds;
  }

  /** the camera's clock at the given real time */
  now(realMs: number = Date.now()): Date {
    return new Date(realMs + this.clockAheadSeconds * 1000);
  }

  scopes(): string[] {
    const model = encodeURIComponent(this.spec.identity.model);
    const location = encodeURIComponent(this.spec.location ?? 'county');
    return [
      'onvif://www.onvif.org/type/video_encoder',
      'onvif://www.onvif.org/Profile/Streaming',
      `onvif://www.onvif.org/name/${model}`,
      `onvif://www.onvif.org/hardware/${model}`,
      `onvif://www.onvif.org/location/${location}`,
    ];
  }

  /** Applies fault fields (validated as a whole first: nothing changes on a bad field). */
  patchFaults(input: unknown): SimFaults {
    this.#faults = { ...this.#faults, ...validateFaultPatch(input) };
    return this.faults;
  }

  resetFaults(): SimFaults {
    this.#faults = { ...NO_FAULTS };
    return this.faults;
  }

  /** Overrides firmware version, serial number or host; returns whether the host changed. */
  patchIdentity(input: unknown): { hostChanged: boolean } {
    const patch = validateIdentityPatch(input);
    const before = this.host;
    this.#overrides = { ...this.#overrides, ...patch };
    const hostChanged = this.host !== before;
    if (hostChanged) this.metadataVersion += 1;
    return { hostChanged };
  }
}

const MAKES: readonly (readonly [string, string, string])[] = [
  ['HIKVISION', 'DS-2CD3T47G2-L', 'V5.7.3 build 220112'],
  ['Dahua', 'IPC-HFW2431S-S-S2', '2.820.0000000.19.R'],
  ['UNIVIEW', 'IPC2124LB-SF40KM-G', 'GIPC-B6202.9.7.220524'],
];

/** The next address after a 127.x.y.z one, skipping .0 and .255 in the last octet; stays inside 127/8. */
export function nextLoopback(host: string): string {
  let n = ipaddr.IPv4.parse(host)
    .toByteArray()
    .reduce((acc, b) => acc * 256 + b, 0);
  do n += 1;
  while (n % 256 === 0 || n % 256 === 255);
  const next = [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
  if (!isLoopbackV4(next)) throw new SimInputError('base', 'ran out of 127.x.y.z addresses');
  return next;
}

/** `count` plausible cameras on consecutive addresses from `base` (or all on `base` when `shareHost`). */
export function generateSimCameraSpecs(opts: {
  count: number;
  base: string;
  shareHost?: boolean;
  password?: string;
}): SimCameraSpec[] {
  if (!isLoopbackV4(opts.base)) throw new SimInputError('base', 'expected a 127.x.y.z address');
  const specs: SimCameraSpec[] = [];
  let host = opts.base;
  for (let i = 0; i < opts.count; i += 1) {
    if (i > 0 && !opts.shareHost) host = nextLoopback(host);
    const [manufacturer, model, firmwareVersion] = MAKES[i % MAKES.length] ?? MAKES[0] ?? ['', '', ''];
    const n = String(i + 1).padStart(4, '0');
    specs.push({
      id: `sim-${n}`,
      host,
      identity: { manufacturer, model, firmwareVersion, serialNumber: `SIM${n}X${n}`, hardwareId: model },
      credentials: { username: 'admin', password: opts.password ?? 'sim-password-1' },
      authStyle: AUTH_STYLES[i % AUTH_STYLES.length] ?? 'both',
      rtspUrls: {
        main: `rtsp://${host}:554/Streaming/Channels/101`,
        sub: `rtsp://${host}:554/Streaming/Channels/102`,
      },
      snapshotUrl: `http://${host}/onvif/snapshot/${n}.jpg`,
      osdLabel: `雪亮 SIM ${n}`,
    });
  }
  return specs;
}
