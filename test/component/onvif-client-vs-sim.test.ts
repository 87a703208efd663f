import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateSimCameraSpecs, type SimCameraSpec } from '../../sim/camera-state.js';
import { type SimCounty, startSimCounty } from '../../sim/county.js';
import {
  getCapabilities,
  getDeviceInformation,
  getOsds,
  getProfiles,
  getServices,
  getSnapshotUri,
  getStreamUri,
  getSystemDateAndTime,
} from '../../src/onvif/client.js';
import { type OnvifAuthStyle, OnvifError, type OnvifTarget } from '../../src/onvif/types.js';

// Our client against our simulator, camera by camera of each auth style: every call, the right and wrong password.
const PASSWORD = 'Sim:v5@/%2';
const STYLES = ['ws-username-token', 'http-digest', 'both'] as const;
const specs: SimCameraSpec[] = STYLES.map((authStyle, i) => {
  const [spec] = generateSimCameraSpecs({ count: 1, base: `127.54.0.${i + 1}`, password: PASSWORD });
  return { ...(spec as SimCameraSpec), id: `style-${authStyle}`, authStyle };
});
let sim: SimCounty;

beforeAll(async () => {
  sim = await startSimCounty({ cameras: specs });
});
afterAll(() => sim?.close());

function target(spec: SimCameraSpec, auth: OnvifAuthStyle | 'auto', password = PASSWORD): OnvifTarget {
  return {
    deviceUrl: sim.camera(spec.id)?.deviceUrl ?? '',
    username: spec.credentials.username,
    password,
    auth,
    timeoutMs: 3000,
  };
}

const cases = specs.flatMap((spec) =>
  (spec.authStyle === 'both'
    ? (['ws-username-token', 'http-digest', 'auto'] as const)
    : ([spec.authStyle, 'auto'] as const)
  ).map((auth) => ({ spec, auth, name: `${spec.authStyle} camera, client ${auth}` })),
);

describe.each(cases)('$name', ({ spec, auth }) => {
  it('answers every call of the inventory', async () => {
    const t = target(spec, auth);
    expect(await getDeviceInformation(t)).toMatchObject({
      manufacturer: spec.identity.manufacturer,
      model: spec.identity.model,
      serialNumber: spec.identity.serialNumber,
      firmwareVersion: spec.identity.firmwareVersion,
    });
    const services = await getServices(t);
    expect(services.media).toBeTruthy();
    expect((await getCapabilities(t)).media).toBeTruthy();
    const profiles = await getProfiles(t, { services });
    expect(profiles.map((p) => p.encoding)).toEqual(['H264', 'H264']);
    expect(profiles[0]).toMatchObject({ width: 1920, height: 1080 });
    const [main, sub] = profiles;
    expect(await getStreamUri(t, main?.token ?? '', { services })).toBe(spec.rtspUrls.main);
    expect(await getStreamUri(t, sub?.token ?? '', { services })).toBe(spec.rtspUrls.sub);
    expect(await getSnapshotUri(t, main?.token ?? '', { services })).toBe(spec.snapshotUrl);
    expect(Math.abs((await getSystemDateAndTime(t)).offsetSeconds)).toBeLessThan(5);
    const osds = await getOsds(t, main?.videoSourceConfigurationToken ?? undefined, { services });
    expect(osds.map((o) => o.text)).toContain(spec.osdLabel);
  });

  it('a wrong password is an auth error that does not repeat the password', async () => {
    const err = await getDeviceInformation(target(spec, auth, 'wrong:p@ss%')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OnvifError);
    expect((err as OnvifError).kind).toBe('auth');
    expect((err as OnvifError).message).not.toContain('wrong:p@ss');
  });
});

describe('simulated faults reach the client as typed errors', () => {
  const spec = () => specs[2] as SimCameraSpec;
  it.each([
    [{ onvifHangs: true }, 'timeout'],
    [{ malformedSoap: true }, 'malformed'],
    [{ offline: true }, 'refused'],
    [{ authFails: true }, 'auth'],
  ] as const)('%o → %s, within the deadline', async (faults, kind) => {
    const camera = sim.camera(spec().id);
    await camera?.setFaults(faults);
    try {
      const started = Date.now();
      const err = await getDeviceInformation({ ...target(spec(), 'auto'), timeoutMs: 1000 }).catch(
        (e: unknown) => e,
      );
      expect(Date.now() - started).toBeLessThan(2000);
      expect((err as OnvifError).kind).toBe(kind);
    } finally {
      await camera?.resetFaults();
    }
  });
});
