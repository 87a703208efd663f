import { ConfigError } from '../config.js';

/** Runs a command-line task: a clear one-line message and exit code 1 on failure, no stack for config errors. */
export async function runCli(name: string, task: () => Promise<void>): Promise<void> {
  try {
    await task();
  } catch (err) {
    if (err instanceof ConfigError) console.error(err.message);
    else console.error(`${name}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    process.exitCode = 1;
  }
}
