/**
 * GB/T 28181 device codes: 20 digits =
 *   8 centre code (administrative division: province 2 + city 2 + county 2 + grassroots unit 2)
 * + 2 industry code + 3 type code + 7 serial (network flag + 6 digits).
 */

// Province-level division codes of GB/T 2260 (mainland, Hong Kong, Macao, Taiwan).
const PROVINCES = new Set([
  11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46, 50, 51, 52, 53, 54, 61,
  62, 63, 64, 65, 71, 81, 82,
]);

/** Type codes a camera may carry: 131 camera (摄像机), 132 network camera (网络摄像机 IPC). */
export const CAMERA_TYPE_CODES = ['131', '132'] as const;

export interface GbCodeParts {
  division: string;
  industry: string;
  type: string;
  serial: string;
}

export type GbCodeCheck = { ok: true; parts: GbCodeParts } | { ok: false; reason: string };

export function parseGbCode(code: string): GbCodeCheck {
  if (!/^\d{20}$/.test(code)) return { ok: false, reason: 'must be exactly 20 digits' };
  const parts = {
    division: code.slice(0, 8),
    industry: code.slice(8, 10),
    type: code.slice(10, 13),
    serial: code.slice(13, 20),
  };
  if (!PROVINCES.has(Number(parts.division.slice(0, 2)))) {
    return { ok: false, reason: `division code ${parts.division} does not start with a province code` };
  }
  if (parts.division.slice(2, 4) === '00' && parts.division.slice(4) !== '0000') {
    return { ok: false, reason: `division code ${parts.division} names a county without a city` };
  }
  return { ok: true, parts };
}

export function checkCameraGbCode(code: string): GbCodeCheck {
  const parsed = parseGbCode(code);
  if (!parsed.ok) return parsed;
  if (!(CAMERA_TYPE_CODES as readonly string[]).includes(parsed.parts.type)) {
    return { ok: false, reason: `type code ${parsed.parts.type} is not a camera (131 or 132)` };
  }
  return parsed;
}
