/** A ticket as the API lists it (`GET /tickets`). */
export type TicketStatus = 'open' | 'acknowledged' | 'verifying' | 'closed';
export type SnapshotRole = 'last_good' | 'at_fault' | 'after_repair';
export const DISPUTE_CAUSES = ['power_cut', 'carrier_link', 'other'] as const;
export type DisputeCause = (typeof DISPUTE_CAUSES)[number];

export interface Ticket {
  id: number;
  cameraId: string;
  cameraName: string;
  placePath: string[];
  contractorName: string;
  cause: string;
  priority: 'P1' | 'P2' | 'P3';
  status: TicketStatus;
  faultSince: string;
  openedAt: string;
  slaDueAt: string;
  slaExtendedMinutes: number;
  remainingSeconds: number | null;
  overdue: boolean;
  acknowledgedAt: string | null;
  repairedAt: string | null;
  closedAt: string | null;
  closeReason: 'verified' | 'recovered' | null;
  reopenedCount: number;
  escalatedAt: string | null;
}

export interface TicketDetail extends Ticket {
  events: { id: number; at: string; kind: string; actorName: string | null; note: string | null }[];
  snapshots: { role: SnapshotRole; takenAt: string; sizeBytes: number }[];
  photos: { id: string; contentType: string; sizeBytes: number; uploadedAt: string }[];
  dispute: {
    id: string;
    status: 'requested' | 'approved' | 'rejected';
    from: string;
    to: string;
    reason: string;
  } | null;
}
