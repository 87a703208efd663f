import type { FastifyReply, FastifyRequest } from 'fastify';
import { accessOf, type Principal, type Resource } from '../auth/policy.js';
import { ForbiddenError, UnauthorizedError } from '../errors.js';

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | null;
  }
}

/** The logged-in caller; routes behind `allow` always have one. */
export function principalOf(request: FastifyRequest): Principal {
  if (!request.principal) throw new UnauthorizedError();
  return request.principal;
}

/** onRequest hook (before body validation): 401 without a valid session, 403 when the role may not read (or write) this kind of object. */
export function allow(resource: Resource, level: 'read' | 'write') {
  return async (request: FastifyRequest, _reply: FastifyReply): Promise<void> => {
    const who = principalOf(request);
    const access = accessOf(who.role, resource);
    if (access === 'none' || (level === 'write' && access !== 'write')) {
      throw new ForbiddenError(`role '${who.role}' may not ${level} ${resource}`);
    }
  };
}

export async function authenticated(request: FastifyRequest): Promise<void> {
  principalOf(request);
}
