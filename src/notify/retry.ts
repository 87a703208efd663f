import type { Config } from '../config.js';

export type RetryPolicy = Config['notify'];

/** BullMQ stops at `attempts`; the age limit stops a notification long before this. */
export const UNLIMITED_ATTEMPTS = 1_000_000;

/**
 * After `failures` failed attempts of a notification first due at `firstDueMs`: the delay before the next
 * attempt, or null when it is as old as maxAgeSeconds and goes to the dead letters. The delay doubles from
 * backoffMs up to maxBackoffMs, and never reaches past the age limit, so the last attempt falls on it.
 */
export function nextAttemptDelay(
  failures: number,
  firstDueMs: number,
  nowMs: number,
  policy: RetryPolicy,
): number | null {
  const left = firstDueMs + policy.maxAgeSeconds * 1000 - nowMs;
  if (left <= 0) return null;
  const exponent = Math.min(Math.max(failures - 1, 0), 40);
  const backoff = Math.min(policy.backoffMs * 2 ** exponent, policy.maxBackoffMs);
  return Math.max(1, Math.min(backoff, left));
}
