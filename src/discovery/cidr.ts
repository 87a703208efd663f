import ipaddr from 'ipaddr.js';

/** The most addresses one scan may cover: a /16. Larger ranges are split into several scans. */
export const MAX_SCAN_ADDRESSES = 65_536;

export type CidrCheck = { ok: true; addresses: string[] } | { ok: false; index: number; reason: string };

/**
 * Expands IPv4 CIDR ranges to the host addresses to probe, in order, without duplicates. The network and
 * broadcast addresses of ranges larger than /31 are skipped.
 */
export function expandCidrs(cidrs: readonly string[], max = MAX_SCAN_ADDRESSES): CidrCheck {
  const seen = new Set<number>();
  const addresses: string[] = [];
  for (const [index, cidr] of cidrs.entries()) {
    let range: [ipaddr.IPv4 | ipaddr.IPv6, number];
    try {
      range = ipaddr.parseCIDR(cidr);
    } catch {
      return { ok: false, index, reason: `'${cidr}' is not a CIDR range such as 10.64.1.0/24` };
    }
    const [base, bits] = range;
    if (base.kind() !== 'ipv4') return { ok: false, index, reason: 'only IPv4 ranges can be scanned' };
    const size = 2 ** (32 - bits);
    const start = toNumber(base as ipaddr.IPv4) & mask(bits);
    const [first, last] = size > 2 ? [start + 1, start + size - 2] : [start, start + size - 1];
    for (let n = first; n <= last; n++) {
      if (seen.has(n)) continue;
      seen.add(n);
      addresses.push(toDotted(n));
      if (addresses.length > max) {
        return { ok: false, index, reason: `the ranges hold more than ${max} addresses; split the scan` };
      }
    }
  }
  return { ok: true, addresses };
}

function mask(bits: number): number {
  return bits === 0 ? 0 : (~0 << (32 - bits)) >>> 0;
}

function toNumber(ip: ipaddr.IPv4): number {
  return ip.octets.reduce((n, octet) => n * 256 + octet, 0);
}

function toDotted(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}
