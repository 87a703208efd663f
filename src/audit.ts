import { isSystem, type Principal } from './auth/policy.js';
import type { Queryable } from './db.js';
import { listPage, type Page, type PageOf, Params } from './sql.js';

/** Appends to the audit log: who did what, when, to which object. Call inside the write's transaction. */
export async function audit(
  q: Queryable,
  who: Pick<Principal, 'userId' | 'username'> | null,
  action: string,
  objectType: string,
  objectId: string | null,
  details: Record<string, unknown> = {},
): Promise<void> {
  await q.query(
    `INSERT INTO audit_log (user_id, username, action, object_type, object_id, details)
     VALUES ($1, $2, $3, $4, $5, $6)`,
    [
      who && !isSystem(who) ? who.userId : null,
      who?.username ?? 'system',
      action,
      objectType,
      objectId,
      details,
    ],
  );
}

export interface AuditEntry {
  id: number;
  at: Date;
  userId: string | null;
  username: string | null;
  action: string;
  objectType: string;
  objectId: string | null;
  details: Record<string, unknown>;
}

export interface AuditFilter {
  objectType?: string;
  objectId?: string;
  userId?: string;
  action?: string;
  from?: string;
  to?: string;
}

export async function listAudit(q: Queryable, filter: AuditFilter, page: Page): Promise<PageOf<AuditEntry>> {
  const params = new Params();
  const where: string[] = [];
  if (filter.objectType) where.push(`a.object_type = ${params.p(filter.objectType)}`);
  if (filter.objectId) where.push(`a.object_id = ${params.p(filter.objectId)}`);
  if (filter.userId) where.push(`a.user_id = ${params.p(filter.userId)}`);
  if (filter.action) where.push(`a.action = ${params.p(filter.action)}`);
  if (filter.from) where.push(`a.at >= ${params.p(filter.from)}`);
  if (filter.to) where.push(`a.at < ${params.p(filter.to)}`);
  return listPage<
    {
      id: number;
      at: Date;
      user_id: string | null;
      username: string | null;
      action: string;
      object_type: string;
      object_id: string | null;
      details: Record<string, unknown>;
    },
    AuditEntry
  >(q, {
    select: 'a.id, a.at, a.user_id, a.username, a.action, a.object_type, a.object_id, a.details',
    from: 'audit_log a',
    where,
    orderBy: 'a.id DESC',
    params,
    page,
    map: (r) => ({
      id: r.id,
      at: r.at,
      userId: r.user_id,
      username: r.username,
      action: r.action,
      objectType: r.object_type,
      objectId: r.object_id,
      details: r.details,
    }),
  });
}
