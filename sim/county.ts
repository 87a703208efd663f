import {
  type SimCameraSpec,
  SimCameraState,
  type SimFaults,
  type SimIdentityPatch,
  SimInputError,
} from './camera-state.js';
import { startControlApi } from './control-api.js';
import { SimOnvifDevice } from './onvif-device.js';
import { SimDiscovery } from './ws-discovery.js';

/**
 * A simulated county: many cameras in one process, each with its ONVIF device service, a WS-Discovery
 * responder and a control API to switch their faults at run time. Loopback addresses only.
 */

export interface SimCountyOptions {
  cameras: SimCameraSpec[];
  /** the control API's port on 127.0.0.1 (default 0: any free port) */
  controlPort?: number;
  /** join 239.255.255.250 on this interface address (e.g. '127.0.0.1') and answer multicast Probes */
  multicastInterface?: string;
}

export interface SimCameraHandle {
  readonly id: string;
  readonly state: SimCameraState;
  /** http://host:port/onvif/device_service at the camera's current address */
  readonly deviceUrl: string;
  readonly host: string;
  readonly onvifPort: number;
  /** whether the device service is accepting connections now */
  readonly listening: boolean;
  /** applies fault fields (SimInputError on an unknown field or a bad value) and waits for the listener */
  setFaults(patch: Partial<SimFaults> | Record<string, unknown>): Promise<SimFaults>;
  resetFaults(): Promise<SimFaults>;
  /** firmware/serial/host overrides; a new host moves the listeners there before this resolves */
  setIdentity(patch: SimIdentityPatch | Record<string, unknown>): Promise<void>;
}

export interface SimCounty {
  controlUrl: string;
  cameras: SimCameraHandle[];
  camera(id: string): SimCameraHandle | undefined;
  close(): Promise<void>;
}

/** The ONVIF port per camera: as given, else 8000 + index on a shared address, else 80. */
export function defaultPorts(specs: readonly SimCameraSpec[]): number[] {
  const perHost = new Map<string, number>();
  for (const s of specs) perHost.set(s.host, (perHost.get(s.host) ?? 0) + 1);
  return specs.map((s, i) => s.onvifPort ?? ((perHost.get(s.host) ?? 0) > 1 ? 8000 + i : 80));
}

function handleFor(device: SimOnvifDevice, discovery: SimDiscovery): SimCameraHandle {
  const state = device.state;
  return {
    id: state.id,
    state,
    get deviceUrl() {
      return device.deviceUrl;
    },
    get host() {
      return state.host;
    },
    get onvifPort() {
      return device.port;
    },
    get listening() {
      return device.listening;
    },
    async setFaults(patch) {
      const faults = state.patchFaults(patch);
      await device.sync();
      return faults;
    },
    async resetFaults() {
      const faults = state.resetFaults();
      await device.sync();
      return faults;
    },
    async setIdentity(patch) {
      const before = state.host;
      if (!state.patchIdentity(patch).hostChanged) return;
      try {
        await device.sync();
      } catch (err) {
        state.patchIdentity({ host: before });
        await device.sync();
        throw err;
      }
      await discovery.sync();
    },
  };
}

export async function startSimCounty(opts: SimCountyOptions): Promise<SimCounty> {
  const seen = new Set<string>();
  const ports = defaultPorts(opts.cameras);
  const devices = opts.cameras.map((spec, i) => {
    if (seen.has(spec.id)) throw new SimInputError('id', `duplicate camera id ${spec.id}`);
    seen.add(spec.id);
    return new SimOnvifDevice(new SimCameraState(spec), ports[i] ?? 80);
  });
  const discovery = new SimDiscovery({
    cameras: () => devices,
    ...(opts.multicastInterface !== undefined && { multicastInterface: opts.multicastInterface }),
  });
  const cameras = devices.map((d) => handleFor(d, discovery));
  const byId = new Map(cameras.map((c) => [c.id, c]));
  let control: { url: string; close: () => Promise<void> } | null = null;

  const close = async () => {
    await control?.close();
    await Promise.allSettled([discovery.close(), ...devices.map((d) => d.close())]);
  };
  try {
    const started = await Promise.allSettled([discovery.sync(), ...devices.map((d) => d.sync())]);
    const failed = started.find((r) => r.status === 'rejected');
    if (failed) throw failed.reason;
    control = await startControlApi({ cameras, camera: (id) => byId.get(id) }, opts.controlPort ?? 0);
  } catch (err) {
    await close();
    throw err;
  }
  return { controlUrl: control.url, cameras, camera: (id) => byId.get(id), close };
}
