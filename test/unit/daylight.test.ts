import { describe, expect, it } from 'vitest';
import { isNight, sunElevationDegrees } from '../../src/probing/daylight.js';

// Pengyang County, Ningxia: 35.85° N, 106.64° E; local time UTC+8.
const LAT = 35.85;
const LON = 106.64;
const local = (iso: string) => new Date(`${iso}+08:00`);

describe('day and night in Pengyang', () => {
  it.each([
    ['2026-06-21T13:00:00', false], // midsummer noon (solar noon ≈ 12:55 local)
    ['2026-12-21T13:00:00', false], // midwinter noon
    ['2026-12-21T20:00:00', true], // winter evening
    ['2026-12-22T06:30:00', true], // before a winter sunrise (≈ 07:50)
    ['2026-06-21T04:50:00', true], // before a summer sunrise (≈ 05:40; civil dawn ≈ 05:10)
    ['2026-06-21T06:30:00', false], // summer morning
    ['2026-06-21T20:30:00', false], // long summer evening: sunset ≈ 20:05, civil dusk ≈ 20:35
    ['2026-06-21T21:30:00', true],
  ])('%s local: night %s', (iso, night) => {
    expect(isNight(local(iso), LAT, LON)).toBe(night);
  });

  it('the sun culminates near 77.6° at midsummer and 30.7° at midwinter', () => {
    expect(sunElevationDegrees(local('2026-06-21T12:55:00'), LAT, LON)).toBeCloseTo(77.6, 0);
    expect(sunElevationDegrees(local('2026-12-21T12:50:00'), LAT, LON)).toBeCloseTo(30.7, 0);
  });
});
