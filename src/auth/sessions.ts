import { createHash, randomBytes } from 'node:crypto';
import type { Queryable } from '../db.js';
import type { Principal, Role } from './policy.js';

/** Tokens are 32 random bytes; only their SHA-256 is stored, so a database dump yields no usable session. */
function digest(token: string): Buffer {
  return createHash('sha256').update(token).digest();
}

export async function createSession(db: Queryable, userId: string, ttlSeconds: number): Promise<string> {
  const token = randomBytes(32).toString('base64url');
  await db.query(
    `INSERT INTO sessions (user_id, token_hash, expires_at) VALUES ($1, $2, now() + make_interval(secs => $3))`,
    [userId, digest(token), ttlSeconds],
  );
  return token;
}

/** The principal behind a token, or null when the token is unknown, expired, revoked or its user disabled. */
export async function principalForToken(db: Queryable, token: string): Promise<Principal | null> {
  if (!/^[A-Za-z0-9_-]{43}$/.test(token)) return null;
  const { rows } = await db.query<{
    session_id: string;
    user_id: string;
    username: string;
    role: Role;
    scope_district_id: string | null;
    contractor_id: string | null;
  }>(
    `SELECT s.id AS session_id, u.id AS user_id, u.username, u.role, u.scope_district_id, u.contractor_id
       FROM sessions s JOIN users u ON u.id = s.user_id
      WHERE s.token_hash = $1 AND s.revoked_at IS NULL AND s.expires_at > now() AND NOT u.disabled`,
    [digest(token)],
  );
  const row = rows[0];
  if (!row) return null;
  return {
    sessionId: row.session_id,
    userId: row.user_id,
    username: row.username,
    role: row.role,
    scopeDistrictId: row.scope_district_id,
    contractorId: row.contractor_id,
  };
}

export async function revokeSession(db: Queryable, sessionId: string): Promise<void> {
  await db.query('UPDATE sessions SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL', [sessionId]);
}

export async function revokeUserSessions(db: Queryable, userId: string): Promise<void> {
  await db.query('UPDATE sessions SET revoked_at = now() WHERE user_id = $1 AND revoked_at IS NULL', [
    userId,
  ]);
}
