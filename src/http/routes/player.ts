import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';

const asset = (name: string) => readFileSync(new URL(`../player/${name}`, import.meta.url));

const PlayerQuery = Type.Object(
  { camera: Type.Optional(Type.String({ maxLength: 64, description: 'the camera to play' })) },
  { additionalProperties: false },
);

// The page only talks to its own origin (the viewer WebSocket) and plays through MSE (a blob: URL).
const CSP =
  "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; connect-src 'self'; media-src blob:; img-src 'self' data:";

/**
 * A minimal live player until the console pages exist: `GET /player?camera=<id>` plays the camera's relay
 * stream (`/api/v1/cameras/:id/live-stream`) with mpegts.js, authenticated by the session cookie. No auth here:
 * the page holds no data, the stream endpoint decides.
 */
export function playerRoutes(): FastifyPluginAsyncTypebox {
  const files = {
    html: asset('player.html'),
    script: asset('player.js'),
    mpegts: readFileSync(createRequire(import.meta.url).resolve('mpegts.js')),
  };
  return async (app) => {
    const schema = { tags: ['player'], hide: true, security: [] };
    app.get('/player', { schema: { ...schema, querystring: PlayerQuery } }, async (_req, reply) =>
      reply
        .header('content-type', 'text/html; charset=utf-8')
        .header('cache-control', 'no-cache')
        .header('content-security-policy', CSP)
        .header('x-content-type-options', 'nosniff')
        .send(files.html),
    );
    for (const [url, body] of [
      ['/player/player.js', files.script],
      ['/player/mpegts.js', files.mpegts],
    ] as const) {
      app.get(url, { schema }, async (_req, reply) =>
        reply
          .header('content-type', 'text/javascript; charset=utf-8')
          .header('cache-control', 'no-cache')
          .header('x-content-type-options', 'nosniff')
          .send(body),
      );
    }
  };
}
