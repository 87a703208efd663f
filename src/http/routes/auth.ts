import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { audit } from '../../audit.js';
import { burnVerify, verifyPassword } from '../../auth/passwords.js';
import { ROLES } from '../../auth/policy.js';
import { createSession, revokeSession } from '../../auth/sessions.js';
import { findLoginUser, getUser, passwordHashOf, setOwnPassword } from '../../auth/users.js';
import { UnauthorizedError, ValidationError } from '../../errors.js';
import type { Deps } from '../deps.js';
import { authenticated, principalOf } from '../guard.js';
import { ErrorReply, errorReplies, NullableUuid, StringEnum, Uuid } from '../schemas/common.js';

export const SESSION_COOKIE = 'xl_session';

const Username = Type.String({ minLength: 1, maxLength: 64 });
const Password = Type.String({ minLength: 1, maxLength: 256 });

const Me = Type.Object({
  id: Uuid,
  username: Type.String(),
  displayName: Type.String(),
  role: StringEnum(ROLES),
  scopeDistrictId: NullableUuid,
  contractorId: NullableUuid,
});

export function authRoutes({ db, config, revocations }: Deps): FastifyPluginAsyncTypebox {
  return async (app) => {
    const tags = ['auth'];
    app.post(
      '/auth/login',
      {
        config: {
          rateLimit: {
            max: config.login.maxAttempts,
            timeWindow: config.login.windowSeconds * 1000,
            hook: 'preHandler',
            // per address and user name: one noisy client cannot lock everybody out
            keyGenerator: (req) => {
              const body = req.body as { username?: unknown } | undefined;
              return `login:${req.ip}:${String(body?.username ?? '').toLowerCase()}`;
            },
          },
        },
        schema: {
          tags,
          security: [],
          body: Type.Object({ username: Username, password: Password }, { additionalProperties: false }),
          response: {
            200: Type.Object({ token: Type.String(), expiresInSeconds: Type.Integer(), user: Me }),
            400: ErrorReply,
            401: ErrorReply,
            429: ErrorReply,
          },
        },
      },
      async (req, reply) => {
        const { username, password } = req.body;
        const found = await findLoginUser(db, username);
        if (!found) {
          await burnVerify(password);
          throw new UnauthorizedError('wrong user name or password');
        }
        if (!(await verifyPassword(found.password_hash, password)) || found.disabled) {
          await audit(db, null, 'login-failed', 'user', found.id, { username });
          throw new UnauthorizedError('wrong user name or password');
        }
        const token = await createSession(db, found.id, config.sessionTtlSeconds);
        const user = await getUser(db, found.id);
        await audit(db, { userId: user.id, username: user.username }, 'login', 'user', user.id);
        reply.setCookie(SESSION_COOKIE, token, {
          httpOnly: true,
          sameSite: 'strict',
          path: '/',
          secure: config.env === 'production',
          maxAge: config.sessionTtlSeconds,
        });
        return { token, expiresInSeconds: config.sessionTtlSeconds, user };
      },
    );

    app.post(
      '/auth/logout',
      { onRequest: authenticated, schema: { tags, response: { 204: Type.Null(), 401: ErrorReply } } },
      async (req, reply) => {
        await revokeSession(db, principalOf(req).sessionId);
        reply.clearCookie(SESSION_COOKIE, { path: '/' });
        return reply.status(204).send(null);
      },
    );

    app.get(
      '/auth/me',
      { onRequest: authenticated, schema: { tags, response: { 200: Me, 401: ErrorReply } } },
      async (req) => getUser(db, principalOf(req).userId),
    );

    app.post(
      '/auth/password',
      {
        onRequest: authenticated,
        schema: {
          tags,
          body: Type.Object(
            { currentPassword: Password, newPassword: Password },
            { additionalProperties: false },
          ),
          response: { 204: Type.Null(), ...errorReplies },
        },
      },
      async (req, reply) => {
        const who = principalOf(req);
        if (!(await verifyPassword(await passwordHashOf(db, who.userId), req.body.currentPassword))) {
          throw new ValidationError('currentPassword', 'is not your current password');
        }
        await setOwnPassword(db, who, req.body.newPassword);
        await revocations.revoke(who.userId);
        reply.clearCookie(SESSION_COOKIE, { path: '/' });
        return reply.status(204).send(null);
      },
    );
  };
}
