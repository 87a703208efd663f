import { isSystem, type Principal } from './auth/policy.js';
import type { Queryable } from './db.js';

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
