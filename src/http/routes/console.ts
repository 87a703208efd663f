import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyPluginAsync } from 'fastify';

const BUILT = fileURLToPath(new URL('../../../dist/console/', import.meta.url));

/**
 * The web console (src/console, built by `npm run build:console` into dist/console): its page at `/` and its
 * hashed assets under `/assets/`. The pages live after the '#', so every other path stays the API's.
 */
export function consoleRoutes(consoleDir?: string): FastifyPluginAsync {
  const dir = consoleDir ? `${consoleDir.replace(/\/+$/, '')}/` : BUILT;
  return async (app) => {
    const index = `${dir}index.html`;
    if (!existsSync(index)) {
      app.get('/', { schema: { hide: true } }, async (_req, reply) =>
        reply
          .status(503)
          .type('text/plain; charset=utf-8')
          .send('console not built: run `npm run build:console`\n'),
      );
      return;
    }
    const page = readFileSync(index);
    app.get('/', { schema: { hide: true } }, async (_req, reply) =>
      reply
        .type('text/html; charset=utf-8')
        .header('cache-control', 'no-cache')
        .header('x-content-type-options', 'nosniff')
        .send(page),
    );
    await app.register(fastifyStatic, {
      root: `${dir}assets`,
      prefix: '/assets/',
      immutable: true,
      maxAge: '365d',
    });
  };
}
