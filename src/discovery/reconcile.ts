/**
 * Reconciles what a scan found on the network with the camera registry. Pure: the scan service fetches the
 * serial numbers it needs (with the registered camera's own credentials) before calling this.
 */

export interface RegisteredCamera {
  id: string;
  ip: string | null;
  endpointRef: string | null;
  serialNumber: string | null;
}

export interface FoundDevice {
  address: string;
  deviceUrl: string | null;
  endpointRef: string | null;
  /** read with the credentials of the camera registered at this address or reference, when there is one */
  serialNumber: string | null;
}

export type Reconciled =
  | { match: 'new'; device: FoundDevice }
  | { match: 'known'; device: FoundDevice; cameraId: string }
  | { match: 'moved'; device: FoundDevice; cameraId: string; previousAddress: string | null }
  | { match: 'serial_changed'; device: FoundDevice; cameraId: string; previousSerial: string }
  | { match: 'missing'; cameraId: string; address: string };

/**
 * - known: the device is a registered camera at its registered address (same reference, same serial);
 * - moved: a registered camera (by endpoint reference or serial) answers from another address;
 * - serial_changed: at a registered camera's address answers a device with another serial (a swapped unit);
 * - new: nothing registered matches it;
 * - missing: a registered camera whose address lies in the scanned range did not answer.
 */
export function reconcile(
  registered: readonly RegisteredCamera[],
  found: readonly FoundDevice[],
  scannedAddresses: ReadonlySet<string> | null,
): Reconciled[] {
  const byRef = new Map(registered.filter((c) => c.endpointRef).map((c) => [c.endpointRef as string, c]));
  const bySerial = new Map(
    registered.filter((c) => c.serialNumber).map((c) => [c.serialNumber as string, c]),
  );
  const byIp = new Map(registered.filter((c) => c.ip).map((c) => [c.ip as string, c]));
  const accounted = new Set<string>();
  const out: Reconciled[] = [];

  for (const device of found) {
    const identified =
      (device.endpointRef ? byRef.get(device.endpointRef) : undefined) ??
      (device.serialNumber ? bySerial.get(device.serialNumber) : undefined);
    if (identified) {
      accounted.add(identified.id);
      if (identified.ip === device.address) {
        out.push({ match: 'known', device, cameraId: identified.id });
      } else {
        out.push({ match: 'moved', device, cameraId: identified.id, previousAddress: identified.ip });
      }
      continue;
    }
    const atAddress = byIp.get(device.address);
    if (atAddress) {
      accounted.add(atAddress.id);
      const swapped =
        atAddress.serialNumber !== null &&
        device.serialNumber !== null &&
        device.serialNumber !== atAddress.serialNumber;
      const otherRef =
        atAddress.endpointRef !== null &&
        device.endpointRef !== null &&
        device.endpointRef !== atAddress.endpointRef;
      if (swapped || (otherRef && device.serialNumber !== atAddress.serialNumber)) {
        out.push({
          match: 'serial_changed',
          device,
          cameraId: atAddress.id,
          previousSerial: atAddress.serialNumber ?? '(unknown)',
        });
      } else {
        out.push({ match: 'known', device, cameraId: atAddress.id });
      }
      continue;
    }
    out.push({ match: 'new', device });
  }

  if (scannedAddresses) {
    for (const camera of registered) {
      if (camera.ip && scannedAddresses.has(camera.ip) && !accounted.has(camera.id)) {
        out.push({ match: 'missing', cameraId: camera.id, address: camera.ip });
      }
    }
  }
  return out;
}
