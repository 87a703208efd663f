import { describe, expect, it } from 'vitest';
import {
  duration,
  linesOf,
  orNull,
  placeError,
  scanIsLive,
  scanPercent,
} from '../../src/console/lib/admin-view.js';

/** What lib/api.ts throws: an Error with the status and the field the API named. */
class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly field: string | null = null,
  ) {
    super(message);
  }
}

describe('placeError', () => {
  const known = ['username', 'password', 'credentials', 'areaIds'];

  it('puts an error on the field the API names, without repeating the field name', () => {
    const err = new ApiError(400, 'password: must have at least 10 characters', 'password');
    expect(placeError(err, known)).toEqual({
      fields: { password: 'must have at least 10 characters' },
      general: '',
    });
  });

  it('puts an error about a nested path on the form field it belongs to', () => {
    expect(
      placeError(new ApiError(400, 'credentials.password: is required', 'credentials.password'), known),
    ).toEqual({ fields: { credentials: 'password: is required' }, general: '' });
    expect(
      placeError(new ApiError(400, 'areaIds.2: must be a valid uuid', 'areaIds.2'), known).fields,
    ).toHaveProperty('areaIds');
  });

  it('keeps errors of no field, or of a field the form lacks, for the banner', () => {
    expect(placeError(new ApiError(409, 'user already exists'), known)).toEqual({
      fields: {},
      general: 'user already exists',
    });
    expect(placeError(new ApiError(400, 'role: x', 'role'), known).general).toBe('role: x');
    expect(placeError(new Error('Failed to fetch'), known).general).toBe('Failed to fetch');
  });
});

describe('small helpers', () => {
  it('reads a duration as h:mm:ss and an open session as none', () => {
    expect(duration('2026-11-30T01:00:00Z', '2026-11-30T02:05:09Z')).toBe('1:05:09');
    expect(duration('2026-11-30T01:00:00Z', null)).toBeNull();
  });

  it('gives a scan its percent and tells a live one', () => {
    expect(scanPercent('running', { total: 256, probed: 64, found: 3 })).toBe(25);
    expect(scanPercent('running', { total: 0, probed: 0, found: 0 })).toBe(0);
    expect(scanPercent('done', { total: 0, probed: 0, found: 2 })).toBe(100);
    expect(scanIsLive('queued')).toBe(true);
    expect(scanIsLive('cancelled')).toBe(false);
  });

  it('splits lists and empties to null', () => {
    expect(linesOf(' 10.0.0.0/24\n\n10.0.1.0/24, 10.0.2.0/24 ')).toEqual([
      '10.0.0.0/24',
      '10.0.1.0/24',
      '10.0.2.0/24',
    ]);
    expect(orNull('  ')).toBeNull();
    expect(orNull(' 138 ')).toBe('138');
  });
});
