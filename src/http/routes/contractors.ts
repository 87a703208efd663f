import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Deps } from '../deps.js';

export function contractorRoutes(_deps: Deps): FastifyPluginAsyncTypebox {
  return async () => {};
}
