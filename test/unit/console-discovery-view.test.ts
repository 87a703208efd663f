import { describe, expect, it } from 'vitest';
import { errorLine } from '../../src/console/lib/admin-view.js';
import { type DeviceMatch, deviceStep, MATCH_TAG } from '../../src/console/lib/discovery-view.js';

const AT = '2026-03-02T08:00:00.000Z';

describe('deviceStep', () => {
  it('offers adoption for a new device and says when it was adopted', () => {
    expect(deviceStep({ match: 'new', adoptedAt: null })).toEqual({ kind: 'adopt' });
    expect(deviceStep({ match: 'new', adoptedAt: AT })).toEqual({ kind: 'adopted', at: AT });
  });

  it('offers to accept a move for a moved camera and says when it was accepted', () => {
    expect(deviceStep({ match: 'moved', adoptedAt: null })).toEqual({ kind: 'acceptMove' });
    expect(deviceStep({ match: 'moved', adoptedAt: AT })).toEqual({ kind: 'moveAccepted', at: AT });
  });

  it.each(['known', 'serial_changed', 'missing'] as const)('offers nothing for a %s device', (match) => {
    expect(deviceStep({ match, adoptedAt: null })).toEqual({ kind: 'none' });
  });

  it('gives every match a tag colour', () => {
    const matches: DeviceMatch[] = ['new', 'known', 'moved', 'serial_changed', 'missing'];
    for (const match of matches) expect(MATCH_TAG[match]).toMatch(/^(primary|success|warning|danger)$/);
  });
});

/** What lib/api.ts throws: an Error with the field the API named. */
class ApiError extends Error {
  constructor(
    message: string,
    readonly field: string | null = null,
  ) {
    super(message);
  }
}

describe('errorLine', () => {
  it('leads with the field the API names', () => {
    expect(errorLine(new ApiError("device d1 is 'known', not moved", 'match'))).toBe(
      "match: device d1 is 'known', not moved",
    );
  });

  it('does not repeat a field the message already starts with', () => {
    expect(errorLine(new ApiError('gbCode: must have 20 digits', 'gbCode'))).toBe(
      'gbCode: must have 20 digits',
    );
    expect(errorLine(new ApiError('body siteId: must be a string', 'siteId'))).toBe(
      'siteId: must be a string',
    );
  });

  it('keeps a message that names no field as it is', () => {
    expect(errorLine(new ApiError('discovered device d1 not found'))).toBe('discovered device d1 not found');
    expect(errorLine('plain')).toBe('plain');
  });
});
