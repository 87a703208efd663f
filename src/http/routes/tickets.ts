import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Deps } from '../deps.js';

/** Tickets for contractors. */
export function ticketRoutes(_deps: Deps): FastifyPluginAsyncTypebox {
  return async () => {};
}
