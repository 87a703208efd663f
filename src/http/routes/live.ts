import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Deps } from '../deps.js';
import { principalOf } from '../guard.js';

/** Close code sent when the user's credentials are revoked (disabled, new password, new scope). */
export const CLOSE_REVOKED = 4401;

/**
 * The console's live channel. Today it greets and keeps the connection; alerts arrive on it with the alerting
 * work. A connection is tracked per user so that revoking the user closes it on whichever instance holds it.
 */
export function liveRoutes({ revocations }: Deps): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.get('/live', { websocket: true, schema: { tags: ['live'], hide: true } }, (socket, req) => {
      if (!req.principal) {
        socket.close(4401, 'authentication required');
        return;
      }
      const who = principalOf(req);
      const forget = revocations.track(who.userId, (reason) => socket.close(CLOSE_REVOKED, reason));
      socket.on('close', forget);
      socket.send(JSON.stringify({ type: 'hello', user: who.username, role: who.role }));
    });
  };
}
