import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { getCamera } from '../../cameras/registry.js';
import { inventoryFlags } from '../../inventory/findings.js';
import { lastInventory, recentChanges } from '../../inventory/inventory-repo.js';
import type { Deps } from '../deps.js';
import { allow, principalOf } from '../guard.js';
import { errorReplies, IdParams, NullableTimestamp, Timestamp } from '../schemas/common.js';

const NullableString = Type.Union([Type.String(), Type.Null()]);

const InventoryReply = Type.Object({
  polledAt: NullableTimestamp,
  ok: Type.Union([Type.Boolean(), Type.Null()]),
  error: NullableString,
  manufacturer: NullableString,
  model: NullableString,
  firmwareVersion: NullableString,
  serialNumber: NullableString,
  hardwareId: NullableString,
  mainStreamUri: NullableString,
  subStreamUri: NullableString,
  snapshotUri: NullableString,
  clockOffsetSeconds: Type.Union([Type.Number(), Type.Null()]),
  osdTexts: Type.Union([Type.Array(Type.String()), Type.Null()]),
  partErrors: Type.Record(Type.String(), Type.String()),
  flags: Type.Object({ clockDrift: Type.Boolean(), osdMismatch: Type.Boolean() }),
  changes: Type.Array(
    Type.Object({ at: Timestamp, field: Type.String(), oldValue: NullableString, newValue: NullableString }),
  ),
});

/** What ONVIF last reported of a camera, its compliance flags (clock, label) and what changed lately. */
export function inventoryRoutes({ db, config }: Deps): FastifyPluginAsyncTypebox {
  const scope = { timeZone: config.timeZone };
  return async (app) => {
    app.get(
      '/cameras/:id/inventory',
      {
        onRequest: allow('inventory', 'read'),
        schema: { tags: ['cameras'], params: IdParams, response: { 200: InventoryReply, ...errorReplies } },
      },
      async (req) => {
        const who = principalOf(req);
        const camera = await getCamera(db, who, scope, req.params.id);
        const inv = await lastInventory(db, camera.id);
        const changes = await recentChanges(db, camera.id);
        const streams = who.role !== 'contractor';
        const flags = inv?.ok
          ? inventoryFlags(inv, camera.name, config.onvif.clockDriftThresholdSeconds)
          : { clockDrift: false, osdMismatch: false };
        return {
          polledAt: inv?.polledAt ?? null,
          ok: inv?.ok ?? null,
          error: inv?.error ?? null,
          manufacturer: inv?.manufacturer ?? null,
          model: inv?.model ?? null,
          firmwareVersion: inv?.firmwareVersion ?? null,
          serialNumber: inv?.serialNumber ?? null,
          hardwareId: inv?.hardwareId ?? null,
          mainStreamUri: streams ? (inv?.mainStreamUri ?? null) : null,
          subStreamUri: streams ? (inv?.subStreamUri ?? null) : null,
          snapshotUri: streams ? (inv?.snapshotUri ?? null) : null,
          clockOffsetSeconds: inv?.clockOffsetSeconds ?? null,
          osdTexts: inv?.osdTexts ?? null,
          partErrors: inv?.partErrors ?? {},
          flags,
          changes: streams ? changes : changes.filter((c) => !c.field.endsWith('stream_uri')),
        };
      },
    );
  };
}
