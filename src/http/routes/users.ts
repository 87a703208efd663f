import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { ROLES } from '../../auth/policy.js';
import { createUser, getUser, listUsers, updateUser } from '../../auth/users.js';
import type { Deps } from '../deps.js';
import { allow, principalOf } from '../guard.js';
import {
  errorReplies,
  IdParams,
  Name,
  NullableUuid,
  PageOf,
  PageQuery,
  page,
  SearchText,
  StringEnum,
  Timestamp,
  Uuid,
} from '../schemas/common.js';

const Role = StringEnum(ROLES);
const NewPassword = Type.String({ minLength: 1, maxLength: 256 });

const User = Type.Object({
  id: Uuid,
  username: Type.String(),
  displayName: Type.String(),
  role: Role,
  scopeDistrictId: NullableUuid,
  contractorId: NullableUuid,
  disabled: Type.Boolean(),
  passwordChangedAt: Timestamp,
  createdAt: Timestamp,
  updatedAt: Timestamp,
});

const UserCreate = Type.Object(
  {
    username: Type.String({
      pattern: '^[a-z0-9._-]{3,64}$',
      description: 'lower-case letters, digits, . _ -',
    }),
    displayName: Name,
    role: Role,
    password: NewPassword,
    scopeDistrictId: Type.Optional(NullableUuid),
    contractorId: Type.Optional(NullableUuid),
  },
  { additionalProperties: false },
);

const UserPatch = Type.Object(
  {
    displayName: Type.Optional(Name),
    role: Type.Optional(Role),
    scopeDistrictId: Type.Optional(NullableUuid),
    contractorId: Type.Optional(NullableUuid),
    disabled: Type.Optional(Type.Boolean()),
    password: Type.Optional(NewPassword),
  },
  { additionalProperties: false, minProperties: 1 },
);

export function userRoutes({ db, revocations }: Deps): FastifyPluginAsyncTypebox {
  return async (app) => {
    const tags = ['users'];
    app.get(
      '/users',
      {
        onRequest: allow('users', 'read'),
        schema: {
          tags,
          querystring: Type.Object(
            {
              ...PageQuery,
              role: Type.Optional(Role),
              disabled: Type.Optional(Type.Boolean()),
              q: Type.Optional(SearchText),
            },
            { additionalProperties: false },
          ),
          response: { 200: PageOf(User), ...errorReplies },
        },
      },
      async (req) => listUsers(db, req.query, page(req.query)),
    );
    app.get(
      '/users/:id',
      {
        onRequest: allow('users', 'read'),
        schema: { tags, params: IdParams, response: { 200: User, ...errorReplies } },
      },
      async (req) => getUser(db, req.params.id),
    );
    app.post(
      '/users',
      {
        onRequest: allow('users', 'write'),
        schema: { tags, body: UserCreate, response: { 201: User, ...errorReplies } },
      },
      async (req, reply) => reply.status(201).send(await createUser(db, principalOf(req), req.body)),
    );
    app.patch(
      '/users/:id',
      {
        onRequest: allow('users', 'write'),
        schema: { tags, params: IdParams, body: UserPatch, response: { 200: User, ...errorReplies } },
      },
      async (req) => {
        const { user, revoked } = await updateUser(db, principalOf(req), req.params.id, req.body);
        if (revoked) await revocations.revoke(user.id);
        return user;
      },
    );
  };
}
