/**
 * Pure view logic of the admin pages: where an API error belongs on a form, CSV text of a table, how a row's
 * times and scan progress read. No Vue here, so the unit tests need no browser.
 */

/** Field errors keyed by the form's own field names; `general` takes what names no field of the form. */
export interface FormErrors {
  fields: Record<string, string>;
  general: string;
}

/**
 * Where an error goes on a form with `known` fields: the API names a dotted path ('credentials.password',
 * 'areaIds.2'); the first segment that is a field of the form takes the message, else the form's banner does.
 */
export function placeError(err: unknown, known: readonly string[]): FormErrors {
  const message = err instanceof Error ? err.message : String(err);
  const named = fieldOf(err);
  if (named) {
    const path = named.split('.');
    for (let i = path.length; i > 0; i--) {
      const key = path.slice(0, i).join('.');
      if (!known.includes(key)) continue;
      // on the form field, the message names only what is below it: 'credentials.password: …' → 'password: …'
      const rest = stripField(message, named);
      const below = named.slice(key.length + 1);
      return { fields: { [key]: below ? `${below}: ${rest}` : rest }, general: '' };
    }
  }
  return { fields: {}, general: message };
}

/** An error as one line for a message box, led by the field the API names: 'match: device … is known, not new'. */
export function errorLine(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  const named = fieldOf(err);
  return named ? `${named}: ${stripField(message, named)}` : message;
}

// an ApiError (lib/api.ts) carries the field; checked by shape so that this file imports nothing
function fieldOf(err: unknown): string | null {
  return err instanceof Error && 'field' in err && typeof err.field === 'string' ? err.field : null;
}

/** 'password: must have at least 10 characters' → 'must have at least 10 characters' */
function stripField(message: string, field: string): string {
  for (const prefix of [`${field}: `, `body ${field}: `]) {
    if (message.startsWith(prefix)) return message.slice(prefix.length);
  }
  return message;
}

/** A timestamp as the county reads it: 2026-11-30 08:05:03, local time; empty for none. */
export function formatTime(value: string | Date | null | undefined): string {
  if (!value) return '';
  const d = typeof value === 'string' ? new Date(value) : value;
  if (Number.isNaN(d.getTime())) return '';
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

/** How long a video session lasted, as h:mm:ss; null while it is still open. */
export function duration(from: string | Date, to: string | Date | null): string | null {
  if (!to) return null;
  const seconds = Math.max(0, Math.round((new Date(to).getTime() - new Date(from).getTime()) / 1000));
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  return `${h}:${String(m).padStart(2, '0')}:${String(s).padStart(2, '0')}`;
}

export interface ScanProgress {
  total: number;
  probed: number;
  found: number;
}

/** Percent done of a scan (0–100); a scan of unknown size (multicast) shows 100 once it is done, else 0. */
export function scanPercent(status: string, progress: ScanProgress): number {
  if (status === 'done') return 100;
  if (progress.total <= 0) return 0;
  return Math.min(100, Math.floor((progress.probed / progress.total) * 100));
}

export function scanIsLive(status: string): boolean {
  return status === 'queued' || status === 'running';
}

/** Lines of a text area as a list: trimmed, no blanks ("10.0.0.0/24\n10.0.1.0/24" → two ranges). */
export function linesOf(text: string): string[] {
  return text
    .split(/[\n,;]+/)
    .map((s) => s.trim())
    .filter(Boolean);
}

/** An empty input is null for the API (nullable fields), anything else trimmed. */
export function orNull(text: string | null | undefined): string | null {
  const t = (text ?? '').trim();
  return t === '' ? null : t;
}

/** The i18n key and values that tell a 1+X+N staffing gap in words. */
export function gapMessage(
  gap:
    | { kind: 'no_community_officer'; districtName: string }
    | { kind: 'auxiliaries_out_of_range'; districtName: string; officerName: string; auxiliaries: number }
    | { kind: 'assistant_over_age'; districtName: string; staffName: string; age: number },
): { key: string; values: Record<string, string | number> } {
  const key = `admin.staff.gap.${gap.kind}`;
  switch (gap.kind) {
    case 'no_community_officer':
      return { key, values: { district: gap.districtName } };
    case 'auxiliaries_out_of_range':
      return { key, values: { district: gap.districtName, officer: gap.officerName, n: gap.auxiliaries } };
    case 'assistant_over_age':
      return { key, values: { district: gap.districtName, name: gap.staffName, age: gap.age } };
  }
}
