import { describe, expect, it } from 'vitest';
import { checkPhoto, mediaType } from '../../src/tickets/photo.js';
import {
  closeVerdict,
  contractorFigures,
  countdown,
  effectiveDue,
  extendedDeadline,
  mergeIntervals,
  priorityOf,
  type ReportTicket,
  restoredAt,
  shouldEscalate,
  shouldReopen,
  slaHours,
  slaOutcome,
  ticketFault,
} from '../../src/tickets/rules.js';

const T0 = new Date('2025-03-01T00:00:00Z');
const HOUR = 3_600_000;
const at = (hours: number) => new Date(T0.getTime() + hours * HOUR);
const span = (from: number, to: number) => ({ from: at(from), to: at(to) });

describe('priority and SLA hours', () => {
  it('maps severity to priority', () => {
    expect([priorityOf('critical'), priorityOf('major'), priorityOf('minor')]).toEqual(['P1', 'P2', 'P3']);
  });

  it('takes the hours of the camera place class', () => {
    const terms = { slaHoursTownSeat: 24, slaHoursVillage: 48 };
    expect(slaHours(terms, 'town_seat')).toBe(24);
    expect(slaHours(terms, 'village')).toBe(48);
  });
});

describe('SLA deadline with external cause', () => {
  it('is start + budget without exclusions', () => {
    expect(extendedDeadline(at(0), 24 * HOUR, [])).toEqual(at(24));
  });

  it('stands still during excluded time inside the window', () => {
    expect(extendedDeadline(at(0), 24 * HOUR, [span(2, 12)])).toEqual(at(34));
  });

  it('counts only the part after the clock started', () => {
    expect(extendedDeadline(at(0), 24 * HOUR, [span(-5, 3)])).toEqual(at(27));
  });

  it('ignores exclusions wholly after the deadline they would reach', () => {
    expect(extendedDeadline(at(0), 24 * HOUR, [span(30, 40)])).toEqual(at(24));
  });

  it('follows an exclusion that falls inside the extension', () => {
    // 0–10 excluded moves the deadline to 34, so 30–32 now also falls inside the window
    expect(extendedDeadline(at(0), 24 * HOUR, [span(0, 10), span(30, 32)])).toEqual(at(36));
  });

  it('counts overlapping exclusions once', () => {
    expect(mergeIntervals([span(5, 10), span(1, 6), span(12, 13), span(13, 14)])).toEqual([
      span(1, 10),
      span(12, 14),
    ]);
    expect(extendedDeadline(at(0), 24 * HOUR, [span(1, 6), span(5, 10)])).toEqual(at(33));
  });

  it('derives the budget from the nominal deadline of the clock', () => {
    expect(effectiveDue({ start: at(10), nominalDue: at(58) }, [span(20, 26)])).toEqual(at(64));
  });

  it('counts down to the extended deadline, null once closed', () => {
    const clock = { start: at(0), nominalDue: at(24) };
    expect(countdown(clock, [span(2, 4)], 'open', at(25))).toEqual({
      slaDueAt: at(26),
      slaExtendedMinutes: 120,
      remainingSeconds: 3600,
      overdue: false,
    });
    expect(countdown(clock, [], 'acknowledged', at(25))).toMatchObject({
      remainingSeconds: -3600,
      overdue: true,
    });
    expect(countdown(clock, [], 'closed', at(25))).toMatchObject({ remainingSeconds: null, overdue: false });
  });
});

describe('which fault a ticket is about', () => {
  const alert = (alertId: number, severity: 'critical' | 'major' | 'minor', sinceHours: number) => ({
    alertId,
    cause: 'x',
    severity,
    since: at(sinceHours),
  });

  it('waits for the threshold', () => {
    expect(ticketFault([alert(1, 'critical', 0)], 30, at(0.49))).toBeNull();
    expect(ticketFault([alert(1, 'critical', 0)], 30, at(0.5))?.alertId).toBe(1);
  });

  it('takes the most severe ripe alert, then the oldest', () => {
    const alerts = [
      alert(1, 'minor', -5),
      alert(2, 'major', -2),
      alert(3, 'major', -3),
      alert(4, 'critical', 0),
    ];
    expect(ticketFault(alerts, 30, at(0))?.alertId).toBe(3);
  });
});

describe('reopen', () => {
  const last = { contractorId: 'k1', closedAt: at(0) };

  it('reopens when the fault returns within the window for the same contractor', () => {
    expect(shouldReopen(last, { since: at(71), contractorId: 'k1' }, 72)).toBe(true);
    expect(shouldReopen(last, { since: at(73), contractorId: 'k1' }, 72)).toBe(false);
  });

  it('opens a new ticket when another contractor covers the camera now, or there was none', () => {
    expect(shouldReopen(last, { since: at(1), contractorId: 'k2' }, 72)).toBe(false);
    expect(shouldReopen(null, { since: at(1), contractorId: 'k1' }, 72)).toBe(false);
  });
});

describe('closing', () => {
  const healthy = { state: 'online', since: at(0), openAlerts: 0 };

  it('verifies a repaired ticket once the camera has been online long enough', () => {
    expect(closeVerdict('verifying', healthy, 1800, at(0.49))).toBeNull();
    expect(closeVerdict('verifying', healthy, 1800, at(0.5))).toBe('verified');
  });

  it('calls it recovered when nobody marked it repaired', () => {
    expect(closeVerdict('open', healthy, 1800, at(1))).toBe('recovered');
    expect(closeVerdict('acknowledged', healthy, 1800, at(1))).toBe('recovered');
  });

  it('keeps it while the camera is not online, an alert is open, or it is closed', () => {
    expect(closeVerdict('verifying', { ...healthy, state: 'offline' }, 1800, at(5))).toBeNull();
    expect(closeVerdict('verifying', { ...healthy, state: 'degraded' }, 1800, at(5))).toBeNull();
    expect(closeVerdict('verifying', { ...healthy, openAlerts: 1 }, 1800, at(5))).toBeNull();
    expect(closeVerdict('closed', healthy, 1800, at(5))).toBeNull();
  });

  it('dates the restoration no earlier than the SLA clock', () => {
    expect(restoredAt(at(-3), at(0))).toEqual(at(0));
    expect(restoredAt(at(2), at(0))).toEqual(at(2));
  });
});

describe('escalation', () => {
  it('escalates once, after the deadline, while not closed', () => {
    expect(shouldEscalate({ status: 'open', escalatedAt: null }, at(24), at(24))).toBe(false);
    expect(shouldEscalate({ status: 'open', escalatedAt: null }, at(24), at(24.01))).toBe(true);
    expect(shouldEscalate({ status: 'verifying', escalatedAt: at(25) }, at(24), at(30))).toBe(false);
    expect(shouldEscalate({ status: 'closed', escalatedAt: null }, at(24), at(30))).toBe(false);
  });
});

describe('report figures', () => {
  it('judges the SLA by the restoration, or by now while broken', () => {
    expect(slaOutcome(at(24), at(23), true, at(100))).toBe('met');
    expect(slaOutcome(at(24), at(25), true, at(100))).toBe('breached');
    expect(slaOutcome(at(24), null, false, at(23))).toBe('pending');
    expect(slaOutcome(at(24), null, false, at(25))).toBe('breached');
  });

  it('counts and averages per ticket cycle', () => {
    const clock = { start: at(0), nominalDue: at(24) };
    const tickets: ReportTicket[] = [
      { clock, excluded: [], status: 'closed', acknowledgedAt: at(1), restoredAt: at(10) },
      // late by the nominal deadline, met thanks to 8 h of approved external cause
      { clock, excluded: [span(2, 10)], status: 'closed', acknowledgedAt: at(3), restoredAt: at(30) },
      { clock, excluded: [], status: 'closed', acknowledgedAt: null, restoredAt: at(26) },
      { clock, excluded: [], status: 'verifying', acknowledgedAt: at(2), restoredAt: null },
    ];
    expect(contractorFigures(tickets, at(12))).toEqual({
      opened: 4,
      closed: 3,
      stillOpen: 1,
      metSla: 2,
      breached: 1,
      meanMinutesToAcknowledge: 120,
      meanMinutesToRepair: (10 * 60 + 30 * 60 + 26 * 60) / 3,
      externalCauseHours: 8,
    });
  });

  it('has no means without data', () => {
    expect(contractorFigures([], at(0))).toMatchObject({
      opened: 0,
      meanMinutesToAcknowledge: null,
      meanMinutesToRepair: null,
    });
  });
});

describe('repair photos', () => {
  const jpeg = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3]);
  const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0]);

  it('accepts a JPEG or PNG whose bytes match the declared type', () => {
    expect(checkPhoto('image/jpeg', jpeg, 100)).toEqual({ ok: true, type: 'image/jpeg' });
    expect(checkPhoto('image/png', png, 100)).toEqual({ ok: true, type: 'image/png' });
  });

  it('names the field of each problem', () => {
    expect(checkPhoto('image/gif', jpeg, 100)).toMatchObject({ status: 415, field: 'content-type' });
    expect(checkPhoto('image/jpeg', jpeg, 5)).toMatchObject({ status: 413, field: 'body' });
    expect(checkPhoto('image/png', jpeg, 100)).toMatchObject({ status: 400, field: 'body' });
    expect(checkPhoto('image/jpeg', Buffer.from([0xff, 0xd8, 0xff]), 100)).toMatchObject({ status: 400 });
  });

  it('reads the media type without parameters', () => {
    expect(mediaType('Image/JPEG; charset=binary')).toBe('image/jpeg');
    expect(mediaType(undefined)).toBe('');
  });
});
