import os from 'node:os';
import onvif from 'onvif';
import { ValidationError } from '../errors.js';
import type { ScannedDevice } from './unicast-scan.js';

interface RawProbeMatch {
  probeMatches?: {
    probeMatch?: {
      endpointReference?: { address?: string };
      XAddrs?: string;
      scopes?: string | { _?: string };
    };
  };
}

function text(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value && typeof value === 'object' && '_' in value) return String((value as { _: unknown })._);
  return '';
}

/**
 * A WS-Discovery multicast Probe (239.255.255.250:3702) from one named interface, through the onvif package.
 * The interface must exist: the package would otherwise fall back to every interface, and discovery traffic
 * must go only where it is sent.
 */
export function probeMulticast(networkInterface: string, timeoutMs: number): Promise<ScannedDevice[]> {
  const addresses = os.networkInterfaces()[networkInterface];
  if (!addresses?.some((a) => a.family === 'IPv4')) {
    throw new ValidationError('interface', `no IPv4 interface named '${networkInterface}' on this host`);
  }
  return new Promise((resolve, reject) => {
    // The package reports unparseable answers on a shared emitter; without a listener they would throw.
    const ignore = () => undefined;
    onvif.Discovery.on('error', ignore);
    onvif.Discovery.probe({ timeout: timeoutMs, resolve: false, device: networkInterface }, (err, found) => {
      onvif.Discovery.removeListener('error', ignore);
      if (err && !Array.isArray(err)) {
        reject(err);
        return;
      }
      const devices: ScannedDevice[] = [];
      for (const raw of (found ?? []) as RawProbeMatch[]) {
        const match = raw.probeMatches?.probeMatch;
        const endpointRef = match?.endpointReference?.address;
        const xaddrs = (match?.XAddrs ?? '').split(/\s+/).filter((x) => /^https?:\/\//.test(x));
        const first = xaddrs[0];
        if (!endpointRef || !first) continue;
        devices.push({
          address: new URL(first).hostname,
          deviceUrl: first,
          endpointRef,
          scopes: text(match?.scopes).split(/\s+/).filter(Boolean),
          via: 'ws-discovery',
        });
      }
      resolve(devices);
    });
  });
}
