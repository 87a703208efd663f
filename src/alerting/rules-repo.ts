import type { Queryable } from '../db.js';
import { type AlertCause, type AlertRules, DEFAULT_ALERT_RULES, type Severity } from './rules.js';

/** The county's alert rules: its stored choices over the defaults. */
export async function loadAlertRules(q: Queryable): Promise<AlertRules> {
  const { rows } = await q.query<{ cause: AlertCause; enabled: boolean; severity: Severity }>(
    'SELECT cause, enabled, severity FROM alert_rules',
  );
  const rules: AlertRules = { ...DEFAULT_ALERT_RULES };
  for (const r of rows) rules[r.cause] = { enabled: r.enabled, severity: r.severity };
  return rules;
}
