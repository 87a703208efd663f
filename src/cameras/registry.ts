import { audit } from '../audit.js';
import type { Principal } from '../auth/policy.js';
import { cameraInScope } from '../auth/scope.js';
import { type Db, type DbClient, type Queryable, withTransaction } from '../db.js';
import { ConflictError, NotFoundError, ValidationError } from '../errors.js';
import { definedOnly, requireNode } from '../governance/districts.js';
import { invalidateDays } from '../health/rollup-repo.js';
import { likePattern, listPage, type Page, Params } from '../sql.js';
import type { CameraCredentials, CredentialVault } from './credential-vault.js';
import { checkEndpointUrl, ONVIF_PROTOCOLS, RTSP_PROTOCOLS } from './endpoint-rules.js';
import { checkCameraGbCode } from './gb-code.js';
import { type ProfileSet, streamUrlsFor } from './profiles.js';

export type PlaceClass = 'town_seat' | 'village';

export interface PathNode {
  id: string;
  kind: string;
  name: string;
}

export interface Camera {
  id: string;
  name: string;
  siteId: string;
  /** county → … → site */
  path: PathNode[];
  gbCode: string;
  vendor: string;
  model: string | null;
  ip: string | null;
  onvifUrl: string | null;
  rtspMainUrl: string | null;
  rtspSubUrl: string | null;
  lat: number | null;
  lon: number | null;
  placeClass: PlaceClass;
  sessionLimit: number;
  hasCredentials: boolean;
  commissionedAt: Date;
  retiredAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

interface CameraRow {
  id: string;
  name: string;
  site_id: string;
  path: PathNode[];
  gb_code: string;
  vendor: string;
  model: string | null;
  ip: string | null;
  onvif_url: string | null;
  rtsp_main_url: string | null;
  rtsp_sub_url: string | null;
  lat: number | null;
  lon: number | null;
  place_class: PlaceClass;
  session_limit: number;
  has_credentials: boolean;
  commissioned_at: Date;
  retired_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

const COLUMNS = `c.id, c.name, c.site_id, c.gb_code, c.vendor, c.model, host(c.ip) AS ip, c.onvif_url,
  c.rtsp_main_url, c.rtsp_sub_url, c.lat, c.lon, c.place_class, c.session_limit,
  c.credential_cipher IS NOT NULL AS has_credentials, c.commissioned_at, c.retired_at, c.created_at, c.updated_at,
  (SELECT json_agg(json_build_object('id', a.id, 'kind', a.kind, 'name', a.name) ORDER BY cardinality(a.ancestors))
     FROM districts site JOIN districts a ON a.id = ANY (site.ancestors) WHERE site.id = c.site_id) AS path`;

/** Contractors maintain cameras but never watch them: stream and ONVIF addresses are withheld from them. */
function toCamera(r: CameraRow, who: Principal): Camera {
  const streams = who.role !== 'contractor';
  return {
    id: r.id,
    name: r.name,
    siteId: r.site_id,
    path: r.path ?? [],
    gbCode: r.gb_code,
    vendor: r.vendor,
    model: r.model,
    ip: r.ip,
    onvifUrl: streams ? r.onvif_url : null,
    rtspMainUrl: streams ? r.rtsp_main_url : null,
    rtspSubUrl: streams ? r.rtsp_sub_url : null,
    lat: r.lat,
    lon: r.lon,
    placeClass: r.place_class,
    sessionLimit: r.session_limit,
    hasCredentials: r.has_credentials,
    commissionedAt: r.commissioned_at,
    retiredAt: r.retired_at,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

export interface CameraFilter {
  under?: string;
  siteId?: string;
  vendor?: string;
  status?: 'active' | 'retired' | 'all';
  q?: string;
}

export interface CameraScope {
  timeZone: string;
}

export async function listCameras(
  db: Queryable,
  who: Principal,
  scope: CameraScope,
  filter: CameraFilter,
  page: Page,
) {
  const params = new Params();
  const where = [cameraInScope(who, 'c.site_id', params, scope.timeZone)];
  if (filter.under) {
    where.push(
      `EXISTS (SELECT 1 FROM districts u WHERE u.id = c.site_id AND u.ancestors @> ARRAY[${params.p(filter.under)}::uuid])`,
    );
  }
  if (filter.siteId) where.push(`c.site_id = ${params.p(filter.siteId)}`);
  if (filter.vendor) where.push(`c.vendor = ${params.p(filter.vendor)}`);
  const status = filter.status ?? 'active';
  if (status === 'active') where.push('c.retired_at IS NULL');
  if (status === 'retired') where.push('c.retired_at IS NOT NULL');
  if (filter.q) {
    const like = params.p(likePattern(filter.q));
    where.push(`(c.name ILIKE ${like} OR c.gb_code LIKE ${like} OR host(c.ip) LIKE ${like})`);
  }
  return listPage<CameraRow, Camera>(db, {
    select: COLUMNS,
    from: 'cameras c',
    where,
    orderBy: 'c.gb_code',
    params,
    page,
    map: (r) => toCamera(r, who),
  });
}

export async function getCamera(
  db: Queryable,
  who: Principal,
  scope: CameraScope,
  id: string,
): Promise<Camera> {
  const params = new Params();
  const { rows } = await db.query<CameraRow>(
    `SELECT ${COLUMNS} FROM cameras c WHERE c.id = ${params.p(id)} AND ${cameraInScope(who, 'c.site_id', params, scope.timeZone)}`,
    params.values,
  );
  if (!rows[0]) throw new NotFoundError('camera', id);
  return toCamera(rows[0], who);
}

export interface CameraInput {
  name: string;
  siteId: string;
  gbCode: string;
  vendor?: string;
  model?: string | null;
  ip?: string | null;
  onvifUrl?: string | null;
  rtspMainUrl?: string | null;
  rtspSubUrl?: string | null;
  lat?: number | null;
  lon?: number | null;
  placeClass?: PlaceClass;
  sessionLimit?: number;
  commissionedAt?: string;
  credentials?: CameraCredentials | null;
}

function checkInput(input: Partial<CameraInput>): void {
  if (input.gbCode !== undefined) {
    const check = checkCameraGbCode(input.gbCode);
    if (!check.ok) throw new ValidationError('gbCode', check.reason);
  }
  const urls: [keyof CameraInput, readonly string[]][] = [
    ['onvifUrl', ONVIF_PROTOCOLS],
    ['rtspMainUrl', RTSP_PROTOCOLS],
    ['rtspSubUrl', RTSP_PROTOCOLS],
  ];
  for (const [field, protocols] of urls) {
    const value = input[field];
    if (typeof value === 'string') {
      const check = checkEndpointUrl(value, protocols);
      if (!check.ok) throw new ValidationError(field, check.reason);
    }
  }
}

/** The vendor's profile; a vendor without one is refused. Without `profiles` nothing is checked. */
function profileOf(profiles: ProfileSet | undefined, vendor: string | undefined) {
  if (!profiles || vendor === undefined) return undefined;
  const profile = profiles.get(vendor);
  if (!profile) {
    throw new ValidationError('vendor', `no camera profile '${vendor}'; known: ${profiles.names.join(', ')}`);
  }
  return profile;
}

/** Fills in the URLs not given from the vendor's profile when the camera has an ip (camera-profiles/README.md). */
function withProfileUrls(input: CameraInput, profiles: ProfileSet | undefined): CameraInput {
  const explicit = profileOf(profiles, input.vendor);
  const profile = explicit ?? profiles?.get('generic-onvif'); // the column's default vendor
  if (!profile || !input.ip) return input;
  const urls = streamUrlsFor(profile, { host: input.ip });
  const fillRtsp =
    !profile.rtsp?.perCamera && input.rtspMainUrl === undefined && input.rtspSubUrl === undefined;
  return {
    ...input,
    ...(fillRtsp && urls.main !== null ? { rtspMainUrl: urls.main, rtspSubUrl: urls.sub } : {}),
    ...(input.onvifUrl === undefined && urls.onvif !== null ? { onvifUrl: urls.onvif } : {}),
  };
}

async function assertGbCodeFree(tx: DbClient, gbCode: string, exceptId: string | null): Promise<void> {
  const { rows } = await tx.query('SELECT 1 FROM cameras WHERE gb_code = $1 AND id IS DISTINCT FROM $2', [
    gbCode,
    exceptId,
  ]);
  if (rows.length > 0) throw new ConflictError(`a camera with GB/T 28181 code ${gbCode} exists`, 'gbCode');
}

export async function createCamera(
  db: Db,
  vault: CredentialVault,
  who: Principal,
  scope: CameraScope,
  given: CameraInput,
  profiles?: ProfileSet,
): Promise<Camera> {
  const input = withProfileUrls(given, profiles);
  checkInput(input);
  return withTransaction(db, async (tx) => {
    await requireNode(tx, who, 'siteId', input.siteId, ['site']);
    await assertGbCodeFree(tx, input.gbCode, null);
    const { rows } = await tx.query<{ id: string }>('SELECT gen_random_uuid() AS id');
    const id = (rows[0] as { id: string }).id;
    const sealed = input.credentials ? vault.seal(id, input.credentials) : null;
    await tx.query(
      `INSERT INTO cameras (id, name, site_id, gb_code, vendor, model, ip, onvif_url, rtsp_main_url, rtsp_sub_url,
                            lat, lon, place_class, session_limit, commissioned_at, credential_key_id, credential_cipher)
       VALUES ($1, $2, $3, $4, COALESCE($5, 'generic-onvif'), $6, $7, $8, $9, $10, $11, $12,
               COALESCE($13, 'village')::place_class, COALESCE($14, 4), COALESCE($15::timestamptz, now()), $16, $17)`,
      [
        id,
        input.name,
        input.siteId,
        input.gbCode,
        input.vendor ?? null,
        input.model ?? null,
        input.ip ?? null,
        input.onvifUrl ?? null,
        input.rtspMainUrl ?? null,
        input.rtspSubUrl ?? null,
        input.lat ?? null,
        input.lon ?? null,
        input.placeClass ?? null,
        input.sessionLimit ?? null,
        input.commissionedAt ?? null,
        sealed?.keyId ?? null,
        sealed?.cipher ?? null,
      ],
    );
    // commissioned in the past: the days already rolled up did not count it
    if (input.commissionedAt) await invalidateDays(tx, id, new Date(input.commissionedAt), new Date());
    await audit(tx, who, 'create', 'camera', id, {
      gbCode: input.gbCode,
      credentials: sealed ? 'set' : 'none',
    });
    return getCamera(tx, who, scope, id);
  });
}

export type CameraPatch = Partial<Omit<CameraInput, 'commissionedAt'>>;

export async function updateCamera(
  db: Db,
  vault: CredentialVault,
  who: Principal,
  scope: CameraScope,
  id: string,
  patch: CameraPatch,
  profiles?: ProfileSet,
): Promise<Camera> {
  checkInput(patch);
  profileOf(profiles, patch.vendor);
  return withTransaction(db, async (tx) => {
    const current = await getCamera(tx, who, scope, id);
    if (patch.siteId !== undefined) await requireNode(tx, who, 'siteId', patch.siteId, ['site']);
    if (patch.gbCode !== undefined) await assertGbCodeFree(tx, patch.gbCode, id);
    const { credentials, ...fields } = patch;
    const next = { ...current, ...definedOnly(fields) };
    if (next.siteId !== current.siteId) {
      // figures follow the tree as it stands: the old and new sites' past days are counted again
      await invalidateDays(tx, id, current.commissionedAt, new Date());
    }
    await tx.query(
      `UPDATE cameras SET name = $2, site_id = $3, gb_code = $4, vendor = $5, model = $6, ip = $7, onvif_url = $8,
              rtsp_main_url = $9, rtsp_sub_url = $10, lat = $11, lon = $12, place_class = $13, session_limit = $14
        WHERE id = $1`,
      [
        id,
        next.name,
        next.siteId,
        next.gbCode,
        next.vendor,
        next.model,
        next.ip,
        next.onvifUrl,
        next.rtspMainUrl,
        next.rtspSubUrl,
        next.lat,
        next.lon,
        next.placeClass,
        next.sessionLimit,
      ],
    );
    if (credentials !== undefined) {
      const sealed = credentials ? vault.seal(id, credentials) : null;
      await tx.query('UPDATE cameras SET credential_key_id = $2, credential_cipher = $3 WHERE id = $1', [
        id,
        sealed?.keyId ?? null,
        sealed?.cipher ?? null,
      ]);
    }
    const changed = Object.keys(definedOnly(patch)).map((k) => (k === 'credentials' ? 'credentials' : k));
    await audit(tx, who, 'update', 'camera', id, { fields: changed });
    return getCamera(tx, who, scope, id);
  });
}

/** Cameras are retired, not deleted: their history stays in the availability ledger. */
export async function retireCamera(db: Db, who: Principal, scope: CameraScope, id: string): Promise<void> {
  await withTransaction(db, async (tx) => {
    const camera = await getCamera(tx, who, scope, id);
    if (camera.retiredAt) throw new ConflictError(`camera ${id} is already retired`);
    await tx.query('UPDATE cameras SET retired_at = greatest(now(), commissioned_at) WHERE id = $1', [id]);
    await audit(tx, who, 'retire', 'camera', id);
  });
}

/** The camera's credentials in the clear, for the protocol clients only — never for a response or a log. */
export async function openCameraCredentials(
  db: Queryable,
  vault: CredentialVault,
  cameraId: string,
): Promise<CameraCredentials | null> {
  const { rows } = await db.query<{ credential_key_id: string | null; credential_cipher: Buffer | null }>(
    'SELECT credential_key_id, credential_cipher FROM cameras WHERE id = $1',
    [cameraId],
  );
  const row = rows[0];
  if (!row) throw new NotFoundError('camera', cameraId);
  if (!row.credential_key_id || !row.credential_cipher) return null;
  return vault.open(cameraId, { keyId: row.credential_key_id, cipher: row.credential_cipher });
}

/**
 * Re-seals every camera's credentials that are not under the vault's current key, in batches, so the key can be
 * rotated while the service runs. Returns how many rows were re-sealed.
 */
export async function resealCredentials(db: Db, vault: CredentialVault, batchSize = 500): Promise<number> {
  let total = 0;
  for (;;) {
    const done = await withTransaction(db, async (tx) => {
      const { rows } = await tx.query<{ id: string; credential_key_id: string; credential_cipher: Buffer }>(
        `SELECT id, credential_key_id, credential_cipher FROM cameras
          WHERE credential_key_id IS NOT NULL AND credential_key_id <> $1
          ORDER BY id LIMIT $2 FOR UPDATE`,
        [vault.currentKeyId, batchSize],
      );
      for (const row of rows) {
        const plain = vault.open(row.id, { keyId: row.credential_key_id, cipher: row.credential_cipher });
        const sealed = vault.seal(row.id, plain);
        await tx.query('UPDATE cameras SET credential_key_id = $2, credential_cipher = $3 WHERE id = $1', [
          row.id,
          sealed.keyId,
          sealed.cipher,
        ]);
      }
      if (rows.length > 0)
        await audit(tx, null, 'reseal-credentials', 'camera', null, { count: rows.length });
      return rows.length;
    });
    total += done;
    if (done < batchSize) return total;
  }
}
