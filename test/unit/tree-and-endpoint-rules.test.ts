import { describe, expect, it } from 'vitest';
import { checkEndpointUrl, ONVIF_PROTOCOLS, RTSP_PROTOCOLS } from '../../src/cameras/endpoint-rules.js';
import { ageOn, localDate } from '../../src/governance/local-date.js';
import { DISTRICT_KINDS, type DistrictKind, parentProblem } from '../../src/governance/tree-rules.js';

const ALLOWED: [DistrictKind, DistrictKind | null][] = [
  ['county', null],
  ['town', 'county'],
  ['township', 'county'],
  ['police_district', 'town'],
  ['police_district', 'township'],
  ['village', 'police_district'],
  ['community', 'police_district'],
  ['site', 'village'],
  ['site', 'community'],
];

describe('the shape of the district tree', () => {
  const pairs = DISTRICT_KINDS.flatMap((kind) =>
    [null, ...DISTRICT_KINDS].map((parent) => [kind, parent] as [DistrictKind, DistrictKind | null]),
  );
  it.each(pairs)('a %s under %s', (kind, parent) => {
    const allowed = ALLOWED.some(([k, p]) => k === kind && p === parent);
    const problem = parentProblem(kind, parent);
    if (allowed) expect(problem).toBeNull();
    else expect(problem).toMatch(kind);
  });
});

describe('camera endpoints', () => {
  it.each([
    ['rtsp://10.64.1.2:554/Streaming/Channels/101', RTSP_PROTOCOLS, true],
    ['rtsps://cam.example/ch1', RTSP_PROTOCOLS, true],
    ['http://10.64.1.2/onvif/device_service', ONVIF_PROTOCOLS, true],
    ['http://10.64.1.2/onvif/device_service', RTSP_PROTOCOLS, false],
    ['rtsp://admin:pw@10.64.1.2/ch1', RTSP_PROTOCOLS, false],
    ['rtsp://admin@10.64.1.2/ch1', RTSP_PROTOCOLS, false],
    ['not a url', RTSP_PROTOCOLS, false],
  ] as const)('%s', (url, protocols, ok) => {
    const check = checkEndpointUrl(url, protocols);
    expect(check.ok).toBe(ok);
    if (!check.ok) expect(check.reason).not.toContain('pw');
  });
});

describe('the county calendar', () => {
  it('a UTC evening is already the next day in Asia/Shanghai', () => {
    const at = new Date('2026-03-31T16:30:00Z');
    expect(localDate(at, 'Asia/Shanghai')).toBe('2026-04-01');
    expect(localDate(at, 'UTC')).toBe('2026-03-31');
  });

  it.each([
    ['1966-06-15', '2026-06-14', 59],
    ['1966-06-15', '2026-06-15', 60],
    ['1965-06-15', '2026-06-15', 61],
    ['1964-02-29', '2026-02-28', 61],
    ['1964-02-29', '2026-03-01', 62],
  ])('born %s, on %s aged %i', (birth, day, age) => {
    expect(ageOn(birth, day)).toBe(age);
  });
});
