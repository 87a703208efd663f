/** The shapes of the API answers the bureau dashboard reads. */
export interface Figures {
  scheduledMs: number;
  effectiveMs: number;
  onlineRate: number | null;
  effectiveRate: number | null;
}
export interface Availability {
  nodeId: string;
  cameras: number;
  target: number;
  meetsTarget: boolean | null;
  figures: Figures;
  byDay: { day: string; figures: Figures }[];
}
/** A node of GET /availability/ranking: its figures over the window, as GET /availability gives them. */
export interface RankingRow {
  nodeId: string;
  kind: string;
  name: string;
  parentId: string | null;
  parentName: string | null;
  cameras: number;
  meetsTarget: boolean | null;
  figures: Figures;
}
export interface District {
  id: string;
  kind: string;
  name: string;
  parentId: string | null;
}
export interface Gap {
  rate: number | null;
  rateAfterFixes: number | null;
  reached: boolean;
  fixes: { cameraId: string; name: string; lostMs: number }[];
}
export interface ContractorRow {
  contractorId: string;
  contractorName: string;
  opened: number;
  closed: number;
  stillOpen: number;
  metSla: number;
  breached: number;
  meanMinutesToAcknowledge: number | null;
  meanMinutesToRepair: number | null;
  externalCauseHours: number;
}
export interface Window {
  from: string;
  to: string;
}
export interface IncidentDown {
  incidentId: string;
  occurredAt: string;
  type: string;
  title: string;
  place: string;
  cameraId: string;
  cameraName: string;
  state: string;
  reason: string | null;
  since: string | null;
  until: string | null;
}
