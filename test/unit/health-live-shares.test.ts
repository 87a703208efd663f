import { describe, expect, it } from 'vitest';
import { liveShares, sharesBy } from '../../src/health/live-shares.js';

describe('liveShares', () => {
  it('is the share of counted cameras online and effective now, unknown and maintenance left out', () => {
    expect(
      liveShares([
        { state: 'online', reason: null, n: 1 },
        { state: 'degraded', reason: 'compliance:osd_mismatch', n: 1 },
        { state: 'degraded', reason: 'picture:black', n: 1 },
        { state: 'offline', reason: 'network', n: 1 },
        { state: 'unknown', reason: null, n: 1 },
        { state: 'maintenance', reason: 'maintenance', n: 1 },
      ]),
    ).toEqual({ online: 0.75, effective: 0.5 });
  });

  it('weighs each group by its count', () => {
    expect(
      liveShares([
        { state: 'online', reason: null, n: 19 },
        { state: 'offline', reason: 'network', n: 1 },
      ]),
    ).toEqual({ online: 0.95, effective: 0.95 });
  });

  it('is null with no counted camera', () => {
    expect(liveShares([])).toEqual({ online: null, effective: null });
    expect(liveShares([{ state: 'unknown', reason: null, n: 3 }])).toEqual({ online: null, effective: null });
  });
});

describe('sharesBy', () => {
  it('gives each town its own shares', () => {
    const shares = sharesBy(
      [
        { town: 'T1', state: 'online', reason: null, n: 3 },
        { town: 'T1', state: 'offline', reason: 'network', n: 1 },
        { town: 'T2', state: 'maintenance', reason: 'maintenance', n: 2 },
      ],
      'town',
    );
    expect(shares.get('T1')).toEqual({ online: 0.75, effective: 0.75 });
    expect(shares.get('T2')).toEqual({ online: null, effective: null });
  });
});
