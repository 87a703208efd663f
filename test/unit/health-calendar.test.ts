import { describe, expect, it } from 'vitest';
import { addDays, localDayBounds, localMonthBounds, splitByLocalDays } from '../../src/health/calendar.js';

const SH = 'Asia/Shanghai';
const BERLIN = 'Europe/Berlin';
const H = 3_600_000;
const iso = (b: { from: Date; to: Date }) => [b.from.toISOString(), b.to.toISOString()];
const hoursOf = (b: { from: Date; to: Date }) => (b.to.getTime() - b.from.getTime()) / H;

describe('localDayBounds', () => {
  it('Asia/Shanghai: midnight to midnight at UTC+8', () => {
    const b = localDayBounds('2024-06-01', SH);
    expect(iso(b)).toEqual(['2024-05-31T16:00:00.000Z', '2024-06-01T16:00:00.000Z']);
    expect(hoursOf(b)).toBe(24);
  });

  it('Asia/Shanghai across a year end and a leap day', () => {
    expect(iso(localDayBounds('2024-01-01', SH))).toEqual([
      '2023-12-31T16:00:00.000Z',
      '2024-01-01T16:00:00.000Z',
    ]);
    expect(iso(localDayBounds('2024-02-29', SH))).toEqual([
      '2024-02-28T16:00:00.000Z',
      '2024-02-29T16:00:00.000Z',
    ]);
  });

  it('Europe/Berlin: the spring-forward day has 23 hours', () => {
    const b = localDayBounds('2024-03-31', BERLIN);
    expect(iso(b)).toEqual(['2024-03-30T23:00:00.000Z', '2024-03-31T22:00:00.000Z']);
    expect(hoursOf(b)).toBe(23);
  });

  it('Europe/Berlin: the fall-back day has 25 hours', () => {
    const b = localDayBounds('2024-10-27', BERLIN);
    expect(iso(b)).toEqual(['2024-10-26T22:00:00.000Z', '2024-10-27T23:00:00.000Z']);
    expect(hoursOf(b)).toBe(25);
  });

  it('Europe/Berlin: an ordinary winter and summer day', () => {
    expect(iso(localDayBounds('2024-01-15', BERLIN))).toEqual([
      '2024-01-14T23:00:00.000Z',
      '2024-01-15T23:00:00.000Z',
    ]);
    expect(iso(localDayBounds('2024-07-15', BERLIN))).toEqual([
      '2024-07-14T22:00:00.000Z',
      '2024-07-15T22:00:00.000Z',
    ]);
  });

  it('a skipped local midnight: the day begins at the transition (São Paulo 2018)', () => {
    const b = localDayBounds('2018-11-04', 'America/Sao_Paulo');
    expect(iso(b)).toEqual(['2018-11-04T03:00:00.000Z', '2018-11-05T02:00:00.000Z']);
    expect(hoursOf(b)).toBe(23);
  });

  it('a repeated local midnight: the day begins at the first one (Havana 2023)', () => {
    const b = localDayBounds('2023-11-05', 'America/Havana');
    expect(iso(b)).toEqual(['2023-11-05T04:00:00.000Z', '2023-11-06T05:00:00.000Z']);
    expect(hoursOf(b)).toBe(25);
  });

  it('a day the zone skipped altogether is empty (Samoa, 2011-12-30)', () => {
    expect(hoursOf(localDayBounds('2011-12-30', 'Pacific/Apia'))).toBe(0);
  });

  it('consecutive days tile without gaps', () => {
    for (const day of ['2024-03-30', '2024-03-31', '2024-10-26', '2024-10-27']) {
      expect(localDayBounds(day, BERLIN).to).toEqual(localDayBounds(addDays(day, 1), BERLIN).from);
    }
  });

  it('rejects malformed days and unknown zones', () => {
    expect(() => localDayBounds('2024-02-30', SH)).toThrow(RangeError);
    expect(() => localDayBounds('2024-6-1', SH)).toThrow(RangeError);
    expect(() => localDayBounds('2024-06-01', 'Mars/Olympus')).toThrow(RangeError);
  });
});

describe('localMonthBounds', () => {
  it('Asia/Shanghai months, leap February and December into the next year', () => {
    expect(iso(localMonthBounds('2024-02', SH))).toEqual([
      '2024-01-31T16:00:00.000Z',
      '2024-02-29T16:00:00.000Z',
    ]);
    expect(iso(localMonthBounds('2024-12', SH))).toEqual([
      '2024-11-30T16:00:00.000Z',
      '2024-12-31T16:00:00.000Z',
    ]);
    expect(hoursOf(localMonthBounds('2023-02', SH))).toBe(28 * 24);
  });

  it('Europe/Berlin: a month with the DST switch is one hour short or long', () => {
    const march = localMonthBounds('2024-03', BERLIN);
    expect(iso(march)).toEqual(['2024-02-29T23:00:00.000Z', '2024-03-31T22:00:00.000Z']);
    expect(hoursOf(march)).toBe(31 * 24 - 1);
    expect(hoursOf(localMonthBounds('2024-10', BERLIN))).toBe(31 * 24 + 1);
  });

  it('rejects malformed months', () => {
    expect(() => localMonthBounds('2024-13', SH)).toThrow(RangeError);
    expect(() => localMonthBounds('2024-00', SH)).toThrow(RangeError);
    expect(() => localMonthBounds('2024', SH)).toThrow(RangeError);
  });
});

describe('splitByLocalDays', () => {
  it('splits a window across 3 local days', () => {
    const pieces = splitByLocalDays(
      { from: new Date('2024-06-01T10:00:00+08:00'), to: new Date('2024-06-03T05:00:00+08:00') },
      SH,
    );
    expect(pieces.map((p) => [p.day, ...iso(p)])).toEqual([
      ['2024-06-01', '2024-06-01T02:00:00.000Z', '2024-06-01T16:00:00.000Z'],
      ['2024-06-02', '2024-06-01T16:00:00.000Z', '2024-06-02T16:00:00.000Z'],
      ['2024-06-03', '2024-06-02T16:00:00.000Z', '2024-06-02T21:00:00.000Z'],
    ]);
  });

  it('a window that is one whole local day is one piece; an empty window none', () => {
    const day = localDayBounds('2024-06-01', SH);
    expect(splitByLocalDays(day, SH)).toEqual([{ day: '2024-06-01', ...day }]);
    expect(splitByLocalDays({ from: day.to, to: day.to }, SH)).toEqual([]);
    expect(splitByLocalDays({ from: day.to, to: day.from }, SH)).toEqual([]);
  });

  it('a window inside one day is one piece', () => {
    const from = new Date('2024-06-01T01:00:00+08:00');
    const to = new Date('2024-06-01T23:59:59+08:00');
    expect(splitByLocalDays({ from, to }, SH)).toEqual([{ day: '2024-06-01', from, to }]);
  });

  it('UTC midnight is not a cut in Shanghai', () => {
    const pieces = splitByLocalDays(
      { from: new Date('2024-06-01T20:00:00Z'), to: new Date('2024-06-02T04:00:00Z') },
      SH,
    );
    expect(pieces.map((p) => p.day)).toEqual(['2024-06-02']);
  });

  it('across Berlin DST the pieces follow local midnights', () => {
    const pieces = splitByLocalDays(
      { from: new Date('2024-10-26T12:00:00Z'), to: new Date('2024-10-28T12:00:00Z') },
      BERLIN,
    );
    expect(pieces.map((p) => [p.day, hoursOf(p)])).toEqual([
      ['2024-10-26', 10],
      ['2024-10-27', 25],
      ['2024-10-28', 13],
    ]);
  });

  it('a month splits into its days with the whole span covered', () => {
    const month = localMonthBounds('2024-03', BERLIN);
    const pieces = splitByLocalDays(month, BERLIN);
    expect(pieces).toHaveLength(31);
    expect(pieces[0]?.from).toEqual(month.from);
    expect(pieces[30]?.to).toEqual(month.to);
    expect(pieces.reduce((sum, p) => sum + hoursOf(p), 0)).toBe(31 * 24 - 1);
  });
});

describe('addDays', () => {
  it('moves across months and years', () => {
    expect(addDays('2024-02-28', 1)).toBe('2024-02-29');
    expect(addDays('2024-12-31', 1)).toBe('2025-01-01');
    expect(addDays('2024-03-01', -1)).toBe('2024-02-29');
  });
});
