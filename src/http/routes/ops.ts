import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { withDeadline } from '../../deadline.js';
import type { Deps } from '../deps.js';

const Check = Type.Object({ ok: Type.Boolean(), error: Type.Optional(Type.String()) });
const Ready = Type.Object({ ready: Type.Boolean(), checks: Type.Object({ postgres: Check, redis: Check }) });

/** Liveness, readiness (Postgres and Redis answer) and Prometheus metrics; no authentication. */
export function opsRoutes({ db, redis, metrics, config }: Deps): FastifyPluginAsyncTypebox {
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
        const ms = config.dependencyTimeoutMs;
        const check = async (fn: () => Promise<unknown>, what: string) => {
          try {
            await withDeadline(fn(), ms, what);
            return { ok: true };
          } catch (err) {
            return { ok: false, error: err instanceof Error ? err.message : String(err) };
          }
        };
        const [postgres, redisCheck] = await Promise.all([
          check(() => db.query('SELECT 1'), 'postgres'),
          check(() => redis.ping(), 'redis'),
        ]);
        const ready = postgres.ok && redisCheck.ok;
        return reply.status(ready ? 200 : 503).send({ ready, checks: { postgres, redis: redisCheck } });
      },
    );

    app.get('/metrics', { schema: { tags, security: [], hide: true } }, async (_req, reply) => {
      reply.header('content-type', metrics.registry.contentType);
      return metrics.registry.metrics();
    });
  };
}
