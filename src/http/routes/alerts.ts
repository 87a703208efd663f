import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Deps } from '../deps.js';

/** Alerts: list within scope, acknowledge, rules. */
export function alertRoutes(_deps: Deps): FastifyPluginAsyncTypebox {
  return async () => {};
}
