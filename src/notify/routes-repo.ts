/**
 * Notification routes: where the notifications of a node of the tree, of a contractor or of the whole county go.
 * The target (URL and secret) is sealed with the credential vault under the route's id, as a camera credential
 * is: a robot URL carries its key. Only the URL's host ever leaves this module, for display.
 */
import { randomUUID } from 'node:crypto';
import type { Severity } from '../alerting/rules.js';
import { audit } from '../audit.js';
import type { Principal } from '../auth/policy.js';
import type { CredentialVault, SealedCredentials } from '../cameras/credential-vault.js';
import { type Db, type Queryable, withTransaction } from '../db.js';
import { NotFoundError, ValidationError } from '../errors.js';
import { listPage, type Page, type PageOf, Params } from '../sql.js';
import type { Channel, RouteTarget } from './formats.js';
import type { RouteScope } from './match.js';

export interface NotificationRoute {
  id: string;
  name: string;
  channel: Channel;
  districtId: string | null;
  contractorId: string | null;
  minSeverity: Severity;
  enabled: boolean;
  targetHost: string;
  createdAt: Date;
}

export interface RouteInput {
  name: string;
  channel: Channel;
  url: string;
  secret?: string | null;
  districtId?: string | null;
  contractorId?: string | null;
  minSeverity?: Severity;
  enabled?: boolean;
}

export interface RoutePatch {
  name?: string;
  url?: string;
  secret?: string | null;
  minSeverity?: Severity;
  enabled?: boolean;
}

const MIN_WEBHOOK_SECRET = 16;

/** The route's target, checked; errors name the field and never echo the value. */
export function checkTarget(
  channel: Channel,
  url: string,
  secret: string | null,
): { target: RouteTarget; host: string } {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ValidationError('url', 'must be an http or https URL');
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new ValidationError('url', 'must be an http or https URL');
  }
  if (channel === 'webhook' && (secret === null || secret.length < MIN_WEBHOOK_SECRET)) {
    throw new ValidationError(
      'secret',
      `a webhook is signed: give a secret of at least ${MIN_WEBHOOK_SECRET} characters`,
    );
  }
  if (channel === 'wecom' && secret !== null) {
    throw new ValidationError('secret', 'a WeCom robot takes no secret: its key is in the URL');
  }
  return { target: { url, secret }, host: parsed.host };
}

const aad = (routeId: string) => `notification-route:${routeId}`;

export function sealTarget(vault: CredentialVault, routeId: string, target: RouteTarget): SealedCredentials {
  return vault.sealValue(aad(routeId), { u: target.url, s: target.secret });
}

export function openTarget(vault: CredentialVault, routeId: string, sealed: SealedCredentials): RouteTarget {
  const value = vault.openValue(aad(routeId), sealed, `notification route ${routeId}`) as {
    u: string;
    s: string | null;
  };
  return { url: value.u, secret: value.s };
}

const COLUMNS = `r.id, r.name, r.channel, r.district_id AS "districtId", r.contractor_id AS "contractorId",
  r.min_severity AS "minSeverity", r.enabled, r.target_host AS "targetHost", r.created_at AS "createdAt"`;

export async function listRoutes(q: Queryable, page: Page): Promise<PageOf<NotificationRoute>> {
  return listPage<NotificationRoute, NotificationRoute>(q, {
    select: COLUMNS,
    from: 'notification_routes r',
    where: [],
    orderBy: 'r.created_at, r.id',
    params: new Params(),
    page,
    map: (r) => r,
  });
}

export async function getRoute(q: Queryable, id: string): Promise<NotificationRoute> {
  const { rows } = await q.query<NotificationRoute>(
    `SELECT ${COLUMNS} FROM notification_routes r WHERE r.id = $1`,
    [id],
  );
  if (!rows[0]) throw new NotFoundError('notification route', id);
  return rows[0];
}

async function checkScope(q: Queryable, input: RouteInput): Promise<void> {
  if (input.districtId && input.contractorId) {
    throw new ValidationError(
      'contractorId',
      'a route is for a node of the tree or for a contractor, not both',
    );
  }
  if (input.districtId) {
    const { rows } = await q.query('SELECT 1 FROM districts WHERE id = $1', [input.districtId]);
    if (rows.length === 0) throw new ValidationError('districtId', `no district ${input.districtId}`);
  }
  if (input.contractorId) {
    const { rows } = await q.query('SELECT 1 FROM contractors WHERE id = $1', [input.contractorId]);
    if (rows.length === 0) throw new ValidationError('contractorId', `no contractor ${input.contractorId}`);
  }
}

export async function createRoute(
  db: Db,
  vault: CredentialVault,
  who: Principal,
  input: RouteInput,
): Promise<NotificationRoute> {
  const { target, host } = checkTarget(input.channel, input.url, input.secret ?? null);
  const id = randomUUID();
  const sealed = sealTarget(vault, id, target);
  return withTransaction(db, async (tx) => {
    await checkScope(tx, input);
    await tx.query(
      `INSERT INTO notification_routes (id, name, channel, district_id, contractor_id, min_severity, enabled,
                                        target_key_id, target_cipher, target_host)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
      [
        id,
        input.name,
        input.channel,
        input.districtId ?? null,
        input.contractorId ?? null,
        input.minSeverity ?? 'minor',
        input.enabled ?? true,
        sealed.keyId,
        sealed.cipher,
        host,
      ],
    );
    await audit(tx, who, 'create', 'notification_route', id, {
      channel: input.channel,
      targetHost: host,
      districtId: input.districtId ?? null,
      contractorId: input.contractorId ?? null,
    });
    return getRoute(tx, id);
  });
}

export async function updateRoute(
  db: Db,
  vault: CredentialVault,
  who: Principal,
  id: string,
  patch: RoutePatch,
): Promise<NotificationRoute> {
  return withTransaction(db, async (tx) => {
    const { rows } = await tx.query<{ channel: Channel; target_key_id: string; target_cipher: Buffer }>(
      'SELECT channel, target_key_id, target_cipher FROM notification_routes WHERE id = $1 FOR UPDATE',
      [id],
    );
    const row = rows[0];
    if (!row) throw new NotFoundError('notification route', id);
    const params = new Params();
    const sets: string[] = [];
    if (patch.name !== undefined) sets.push(`name = ${params.p(patch.name)}`);
    if (patch.minSeverity !== undefined) sets.push(`min_severity = ${params.p(patch.minSeverity)}`);
    if (patch.enabled !== undefined) sets.push(`enabled = ${params.p(patch.enabled)}`);
    const targetChanged = patch.url !== undefined || patch.secret !== undefined;
    if (targetChanged) {
      const old = openTarget(vault, id, { keyId: row.target_key_id, cipher: row.target_cipher });
      const secret = patch.secret === undefined ? old.secret : patch.secret;
      const { target, host } = checkTarget(row.channel, patch.url ?? old.url, secret);
      const sealed = sealTarget(vault, id, target);
      sets.push(
        `target_key_id = ${params.p(sealed.keyId)}`,
        `target_cipher = ${params.p(sealed.cipher)}`,
        `target_host = ${params.p(host)}`,
      );
    }
    if (sets.length > 0) {
      await tx.query(
        `UPDATE notification_routes SET ${sets.join(', ')} WHERE id = ${params.p(id)}`,
        params.values,
      );
    }
    const changed = Object.keys(patch).filter((k) => k !== 'url' && k !== 'secret');
    if (targetChanged) changed.push('target');
    await audit(tx, who, 'update', 'notification_route', id, { changed });
    return getRoute(tx, id);
  });
}

export async function deleteRoute(db: Db, who: Principal, id: string): Promise<void> {
  await withTransaction(db, async (tx) => {
    const { rowCount } = await tx.query('DELETE FROM notification_routes WHERE id = $1', [id]);
    if (rowCount === 0) throw new NotFoundError('notification route', id);
    await audit(tx, who, 'delete', 'notification_route', id);
  });
}

/** The enabled routes, for matching feed entries. */
export async function enabledRoutes(q: Queryable): Promise<RouteScope[]> {
  const { rows } = await q.query<RouteScope>(
    `SELECT id, district_id AS "districtId", contractor_id AS "contractorId", min_severity AS "minSeverity"
       FROM notification_routes WHERE enabled ORDER BY id`,
  );
  return rows;
}

export interface DeliveryRoute {
  id: string;
  channel: Channel;
  enabled: boolean;
  targetHost: string;
  target: RouteTarget;
}

/** A route with its target opened, for the worker; null when it was deleted. */
export async function routeForDelivery(
  q: Queryable,
  vault: CredentialVault,
  id: string,
): Promise<DeliveryRoute | null> {
  const { rows } = await q.query<{
    channel: Channel;
    enabled: boolean;
    target_host: string;
    target_key_id: string;
    target_cipher: Buffer;
  }>(
    'SELECT channel, enabled, target_host, target_key_id, target_cipher FROM notification_routes WHERE id = $1',
    [id],
  );
  const row = rows[0];
  if (!row) return null;
  return {
    id,
    channel: row.channel,
    enabled: row.enabled,
    targetHost: row.target_host,
    target: openTarget(vault, id, { keyId: row.target_key_id, cipher: row.target_cipher }),
  };
}

/** Re-seals every route target not sealed with the vault's current key (key rotation, `npm run rekey`). */
export async function resealRouteTargets(db: Db, vault: CredentialVault, batchSize = 500): Promise<number> {
  let total = 0;
  for (;;) {
    const done = await withTransaction(db, async (tx) => {
      const { rows } = await tx.query<{ id: string; target_key_id: string; target_cipher: Buffer }>(
        `SELECT id, target_key_id, target_cipher FROM notification_routes
          WHERE target_key_id <> $1 ORDER BY id LIMIT $2 FOR UPDATE`,
        [vault.currentKeyId, batchSize],
      );
      for (const row of rows) {
        const target = openTarget(vault, row.id, { keyId: row.target_key_id, cipher: row.target_cipher });
        const sealed = sealTarget(vault, row.id, target);
        await tx.query(
          'UPDATE notification_routes SET target_key_id = $2, target_cipher = $3 WHERE id = $1',
          [row.id, sealed.keyId, sealed.cipher],
        );
      }
      if (rows.length > 0)
        await audit(tx, null, 'reseal-targets', 'notification_route', null, { count: rows.length });
      return rows.length;
    });
    total += done;
    if (done < batchSize) return total;
  }
}
