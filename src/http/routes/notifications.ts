import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Deps } from '../deps.js';

/** Notification routes and dead letters. */
export function notificationRoutes(_deps: Deps): FastifyPluginAsyncTypebox {
  return async () => {};
}
