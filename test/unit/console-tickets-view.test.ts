import { describe, expect, it } from 'vitest';
import {
  actionsFor,
  byDeadline,
  formatCountdown,
  secondsLeft,
  statusTag,
  urgency,
} from '../../src/console/lib/tickets-view.js';
import bureauWords from '../../src/console/pages/bureau/messages.js';
import ticketWords from '../../src/console/pages/tickets/messages.js';

describe('contractor board view logic', () => {
  it('counts down to the deadline, negative once overdue', () => {
    const due = '2026-11-30T12:00:00.000Z';
    expect(secondsLeft({ slaDueAt: due }, Date.parse('2026-11-30T11:00:00.000Z'))).toBe(3600);
    expect(secondsLeft({ slaDueAt: due }, Date.parse('2026-11-30T12:00:30.000Z'))).toBe(-30);
  });

  it('formats days and a clock, without the sign', () => {
    expect(formatCountdown(47 * 3600 + 59 * 60 + 58)).toEqual({ days: 1, clock: '23:59:58' });
    expect(formatCountdown(65)).toEqual({ days: 0, clock: '00:01:05' });
    expect(formatCountdown(-3 * 86_400 - 1)).toEqual({ days: 3, clock: '00:00:01' });
  });

  it('says how urgent a deadline is', () => {
    expect(urgency(-1)).toBe('overdue');
    expect(urgency(4 * 3600 - 1)).toBe('soon');
    expect(urgency(4 * 3600)).toBe('ok');
  });

  it('sorts active tickets by deadline and puts closed ones last, newest first', () => {
    const t = (id: number, status: string, slaDueAt: string, closedAt: string | null = null) =>
      ({ id, status, slaDueAt, closedAt }) as Parameters<typeof byDeadline>[0][number];
    const list = [
      t(1, 'closed', '2026-01-01T00:00:00Z', '2026-01-02T00:00:00Z'),
      t(2, 'open', '2026-01-05T00:00:00Z'),
      t(3, 'verifying', '2026-01-03T00:00:00Z'),
      t(4, 'closed', '2026-01-01T00:00:00Z', '2026-01-04T00:00:00Z'),
      t(5, 'acknowledged', '2026-01-03T00:00:00Z'),
    ];
    expect(byDeadline(list).map((x) => x.id)).toEqual([3, 5, 2, 4, 1]);
  });

  it('offers only the actions a status allows', () => {
    expect(actionsFor('open')).toMatchObject({ acknowledge: true, repaired: true, note: true });
    expect(actionsFor('acknowledged')).toMatchObject({ acknowledge: false, repaired: true });
    expect(actionsFor('verifying')).toMatchObject({ repaired: false, note: true, dispute: true });
    expect(Object.values(actionsFor('closed')).some(Boolean)).toBe(false);
    expect(statusTag('verifying')).toBe('primary');
  });
});

describe('the board and dashboard words', () => {
  const keys = (o: object, prefix = ''): string[] =>
    Object.entries(o).flatMap(([k, v]) =>
      v && typeof v === 'object' ? keys(v, `${prefix}${k}.`) : [`${prefix}${k}`],
    );
  it('say everything in both Chinese and English', () => {
    for (const messages of [ticketWords, bureauWords])
      expect(keys(messages.en).sort()).toEqual(keys(messages['zh-CN']).sort());
  });
});
