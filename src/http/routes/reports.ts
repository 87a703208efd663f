import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Deps } from '../deps.js';

/** SLA and open-fault reports. */
export function reportRoutes(_deps: Deps): FastifyPluginAsyncTypebox {
  return async () => {};
}
