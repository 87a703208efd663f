import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

// Multicast must never leave the machine: the probe runs in a network namespace of its own, where lo is the
// only interface and carries the multicast route.
const script = [
  'ip link set lo up',
  'ip link set lo multicast on',
  'ip route add 224.0.0.0/4 dev lo',
  'exec npx tsx test/fixtures/product-multicast-discovery.ts',
].join(' && ');

describe('discovery inside a private network namespace', () => {
  it('finds every simulated camera by multicast on lo, and by a unicast scan of their range', async () => {
    const { stdout } = await promisify(execFile)('unshare', ['-n', 'sh', '-c', script], {
      timeout: 30_000,
      killSignal: 'SIGKILL',
    });
    type Found = { address: string; deviceUrl: string; endpointRef: string; scopes: string[] }[];
    const { found, unicast, unknownInterface } = JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as {
      found: Found;
      unicast: Found;
      unknownInterface: string;
    };
    expect(found.map((d) => d.address).sort()).toEqual([
      '127.61.0.1',
      '127.61.0.2',
      '127.61.0.3',
      '127.61.0.4',
    ]);
    for (const d of found) {
      expect(d.endpointRef).toMatch(/^urn:uuid:/);
      expect(d.deviceUrl).toContain(`http://${d.address}`);
      expect(d.scopes.some((s) => s.startsWith('onvif://www.onvif.org/'))).toBe(true);
    }
    expect(new Set(found.map((d) => d.endpointRef)).size).toBe(4);
    const byRef = (list: Found) => list.map((d) => `${d.endpointRef} ${d.address}`).sort();
    expect(byRef(unicast)).toEqual(byRef(found));
    expect(unknownInterface).toMatch(/interface: no IPv4 interface named 'no-such-if0'/);
  });
});
