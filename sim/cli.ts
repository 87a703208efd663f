import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { generateSimCameraSpecs, type SimCameraSpec } from './camera-state.js';
import { startSimCounty } from './county.js';

/**
 * Starts a simulated county and keeps it up until SIGINT/SIGTERM.
 *
 *   npx tsx sim/cli.ts --count 50 --base 127.20.0.1 [--share-host] [--password P]
 *   npx tsx sim/cli.ts --from-file cameras.json          (a JSON array of SimCameraSpec, or { cameras: [...] })
 *   common: [--control-port 0] [--multicast-interface 127.0.0.1]
 */

const USAGE =
  'usage: tsx sim/cli.ts (--count N --base 127.x.y.z [--share-host] [--password P] | --from-file FILE)\n' +
  '       [--control-port PORT] [--multicast-interface ADDR]';

async function loadSpecs(values: Record<string, string | boolean | undefined>): Promise<SimCameraSpec[]> {
  if (typeof values['from-file'] === 'string') {
    const parsed: unknown = JSON.parse(await readFile(values['from-file'], 'utf8'));
    const list = Array.isArray(parsed) ? parsed : (parsed as { cameras?: unknown }).cameras;
    if (!Array.isArray(list))
      throw new Error('the file must hold an array of cameras or { "cameras": [...] }');
    return list as SimCameraSpec[];
  }
  const count = Number(values.count);
  if (!Number.isInteger(count) || count < 1 || typeof values.base !== 'string') throw new Error(USAGE);
  return generateSimCameraSpecs({
    count,
    base: values.base,
    shareHost: values['share-host'] === true,
    ...(typeof values.password === 'string' && { password: values.password }),
  });
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      count: { type: 'string' },
      base: { type: 'string' },
      'share-host': { type: 'boolean' },
      password: { type: 'string' },
      'from-file': { type: 'string' },
      'control-port': { type: 'string' },
      'multicast-interface': { type: 'string' },
      help: { type: 'boolean' },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const cameras = await loadSpecs(values);
  const county = await startSimCounty({
    cameras,
    controlPort: Number(values['control-port'] ?? 0),
    ...(values['multicast-interface'] !== undefined && { multicastInterface: values['multicast-interface'] }),
  });
  const lines = [`control ${county.controlUrl}`, ...county.cameras.map((c) => `${c.id} ${c.deviceUrl}`)];
  process.stdout.write(`${lines.join('\n')}\n`);

  let closing = false;
  const stop = (signal: string) => {
    if (closing) return;
    closing = true;
    county.close().then(
      () => process.exit(0),
      (err: unknown) => {
        console.error(`sim: close after ${signal} failed:`, err);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
