import { ApiError, get, type Page, post } from './api';
import type { DisputeCause, SnapshotRole, Ticket, TicketDetail } from './tickets-types';

export * from './tickets-types';

export const listTickets = (status?: 'closed') =>
  get<Page<Ticket>>('/tickets', { limit: 200, ...(status ? { status } : {}) });
export const getTicket = (id: number) => get<TicketDetail>(`/tickets/${id}`);
export const acknowledge = (id: number) => post<TicketDetail>(`/tickets/${id}/acknowledge`);
export const addNote = (id: number, note: string) => post<TicketDetail>(`/tickets/${id}/notes`, { note });
export const markRepaired = (id: number, note?: string) =>
  post<TicketDetail>(`/tickets/${id}/repaired`, note ? { note } : {});
export const dispute = (id: number, body: { cause: DisputeCause; reason: string; evidence: string }) =>
  post<TicketDetail>(`/tickets/${id}/dispute`, body);

export const snapshotUrl = (id: number, role: SnapshotRole) => `/api/v1/tickets/${id}/snapshots/${role}`;
export const photoUrl = (id: number, photoId: string) => `/api/v1/tickets/${id}/photos/${photoId}`;

/** A repair photo goes up as the raw image body (JPEG or PNG), not as a form. */
export async function uploadPhoto(id: number, file: File): Promise<void> {
  const res = await fetch(`/api/v1/tickets/${id}/photos`, {
    method: 'POST',
    credentials: 'same-origin',
    headers: { 'content-type': file.type },
    body: file,
  });
  if (!res.ok) {
    const data = await res.json().catch(() => null);
    throw new ApiError(res.status, data?.message ?? `HTTP ${res.status}`, data?.field ?? null);
  }
}
