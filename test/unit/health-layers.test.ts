import { describe, expect, it } from 'vitest';
import { cameraLayers, type RecentResult } from '../../src/health/layers.js';

const t = (s: number) => new Date(Date.UTC(2026, 10, 29, 8, 0, s));
const result = (s: number, handshake: string, extra: Partial<RecentResult> = {}): RecentResult => ({
  at: t(s),
  handshake,
  stream: null,
  picture: null,
  onvifPort: null,
  ...extra,
});

describe('camera layers', () => {
  it('nothing known yet: every layer unknown', () => {
    const layers = cameraLayers([], null);
    expect(layers.network).toEqual({
      ok: null,
      outcome: null,
      at: null,
      onvifPort: { ok: null, outcome: null, at: null },
    });
    expect(layers.signalling.ok).toBeNull();
    expect(layers.stream.ok).toBeNull();
    expect(layers.picture.ok).toBeNull();
    expect(layers.compliance).toEqual({ ok: null, outcome: null, at: null, faults: [] });
  });

  it('a network failure leaves the layers above at their last known state', () => {
    const layers = cameraLayers(
      [
        result(30, 'network'),
        result(20, 'ok', { stream: { outcome: 'ok' }, onvifPort: { outcome: 'ok', ms: 1 } }),
        result(10, 'ok', { picture: { fault: null } }),
      ],
      { lastPicture: null, lastCompliance: [] },
    );
    expect(layers.network).toMatchObject({ ok: false, outcome: 'network', at: t(30) });
    expect(layers.network.onvifPort).toEqual({ ok: true, outcome: 'ok', at: t(20) });
    expect(layers.signalling).toEqual({ ok: true, outcome: 'ok', at: t(20) });
    expect(layers.stream).toEqual({ ok: true, outcome: 'ok', at: t(20) });
    expect(layers.picture).toEqual({ ok: true, outcome: 'normal', at: t(10) });
    expect(layers.compliance).toMatchObject({ ok: true, outcome: 'compliant', faults: [] });
  });

  it('refusals are signalling faults, a stalled stream a stream fault, verdicts come from the health', () => {
    const layers = cameraLayers(
      [
        result(20, 'auth'),
        result(10, 'stream', { stream: { outcome: 'stalled' }, picture: { fault: 'black' } }),
      ],
      { lastPicture: 'black', lastCompliance: ['clock_drift', 'osd_mismatch'] },
    );
    expect(layers.network.ok).toBe(true);
    expect(layers.signalling).toEqual({ ok: false, outcome: 'auth', at: t(20) });
    expect(layers.stream).toEqual({ ok: false, outcome: 'stalled', at: t(10) });
    expect(layers.picture).toEqual({ ok: false, outcome: 'black', at: t(10) });
    expect(layers.compliance).toMatchObject({ ok: false, outcome: 'clock_drift,osd_mismatch' });
    for (const limit of ['session_limit', 'signalling']) {
      expect(cameraLayers([result(1, limit)], null).signalling.ok).toBe(false);
    }
  });
});
