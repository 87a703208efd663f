import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

// `npm run bench -- NAME` runs bench/NAME.ts; each benchmark's last line of output is one JSON object of figures.
const name = process.argv[2];
const here = fileURLToPath(new URL('.', import.meta.url));
const known = readdirSync(here)
  .filter((f) => f.endsWith('.ts') && f !== 'run.ts')
  .map((f) => f.slice(0, -3));
if (!name || !known.includes(name)) {
  console.error(`bench: name one of ${known.join(', ')} (npm run bench -- NAME)`);
  process.exit(2);
}
await import(`./${name}.ts`);
