import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import ExcelJS from 'exceljs';
import { Type } from 'typebox';
import type { Principal } from '../../auth/policy.js';
import { cameraInScope, placeInScope } from '../../auth/scope.js';
import type { Queryable } from '../../db.js';
import { ValidationError } from '../../errors.js';
import { Params } from '../../sql.js';
import type { Deps } from '../deps.js';
import { allow, principalOf } from '../guard.js';
import { errorReplies, StringEnum, Timestamp, Uuid } from '../schemas/common.js';

const DAY = 86_400_000;
const MAX_DAYS = 400;
const NullableTimestamp = Type.Union([Timestamp, Type.Null()]);

const DownRow = Type.Object({
  incidentId: Uuid,
  occurredAt: Timestamp,
  type: Type.String(),
  title: Type.String(),
  place: Type.String(),
  cameraId: Uuid,
  cameraName: Type.String(),
  state: Type.String({
    description: 'the camera’s state at the time: offline, degraded, maintenance or unknown',
  }),
  reason: Type.Union([Type.String(), Type.Null()]),
  since: NullableTimestamp,
  until: NullableTimestamp,
});
type DownRow = {
  incidentId: string;
  occurredAt: Date;
  type: string;
  title: string;
  place: string;
  cameraId: string;
  cameraName: string;
  state: string;
  reason: string | null;
  since: Date | null;
  until: Date | null;
};

/**
 * The incidents of [from, to) whose linked cameras were not effective when they happened: one row per such
 * camera, with the state it was in (unknown: nothing recorded then). Within the caller's scope, for both the
 * incident's place and the camera.
 */
export async function incidentsWithCamerasDown(
  db: Queryable,
  who: Principal,
  window: { from: Date; to: Date },
  timeZone: string,
): Promise<DownRow[]> {
  const params = new Params();
  const { rows } = await db.query<DownRow>(
    `SELECT i.id AS "incidentId", i.occurred_at AS "occurredAt", i.type, i.title, d.name AS place,
            c.id AS "cameraId", c.name AS "cameraName", COALESCE(s.state, 'unknown') AS state, s.reason,
            s.from_at AS since, s.to_at AS until
       FROM incidents i
       JOIN districts d ON d.id = i.district_id
       JOIN incident_cameras ic ON ic.incident_id = i.id
       JOIN cameras c ON c.id = ic.camera_id
       LEFT JOIN LATERAL (
         SELECT si.state, si.reason, si.from_at, si.to_at FROM state_intervals si
          WHERE si.camera_id = c.id AND si.from_at <= i.occurred_at
            AND (si.to_at IS NULL OR si.to_at > i.occurred_at)
          ORDER BY si.from_at DESC LIMIT 1
       ) s ON TRUE
      WHERE i.occurred_at >= ${params.p(window.from)} AND i.occurred_at < ${params.p(window.to)}
        AND ${placeInScope(who, 'i.district_id', params)}
        AND ${cameraInScope(who, 'c.site_id', params, timeZone)}
        AND COALESCE(s.state, 'unknown') <> 'online'
      ORDER BY i.occurred_at DESC, i.id, c.name`,
    params.values,
  );
  return rows;
}

const COLUMNS: { key: keyof DownRow; header: string }[] = [
  { key: 'occurredAt', header: '发生时间' },
  { key: 'type', header: '类型' },
  { key: 'title', header: '警情' },
  { key: 'place', header: '地点' },
  { key: 'cameraName', header: '摄像机' },
  { key: 'state', header: '当时状态' },
  { key: 'reason', header: '原因' },
  { key: 'since', header: '故障开始' },
  { key: 'until', header: '故障结束' },
];

function csvOf(rows: DownRow[]): string {
  const cell = (v: unknown) => {
    if (v === null || v === undefined) return '';
    const text = v instanceof Date ? v.toISOString() : String(v);
    return /[",\r\n]/.test(text) || /^[=+\-@]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
  };
  const lines = [COLUMNS.map((c) => c.header).join(',')];
  for (const r of rows) lines.push(COLUMNS.map((c) => cell(r[c.key])).join(','));
  return `\uFEFF${lines.join('\r\n')}\r\n`;
}

async function xlsxOf(rows: DownRow[]): Promise<Buffer> {
  const book = new ExcelJS.Workbook();
  book.creator = 'Xueliang';
  const sheet = book.addWorksheet('警情时摄像机故障');
  sheet.columns = COLUMNS.map((c) => ({
    header: c.header,
    key: c.key,
    width: 20,
    style:
      c.key === 'occurredAt' || c.key === 'since' || c.key === 'until' ? { numFmt: 'yyyy-mm-dd hh:mm' } : {},
  }));
  sheet.getRow(1).font = { bold: true };
  for (const r of rows) sheet.addRow(r);
  return Buffer.from(await book.xlsx.writeBuffer());
}

/** Server-side exports: the same rows as JSON, CSV (UTF-8 with BOM) or XLSX, each within the caller's scope. */
export function exportRoutes({ db, config }: Deps): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.get(
      '/exports/incidents-cameras-down',
      {
        onRequest: allow('incidents', 'read'),
        schema: {
          tags: ['reports'],
          description:
            'Incidents that happened in [from, to) (default: the last 30 days) while a camera linked to them was ' +
            'not effective, one row per such camera; format json (default), csv or xlsx',
          querystring: Type.Object(
            {
              from: Type.Optional(Type.String({ format: 'date-time' })),
              to: Type.Optional(Type.String({ format: 'date-time' })),
              format: Type.Optional(StringEnum(['json', 'csv', 'xlsx'] as const)),
            },
            { additionalProperties: false },
          ),
          response: {
            200: Type.Union([
              Type.Object({ from: Timestamp, to: Timestamp, rows: Type.Array(DownRow) }),
              Type.Unsafe<Buffer | string>({ type: 'string', format: 'binary' }),
            ]),
            ...errorReplies,
          },
        },
      },
      async (req, reply) => {
        const to = req.query.to ? new Date(req.query.to) : new Date();
        const from = req.query.from ? new Date(req.query.from) : new Date(to.getTime() - 30 * DAY);
        if (to <= from) throw new ValidationError('to', 'must be after from');
        if (to.getTime() - from.getTime() > MAX_DAYS * DAY)
          throw new ValidationError('to', `a window spans at most ${MAX_DAYS} days`);
        const rows = await incidentsWithCamerasDown(db, principalOf(req), { from, to }, config.timeZone);
        const name = `incidents-cameras-down-${from.toISOString().slice(0, 10)}`;
        if (req.query.format === 'csv') {
          return reply
            .type('text/csv; charset=utf-8')
            .header('content-disposition', `attachment; filename="${name}.csv"`)
            .send(csvOf(rows));
        }
        if (req.query.format === 'xlsx') {
          return reply
            .type('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet')
            .header('content-disposition', `attachment; filename="${name}.xlsx"`)
            .send(await xlsxOf(rows));
        }
        return { from, to, rows };
      },
    );
  };
}
