import { audit } from '../audit.js';
import { type Db, type Queryable, withTransaction } from '../db.js';
import { ConflictError, NotFoundError, ValidationError } from '../errors.js';
import { requireNode } from '../governance/districts.js';
import { DUTY_SCOPE_KINDS } from '../governance/tree-rules.js';
import { likePattern, listPage, type Page, Params } from '../sql.js';
import { hashPassword, MIN_PASSWORD_LENGTH } from './passwords.js';
import { type Principal, type Role, systemPrincipal } from './policy.js';
import { revokeUserSessions } from './sessions.js';

export interface User {
  id: string;
  username: string;
  displayName: string;
  role: Role;
  scopeDistrictId: string | null;
  contractorId: string | null;
  disabled: boolean;
  passwordChangedAt: Date;
  createdAt: Date;
  updatedAt: Date;
}

interface UserRow {
  id: string;
  username: string;
  display_name: string;
  role: Role;
  scope_district_id: string | null;
  contractor_id: string | null;
  disabled: boolean;
  password_changed_at: Date;
  created_at: Date;
  updated_at: Date;
}

const COLUMNS =
  'u.id, u.username, u.display_name, u.role, u.scope_district_id, u.contractor_id, u.disabled, u.password_changed_at, u.created_at, u.updated_at';

function toUser(r: UserRow): User {
  return {
    id: r.id,
    username: r.username,
    displayName: r.display_name,
    role: r.role,
    scopeDistrictId: r.scope_district_id,
    contractorId: r.contractor_id,
    disabled: r.disabled,
    passwordChangedAt: r.password_changed_at,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

export async function listUsers(
  db: Queryable,
  filter: { role?: Role; q?: string; disabled?: boolean },
  page: Page,
) {
  const params = new Params();
  const where: string[] = [];
  if (filter.role) where.push(`u.role = ${params.p(filter.role)}`);
  if (filter.disabled !== undefined) where.push(`u.disabled = ${params.p(filter.disabled)}`);
  if (filter.q) {
    const like = params.p(likePattern(filter.q));
    where.push(`(u.username ILIKE ${like} OR u.display_name ILIKE ${like})`);
  }
  return listPage<UserRow, User>(db, {
    select: COLUMNS,
    from: 'users u',
    where,
    orderBy: 'u.username',
    params,
    page,
    map: toUser,
  });
}

export async function getUser(db: Queryable, id: string): Promise<User> {
  const { rows } = await db.query<UserRow>(`SELECT ${COLUMNS} FROM users u WHERE u.id = $1`, [id]);
  if (!rows[0]) throw new NotFoundError('user', id);
  return toUser(rows[0]);
}

export async function findLoginUser(db: Queryable, username: string) {
  const { rows } = await db.query<{ id: string; password_hash: string; disabled: boolean }>(
    'SELECT id, password_hash, disabled FROM users WHERE username = $1',
    [username],
  );
  return rows[0] ?? null;
}

export interface UserInput {
  username: string;
  displayName: string;
  role: Role;
  password: string;
  scopeDistrictId?: string | null;
  contractorId?: string | null;
}

export function checkPassword(field: string, password: string): void {
  if (password.length < MIN_PASSWORD_LENGTH) {
    throw new ValidationError(field, `must have at least ${MIN_PASSWORD_LENGTH} characters`);
  }
}

/** Duty users need a node of the tree, contractor users a contractor; the others neither. */
async function checkRoleLinks(
  db: Queryable,
  who: Principal,
  role: Role,
  scopeDistrictId: string | null,
  contractorId: string | null,
): Promise<void> {
  if (role === 'duty') {
    if (!scopeDistrictId) throw new ValidationError('scopeDistrictId', 'is required for a duty user');
    await requireNode(db, who, 'scopeDistrictId', scopeDistrictId, DUTY_SCOPE_KINDS);
  } else if (scopeDistrictId) {
    throw new ValidationError('scopeDistrictId', `only duty users have a district scope, not ${role}`);
  }
  if (role === 'contractor') {
    if (!contractorId) throw new ValidationError('contractorId', 'is required for a contractor user');
    const { rows } = await db.query('SELECT 1 FROM contractors WHERE id = $1', [contractorId]);
    if (rows.length === 0) throw new ValidationError('contractorId', `no contractor ${contractorId}`);
  } else if (contractorId) {
    throw new ValidationError('contractorId', `only contractor users belong to a contractor, not ${role}`);
  }
}

export async function createUser(db: Db, who: Principal | null, input: UserInput): Promise<User> {
  checkPassword('password', input.password);
  const hash = await hashPassword(input.password);
  return withTransaction(db, async (tx) => {
    const admin = who ?? systemPrincipal;
    await checkRoleLinks(tx, admin, input.role, input.scopeDistrictId ?? null, input.contractorId ?? null);
    const { rows: taken } = await tx.query('SELECT 1 FROM users WHERE username = $1', [input.username]);
    if (taken.length > 0) throw new ConflictError(`username '${input.username}' is taken`, 'username');
    const { rows } = await tx.query<UserRow>(
      `INSERT INTO users AS u (username, display_name, role, scope_district_id, contractor_id, password_hash)
       VALUES ($1, $2, $3, $4, $5, $6) RETURNING ${COLUMNS}`,
      [
        input.username,
        input.displayName,
        input.role,
        input.scopeDistrictId ?? null,
        input.contractorId ?? null,
        hash,
      ],
    );
    const user = toUser(rows[0] as UserRow);
    await audit(tx, who, 'create', 'user', user.id, { username: user.username, role: user.role });
    return user;
  });
}

export interface UserPatch {
  displayName?: string;
  role?: Role;
  scopeDistrictId?: string | null;
  contractorId?: string | null;
  disabled?: boolean;
  password?: string;
}

/**
 * Updates a user. Disabling, re-enabling, a new password, a new role or a new scope all revoke the user's
 * sessions: what the old token could see is no longer what the user may see. The caller cuts open
 * connections (`revoked: true`).
 */
export async function updateUser(
  db: Db,
  who: Principal,
  id: string,
  patch: UserPatch,
): Promise<{ user: User; revoked: boolean }> {
  if (patch.password !== undefined) checkPassword('password', patch.password);
  const hash = patch.password === undefined ? null : await hashPassword(patch.password);
  return withTransaction(db, async (tx) => {
    const current = await getUser(tx, id);
    const role = patch.role ?? current.role;
    const roleChanged = role !== current.role;
    const scope =
      patch.scopeDistrictId !== undefined
        ? patch.scopeDistrictId
        : roleChanged
          ? null
          : current.scopeDistrictId;
    const contractor =
      patch.contractorId !== undefined ? patch.contractorId : roleChanged ? null : current.contractorId;
    await checkRoleLinks(tx, who, role, scope, contractor);
    if (id === who.userId && (patch.disabled === true || (roleChanged && current.role === 'admin'))) {
      throw new ValidationError(patch.disabled ? 'disabled' : 'role', 'an admin cannot lock themselves out');
    }
    const { rows } = await tx.query<UserRow>(
      `UPDATE users AS u SET display_name = $2, role = $3, scope_district_id = $4, contractor_id = $5,
              disabled = $6, password_hash = COALESCE($7, password_hash),
              password_changed_at = CASE WHEN $7::text IS NULL THEN password_changed_at ELSE now() END
        WHERE id = $1 RETURNING ${COLUMNS}`,
      [
        id,
        patch.displayName ?? current.displayName,
        role,
        scope,
        contractor,
        patch.disabled ?? current.disabled,
        hash,
      ],
    );
    const user = toUser(rows[0] as UserRow);
    const revoked =
      hash !== null ||
      roleChanged ||
      user.disabled !== current.disabled ||
      user.scopeDistrictId !== current.scopeDistrictId ||
      user.contractorId !== current.contractorId;
    if (revoked) await revokeUserSessions(tx, id);
    const fields = Object.keys(patch).filter((k) => k !== 'password');
    if (hash !== null) fields.push('password');
    await audit(tx, who, user.disabled && !current.disabled ? 'disable' : 'update', 'user', id, { fields });
    return { user, revoked };
  });
}

/** A user changing their own password: the old one is checked by the caller. */
export async function setOwnPassword(db: Db, who: Principal, password: string): Promise<void> {
  checkPassword('newPassword', password);
  const hash = await hashPassword(password);
  await withTransaction(db, async (tx) => {
    await tx.query('UPDATE users SET password_hash = $2, password_changed_at = now() WHERE id = $1', [
      who.userId,
      hash,
    ]);
    await revokeUserSessions(tx, who.userId);
    await audit(tx, who, 'change-password', 'user', who.userId);
  });
}

export async function passwordHashOf(db: Queryable, userId: string): Promise<string> {
  const { rows } = await db.query<{ password_hash: string }>(
    'SELECT password_hash FROM users WHERE id = $1',
    [userId],
  );
  if (!rows[0]) throw new NotFoundError('user', userId);
  return rows[0].password_hash;
}
