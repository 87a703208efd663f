/** How a found device compares to the registry (src/discovery/reconcile.ts). */
export type DeviceMatch = 'new' | 'known' | 'moved' | 'serial_changed' | 'missing';

/**
 * What a found device offers the admin, by how it compares to the registry: a new device can be adopted, a
 * registered camera found at another address can follow it; once done, the row says so and when.
 */
export type DeviceStep =
  | { kind: 'adopt' }
  | { kind: 'acceptMove' }
  | { kind: 'adopted'; at: string }
  | { kind: 'moveAccepted'; at: string }
  | { kind: 'none' };

export function deviceStep(device: { match: DeviceMatch; adoptedAt: string | null }): DeviceStep {
  const at = device.adoptedAt;
  if (device.match === 'new') return at ? { kind: 'adopted', at } : { kind: 'adopt' };
  if (device.match === 'moved') return at ? { kind: 'moveAccepted', at } : { kind: 'acceptMove' };
  return { kind: 'none' };
}

/** The tag colour of each match: what asks for the admin stands out, what agrees with the registry does not. */
export const MATCH_TAG = {
  new: 'primary',
  known: 'success',
  moved: 'warning',
  serial_changed: 'warning',
  missing: 'danger',
} as const satisfies Record<DeviceMatch, string>;
