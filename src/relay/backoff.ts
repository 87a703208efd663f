/**
 * Restart delays of an upstream: exponential from `baseMs`, capped at `maxMs`, with "equal jitter" (between
 * half and all of the exponential step) so cameras that failed together do not come back in lockstep. Pure.
 */
export function restartDelay(attempt: number, baseMs: number, maxMs: number, random: () => number): number {
  const step = Math.min(maxMs, baseMs * 2 ** Math.min(Math.max(0, attempt), 30));
  return Math.round(step / 2 + (random() * step) / 2);
}

/**
 * The attempt number of the next restart: a run that stayed live for `stableMs` was a success, so the next
 * failure starts again from the base delay; otherwise the delay keeps growing.
 */
export function nextAttempt(attempt: number, liveMs: number, stableMs: number): number {
  return liveMs >= stableMs ? 0 : attempt + 1;
}
