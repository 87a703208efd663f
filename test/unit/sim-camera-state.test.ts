import { describe, expect, it } from 'vitest';
import {
  endpointReferenceFor,
  FAULT_FIELDS,
  generateSimCameraSpecs,
  nextLoopback,
  type SimCameraSpec,
  SimCameraState,
  SimInputError,
} from '../../sim/camera-state.js';
import { defaultPorts } from '../../sim/county.js';

function spec(over: Partial<SimCameraSpec> = {}): SimCameraSpec {
  return {
    id: 'cam-1',
    host: '127.40.0.1',
    identity: {
      manufacturer: 'HIKVISION',
      model: 'DS-2CD2143G2-I',
      firmwareVersion: 'V5.7.1',
      serialNumber: 'DS-1',
      hardwareId: '88',
    },
    credentials: { username: 'admin', password: 'pw' },
    authStyle: 'both',
    rtspUrls: { main: 'rtsp://127.40.0.1/main', sub: 'rtsp://127.40.0.1/sub' },
    snapshotUrl: 'http://127.40.0.1/snap.jpg',
    osdLabel: '城关镇 东街口',
    location: '城关镇',
    ...over,
  };
}

function inputError(fn: () => unknown): SimInputError {
  try {
    fn();
  } catch (err) {
    if (err instanceof SimInputError) return err;
    throw err;
  }
  throw new Error('expected a SimInputError');
}

describe('simulated camera identity', () => {
  it('has a stable urn:uuid endpoint reference per id, distinct between ids', () => {
    const a = new SimCameraState(spec());
    expect(a.endpointReference).toMatch(
      /^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
    expect(new SimCameraState(spec()).endpointReference).toBe(a.endpointReference);
    expect(endpointReferenceFor('cam-2')).not.toBe(a.endpointReference);
    expect(new SimCameraState(spec({ endpointReference: 'urn:uuid:x' })).endpointReference).toBe(
      'urn:uuid:x',
    );
  });

  it('announces the ONVIF scopes, with the model and the location encoded', () => {
    expect(new SimCameraState(spec()).scopes()).toEqual(
      expect.arrayContaining([
        'onvif://www.onvif.org/type/video_encoder',
        'onvif://www.onvif.org/Profile/Streaming',
        'onvif://www.onvif.org/name/DS-2CD2143G2-I',
        'onvif://www.onvif.org/hardware/DS-2CD2143G2-I',
        `onvif://www.onvif.org/location/${encodeURIComponent('城关镇')}`,
      ]),
    );
  });

  it.each(['0.0.0.0', '10.0.0.1', 'localhost', '127.0.0'])('refuses host %s', (host) => {
    expect(inputError(() => new SimCameraState(spec({ host }))).field).toBe('cam-1.host');
  });

  it('refuses an unknown auth style and a bad port', () => {
    expect(() => new SimCameraState(spec({ authStyle: 'basic' as never }))).toThrow(SimInputError);
    expect(() => new SimCameraState(spec({ onvifPort: 70000 }))).toThrow(SimInputError);
  });

  it('overrides firmware and serial, and tells when the host moved', () => {
    const s = new SimCameraState(spec());
    expect(s.patchIdentity({ firmwareVersion: 'V5.8.0', serialNumber: 'DS-2' })).toEqual({
      hostChanged: false,
    });
    expect(s.identity).toMatchObject({
      firmwareVersion: 'V5.8.0',
      serialNumber: 'DS-2',
      manufacturer: 'HIKVISION',
    });
    expect(s.metadataVersion).toBe(1);
    expect(s.patchIdentity({ host: '127.40.9.9' })).toEqual({ hostChanged: true });
    expect(s.host).toBe('127.40.9.9');
    expect(s.metadataVersion).toBe(2);
    expect(inputError(() => s.patchIdentity({ host: '192.168.1.64' })).field).toBe('host');
    expect(inputError(() => s.patchIdentity({ model: 'X' })).field).toBe('model');
    expect(s.host).toBe('127.40.9.9');
  });
});

describe('simulated camera faults', () => {
  it('start cleared and cover the ONVIF and stream sides', () => {
    const s = new SimCameraState(spec());
    expect(s.faults).toMatchObject({
      offline: false,
      clockDriftSeconds: 0,
      osdLabel: null,
      sessionLimit: false,
    });
    expect(FAULT_FIELDS).toEqual(
      expect.arrayContaining(['streamStall', 'streamEnd', 'black', 'frozen', 'noise', 'sessionLimit']),
    );
  });

  it('apply a patch, and reset clears everything', () => {
    const s = new SimCameraState(spec());
    s.patchFaults({ offline: true, frozen: true, osdLabel: '错误标签' });
    expect(s.faults).toMatchObject({ offline: true, frozen: true, authFails: false });
    expect(s.osdLabel).toBe('错误标签');
    s.patchFaults({ osdLabel: null });
    expect(s.osdLabel).toBe('城关镇 东街口');
    s.resetFaults();
    expect(s.faults).toEqual(new SimCameraState(spec()).faults);
  });

  it('refuse an unknown field or a wrong type by name, changing nothing', () => {
    const s = new SimCameraState(spec());
    expect(inputError(() => s.patchFaults({ offline: true, explode: true })).field).toBe('explode');
    expect(inputError(() => s.patchFaults({ black: 'yes' })).field).toBe('black');
    expect(inputError(() => s.patchFaults({ clockDriftSeconds: '300' })).field).toBe('clockDriftSeconds');
    expect(inputError(() => s.patchFaults([])).field).toBe('body');
    expect(s.faults.offline).toBe(false);
  });

  it('move the clock by the configured offset plus the drift', () => {
    const s = new SimCameraState(spec({ clockOffsetSeconds: -60 }));
    const real = Date.UTC(2024, 0, 1, 0, 0, 0);
    expect(s.now(real).toISOString()).toBe('2023-12-31T23:59:00.000Z');
    s.patchFaults({ clockDriftSeconds: 300 });
    expect(s.clockAheadSeconds).toBe(240);
    expect(s.now(real).toISOString()).toBe('2024-01-01T00:04:00.000Z');
  });
});

describe('generated cameras and ports', () => {
  it('walks consecutive loopback addresses, skipping .0 and .255', () => {
    expect(nextLoopback('127.20.0.1')).toBe('127.20.0.2');
    expect(nextLoopback('127.20.0.254')).toBe('127.20.1.1');
    expect(() => nextLoopback('127.255.255.254')).toThrow(SimInputError);
    const specs = generateSimCameraSpecs({ count: 300, base: '127.20.0.1' });
    expect(new Set(specs.map((s) => s.host)).size).toBe(300);
    expect(new Set(specs.map((s) => s.authStyle))).toEqual(
      new Set(['ws-username-token', 'http-digest', 'both']),
    );
    for (const s of specs) expect(() => new SimCameraState(s)).not.toThrow();
  });

  it('gives 8000+index on a shared address, 80 on an own one, and keeps a given port', () => {
    const shared = generateSimCameraSpecs({ count: 3, base: '127.0.0.1', shareHost: true });
    expect(defaultPorts(shared)).toEqual([8000, 8001, 8002]);
    const own = generateSimCameraSpecs({ count: 2, base: '127.20.0.1' });
    expect(defaultPorts(own)).toEqual([80, 80]);
    expect(defaultPorts([{ ...spec(), onvifPort: 0 }, spec({ id: 'b', host: '127.40.0.2' })])).toEqual([
      0, 80,
    ]);
  });
});
