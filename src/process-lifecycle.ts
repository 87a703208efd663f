/** Closes gracefully on SIGTERM/SIGINT; exits 1 if closing takes longer than `graceMs`. */
export function closeOnSignals(
  close: () => Promise<void>,
  log: (message: string) => void,
  graceMs = 10_000,
): void {
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      log(`${signal}: shutting down`);
      const force = setTimeout(() => process.exit(1), graceMs);
      force.unref();
      close().then(
        () => process.exit(0),
        () => process.exit(1),
      );
    });
  }
}
