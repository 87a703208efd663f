import { describe, expect, it } from 'vitest';
import { checkCameraGbCode, parseGbCode } from '../../src/cameras/gb-code.js';

describe('GB/T 28181 device codes', () => {
  it('splits a camera code into division, industry, type and serial', () => {
    expect(checkCameraGbCode('64042500001320000001')).toEqual({
      ok: true,
      parts: { division: '64042500', industry: '00', type: '132', serial: '0000001' },
    });
    expect(checkCameraGbCode('11010000001310000001').ok).toBe(true);
  });

  it.each([
    ['6404250000132000000', /exactly 20 digits/],
    ['640425000013200000012', /exactly 20 digits/],
    ['6404250000132000000a', /exactly 20 digits/],
    ['', /exactly 20 digits/],
    ['99042500001320000001', /does not start with a province code/],
    ['00042500001320000001', /does not start with a province code/],
    ['64002500001320000001', /names a county without a city/],
    ['64042500001180000001', /type code 118 is not a camera/],
    ['64042500002000000001', /type code 200 is not a camera/],
  ])('%s is refused: %s', (code, reason) => {
    const check = checkCameraGbCode(code);
    expect(check.ok).toBe(false);
    if (!check.ok) expect(check.reason).toMatch(reason);
  });

  it('a non-camera device code is a valid code but not a camera code', () => {
    expect(parseGbCode('64042500001180000001').ok).toBe(true);
    expect(checkCameraGbCode('64042500001180000001').ok).toBe(false);
  });
});
