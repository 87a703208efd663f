import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { getCamera } from '../../cameras/registry.js';
import { NotFoundError, ValidationError } from '../../errors.js';
import { getDistrict } from '../../governance/districts.js';
import { gapToTarget, rates } from '../../health/availability.js';
import { currentStates } from '../../health/availability-repo.js';
import type { Bounds } from '../../health/calendar.js';
import { cameraLayers, type RecentResult } from '../../health/layers.js';
import { readHealth } from '../../health/ledger-repo.js';
import { liveShares } from '../../health/live-shares.js';
import { nodeCameraFigures } from '../../health/node-camera-figures.js';
import { nodeFigures } from '../../health/node-figures.js';
import { RANKING_KINDS } from '../../health/ranking.js';
import { availabilityRanking } from '../../health/ranking-repo.js';
import { EFFECTIVE_TARGET } from '../../health/types.js';
import type { Deps } from '../deps.js';
import { allow, principalOf } from '../guard.js';
import {
  errorReplies,
  IdParams,
  NullableTimestamp,
  NullableUuid,
  StringEnum,
  Timestamp,
  Uuid,
} from '../schemas/common.js';
import { Figures, Rate } from '../schemas/figures.js';

/** The county's rule: 视频监控设施有效率 ≥ 95%. */
const MAX_WINDOW_DAYS = 400;
/** A layer of a camera's health as last seen (ok null: not known yet) */
const LayerShape = {
  ok: Type.Union([Type.Boolean(), Type.Null()]),
  outcome: Type.Union([Type.String(), Type.Null()]),
  at: NullableTimestamp,
};

const WindowQuery = Type.Object(
  {
    nodeId: Uuid,
    from: Type.String({ format: 'date-time' }),
    to: Type.String({ format: 'date-time' }),
  },
  { additionalProperties: false },
);

const RankingQuery = Type.Object(
  {
    kind: StringEnum(RANKING_KINDS, 'town: the towns and townships; police_district: the police districts'),
    from: Type.String({ format: 'date-time' }),
    to: Type.String({ format: 'date-time' }),
  },
  { additionalProperties: false },
);

function windowOf(q: { from: string; to: string }): Bounds {
  const from = new Date(q.from);
  const to = new Date(q.to);
  if (to <= from) throw new ValidationError('to', 'must be after from');
  if (to.getTime() - from.getTime() > MAX_WINDOW_DAYS * 86_400_000) {
    throw new ValidationError('to', `a window spans at most ${MAX_WINDOW_DAYS} days`);
  }
  return { from, to };
}

export function availabilityRoutes({ db, config }: Deps): FastifyPluginAsyncTypebox {
  const scope = { timeZone: config.timeZone };
  return async (app) => {
    const tags = ['availability'];
    const read = allow('availability', 'read');

    app.get(
      '/availability',
      {
        onRequest: read,
        schema: {
          tags,
          description:
            'Online rate (在线率) and effective rate (有效率, held to 95%) of a node of the tree over a window',
          querystring: WindowQuery,
          response: {
            200: Type.Object({
              nodeId: Uuid,
              from: Timestamp,
              to: Timestamp,
              cameras: Type.Integer(),
              target: Type.Number(),
              meetsTarget: Type.Union([Type.Boolean(), Type.Null()]),
              figures: Figures,
              byDay: Type.Array(Type.Object({ day: Type.String(), figures: Figures })),
            }),
            ...errorReplies,
          },
        },
      },
      async (req) => {
        await getDistrict(db, principalOf(req), req.query.nodeId);
        const window = windowOf(req.query);
        const now = new Date();
        // whole past days from the daily rollups, the rest exactly from the ledger: the same figures
        const {
          cameras,
          total,
          byDay: days,
        } = await nodeFigures(db, req.query.nodeId, window, now, config.timeZone);
        const byDay = days.map(({ day, figures }) => ({ day, figures: { ...figures, ...rates(figures) } }));
        const r = rates(total);
        return {
          nodeId: req.query.nodeId,
          from: window.from,
          to: window.to,
          cameras,
          target: EFFECTIVE_TARGET,
          meetsTarget: r.effectiveRate === null ? null : r.effectiveRate >= EFFECTIVE_TARGET,
          figures: { ...total, ...r },
          byDay,
        };
      },
    );

    app.get(
      '/availability/ranking',
      {
        onRequest: read,
        schema: {
          tags,
          description:
            'Every node of a level of the tree in your scope with its figures over a window (those GET /availability gives it), worst effective rate first, nodes with nothing scheduled last',
          querystring: RankingQuery,
          response: {
            200: Type.Object({
              kind: Type.String(),
              from: Timestamp,
              to: Timestamp,
              target: Type.Number(),
              rows: Type.Array(
                Type.Object({
                  nodeId: Uuid,
                  kind: Type.String(),
                  name: Type.String(),
                  parentId: NullableUuid,
                  parentName: Type.Union([Type.String(), Type.Null()]),
                  cameras: Type.Integer(),
                  meetsTarget: Type.Union([Type.Boolean(), Type.Null()]),
                  figures: Figures,
                }),
              ),
            }),
            ...errorReplies,
          },
        },
      },
      async (req) => {
        const window = windowOf(req.query);
        const rows = await availabilityRanking(db, principalOf(req), req.query.kind, window, {
          now: new Date(),
          timeZone: config.timeZone,
          target: EFFECTIVE_TARGET,
        });
        return { kind: req.query.kind, from: window.from, to: window.to, target: EFFECTIVE_TARGET, rows };
      },
    );

    app.get(
      '/availability/gap',
      {
        onRequest: read,
        schema: {
          tags,
          description: 'The fewest cameras whose repair would lift the node over 95% in the window',
          querystring: WindowQuery,
          response: {
            200: Type.Object({
              rate: Rate,
              rateAfterFixes: Rate,
              reached: Type.Boolean(),
              fixes: Type.Array(Type.Object({ cameraId: Uuid, name: Type.String(), lostMs: Type.Number() })),
            }),
            ...errorReplies,
          },
        },
      },
      async (req) => {
        await getDistrict(db, principalOf(req), req.query.nodeId);
        const window = windowOf(req.query);
        const cameras = await nodeCameraFigures(db, req.query.nodeId, window, new Date(), config.timeZone);
        const gap = gapToTarget(cameras, EFFECTIVE_TARGET);
        const byId = new Map(cameras.map((c) => [c.id, c]));
        return {
          ...gap,
          fixes: gap.fixes.map((id) => {
            const c = byId.get(id);
            return {
              cameraId: id,
              name: c?.name ?? '',
              lostMs: (c?.scheduledMs ?? 0) - (c?.effectiveMs ?? 0),
            };
          }),
        };
      },
    );

    app.get(
      '/availability/live',
      {
        onRequest: read,
        schema: {
          tags,
          description:
            'Right now: the share of scheduled cameras that are effective, and the cameras by state',
          querystring: Type.Object({ nodeId: Uuid }, { additionalProperties: false }),
          response: {
            200: Type.Object({
              effectiveShare: Rate,
              byState: Type.Record(Type.String(), Type.Integer()),
            }),
            ...errorReplies,
          },
        },
      },
      async (req) => {
        await getDistrict(db, principalOf(req), req.query.nodeId);
        const states = await currentStates(db, req.query.nodeId);
        const byState: Record<string, number> = {};
        for (const s of states) byState[s.state] = (byState[s.state] ?? 0) + s.n;
        return { effectiveShare: liveShares(states).effective, byState };
      },
    );

    app.get(
      '/cameras/:id/health',
      {
        onRequest: allow('cameras', 'read'),
        schema: {
          tags: ['cameras'],
          params: IdParams,
          response: {
            200: Type.Object({
              state: Type.String(),
              reason: Type.Union([Type.String(), Type.Null()]),
              since: NullableTimestamp,
              flapping: Type.Boolean(),
              lastResultAt: NullableTimestamp,
              recent: Type.Array(
                Type.Object({
                  at: Timestamp,
                  kind: Type.String(),
                  handshake: Type.String(),
                  status: Type.Union([Type.Integer(), Type.Null()]),
                  connectMs: Type.Union([Type.Number(), Type.Null()]),
                  rtspMs: Type.Union([Type.Number(), Type.Null()]),
                  stream: Type.Union([Type.Record(Type.String(), Type.Unknown()), Type.Null()]),
                  picture: Type.Union([Type.Record(Type.String(), Type.Unknown()), Type.Null()]),
                  onvifPort: Type.Union([Type.Record(Type.String(), Type.Unknown()), Type.Null()]),
                }),
              ),
              layers: Type.Object({
                network: Type.Object({ ...LayerShape, onvifPort: Type.Object(LayerShape) }),
                signalling: Type.Object(LayerShape),
                stream: Type.Object(LayerShape),
                picture: Type.Object(LayerShape),
                compliance: Type.Object({ ...LayerShape, faults: Type.Array(Type.String()) }),
              }),
              history: Type.Array(
                Type.Object({
                  from: Timestamp,
                  to: NullableTimestamp,
                  state: Type.String(),
                  reason: Type.Union([Type.String(), Type.Null()]),
                }),
              ),
            }),
            ...errorReplies,
          },
        },
      },
      async (req) => {
        const camera = await getCamera(db, principalOf(req), scope, req.params.id);
        const health = await readHealth(db, camera.id);
        const { rows: recent } = await db.query(
          `SELECT probed_at AS at, kind, handshake, status, connect_ms AS "connectMs", rtsp_ms AS "rtspMs", stream,
                  picture, onvif_port AS "onvifPort"
             FROM probe_results WHERE camera_id = $1 ORDER BY slot_at DESC LIMIT 20`,
          [camera.id],
        );
        const { rows: history } = await db.query(
          `SELECT from_at AS "from", to_at AS "to", state, reason FROM state_intervals
            WHERE camera_id = $1 ORDER BY from_at DESC LIMIT 50`,
          [camera.id],
        );
        return {
          state: health?.state ?? 'unknown',
          reason: health?.reason ?? null,
          since: health?.since ?? null,
          flapping: health?.flapping ?? false,
          lastResultAt: health?.lastResultAt ?? null,
          recent,
          layers: cameraLayers(recent as RecentResult[], health),
          history,
        };
      },
    );

    app.get(
      '/cameras/:id/snapshot',
      {
        onRequest: allow('cameras', 'read'),
        schema: {
          tags: ['cameras'],
          description: 'The last picture the picture layer took of the camera (JPEG)',
          params: IdParams,
          response: { 200: Type.Unsafe<Buffer>({ type: 'string', format: 'binary' }), ...errorReplies },
        },
      },
      async (req, reply) => {
        const camera = await getCamera(db, principalOf(req), scope, req.params.id);
        const { rows } = await db.query<{ jpeg: Buffer; taken_at: Date }>(
          'SELECT jpeg, taken_at FROM camera_snapshots WHERE camera_id = $1',
          [camera.id],
        );
        if (!rows[0]) throw new NotFoundError('snapshot of camera', camera.id);
        return reply
          .header('content-type', 'image/jpeg')
          .header('last-modified', rows[0].taken_at.toUTCString())
          .header('cache-control', 'private, max-age=30')
          .send(rows[0].jpeg);
      },
    );
  };
}
