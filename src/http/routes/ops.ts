import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { readiness } from '../../readiness.js';
import type { Deps } from '../deps.js';

const Check = Type.Object({ ok: Type.Boolean(), error: Type.Optional(Type.String()) });
const Ready = Type.Object({
  ready: Type.Boolean(),
  checks: Type.Object({ postgres: Check, redis: Check, queues: Check }),
});

/** Liveness, readiness (Postgres, Redis and the queues answer) and Prometheus metrics; no authentication. */
export function opsRoutes({ db, redis, metrics, config, queues }: Deps): FastifyPluginAsyncTypebox {
  return async (app) => {
    const tags = ['operations'];
    app.get(
      '/healthz',
      { schema: { tags, security: [], response: { 200: Type.Object({ ok: Type.Boolean() }) } } },
      async () => ({
        ok: true,
      }),
    );

    app.get(
      '/readyz',
      { schema: { tags, security: [], response: { 200: Ready, 503: Ready } } },
      async (_req, reply) => {
        const result = await readiness(
          { db, redis, pingQueues: () => queues.notify.getJobCounts('wait') },
          config.dependencyTimeoutMs,
        );
        return reply.status(result.ready ? 200 : 503).send(result);
      },
    );

    app.get('/metrics', { schema: { tags, security: [], hide: true } }, async (_req, reply) => {
      reply.header('content-type', metrics.registry.contentType);
      return metrics.registry.metrics();
    });
  };
}
