import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { ConsoleFeed } from '../../alerting/feed-hub.js';
import type { Deps } from '../deps.js';
import { principalOf } from '../guard.js';

/** Close code sent when the user's credentials are revoked (disabled, new password, new scope). */
export const CLOSE_REVOKED = 4401;
/** Close code when the alert feed cannot be read; the client reconnects with its last id. */
export const CLOSE_FEED_UNAVAILABLE = 1011;

const LiveQuery = Type.Object(
  {
    since: Type.Optional(
      Type.Integer({
        minimum: 0,
        description: 'the id of the last alert seen: everything after it is replayed',
      }),
    ),
  },
  { additionalProperties: false },
);

/**
 * The console's live channel: `{type:'hello'}`, then the alert feed entries the user may see
 * (`{type:'alert', id, …}`); with `?since=<id>` first every one after that id, then `{type:'synced', lastId}`,
 * then live ones. Contractors get the greeting only. A connection is tracked per user so that revoking the
 * user closes it on whichever instance holds it.
 */
export function liveRoutes({ revocations, alertFeed, db, log }: Deps): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.get(
      '/live',
      { websocket: true, schema: { tags: ['live'], hide: true, querystring: LiveQuery } },
      (socket, req) => {
        if (!req.principal) {
          socket.close(4401, 'authentication required');
          return;
        }
        const who = principalOf(req);
        const feed = who.role === 'contractor' ? null : new ConsoleFeed(alertFeed, db, who, socket);
        const forget = revocations.track(who.userId, (reason) => socket.close(CLOSE_REVOKED, reason));
        socket.on('close', () => {
          forget();
          feed?.stop();
        });
        socket.send(JSON.stringify({ type: 'hello', user: who.username, role: who.role }));
        feed?.start(req.query.since ?? null).catch((err: Error) => {
          log.warn({ err: { message: err.message }, user: who.username }, 'live: alert feed unavailable');
          feed.stop();
          socket.close(CLOSE_FEED_UNAVAILABLE, 'alert feed unavailable, reconnect with since=<last id>');
        });
      },
    );
  };
}
