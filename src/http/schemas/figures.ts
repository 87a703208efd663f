import { Type } from 'typebox';
import { Uuid } from './common.js';

/** A share 0..1, or null when nothing was scheduled. */
export const Rate = Type.Union([Type.Number(), Type.Null()]);
export const NullableNumber = Type.Union([Type.Number(), Type.Null()]);

/** A node's availability over a window: time buckets in ms and the two rates (GET /availability). */
export const Figures = Type.Object({
  scheduledMs: Type.Number(),
  onlineMs: Type.Number(),
  effectiveMs: Type.Number(),
  maintenanceMs: Type.Number(),
  externalCauseMs: Type.Number(),
  gapMs: Type.Number(),
  unknownMs: Type.Number(),
  onlineRate: Rate,
  effectiveRate: Rate,
});

/** One contractor's tickets over a period (GET /reports/contractors). */
export const ContractorRow = Type.Object({
  contractorId: Uuid,
  contractorName: Type.String(),
  opened: Type.Integer(),
  closed: Type.Integer(),
  stillOpen: Type.Integer(),
  metSla: Type.Integer(),
  breached: Type.Integer(),
  meanMinutesToAcknowledge: NullableNumber,
  meanMinutesToRepair: NullableNumber,
  externalCauseHours: Type.Number(),
});
