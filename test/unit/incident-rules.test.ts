import { describe, expect, it } from 'vitest';
import {
  INCIDENT_TYPES,
  isOverdue,
  reportDueAt,
  wasReportedLate,
} from '../../src/governance/incident-rules.js';

const T = new Date('2025-06-15T08:00:00Z');
const at = (offsetMs: number) => new Date(T.getTime() + offsetMs);
const HOUR = 3_600_000;

describe('reportDueAt', () => {
  it('gives stability and safety incidents one hour', () => {
    expect(reportDueAt('stability_safety', T)).toEqual(at(HOUR));
  });

  it('gives key-industry staff 24 hours', () => {
    expect(reportDueAt('key_industry_staff', T)).toEqual(at(24 * HOUR));
  });

  it('gives every other type no deadline', () => {
    const others = INCIDENT_TYPES.filter((t) => t !== 'stability_safety' && t !== 'key_industry_staff');
    expect(others).toHaveLength(6);
    for (const type of others) expect(reportDueAt(type, T)).toBeNull();
  });

  it('does not change the instant it is given', () => {
    const occurred = new Date(T);
    reportDueAt('stability_safety', occurred);
    expect(occurred).toEqual(T);
  });
});

describe('isOverdue', () => {
  const dueAt = at(HOUR);

  it('is never overdue without a deadline', () => {
    expect(isOverdue({ dueAt: null, reportedAt: null }, at(1000 * HOUR))).toBe(false);
  });

  it('is overdue only strictly after the deadline while unreported', () => {
    expect(isOverdue({ dueAt, reportedAt: null }, at(HOUR - 1))).toBe(false);
    expect(isOverdue({ dueAt, reportedAt: null }, dueAt)).toBe(false);
    expect(isOverdue({ dueAt, reportedAt: null }, at(HOUR + 1))).toBe(true);
  });

  it('is not overdue once reported, however late', () => {
    expect(isOverdue({ dueAt, reportedAt: at(5 * HOUR) }, at(10 * HOUR))).toBe(false);
  });
});

describe('wasReportedLate', () => {
  const dueAt = at(HOUR);

  it('is false without a deadline or without a report', () => {
    expect(wasReportedLate({ dueAt: null, reportedAt: at(100 * HOUR) })).toBe(false);
    expect(wasReportedLate({ dueAt, reportedAt: null })).toBe(false);
  });

  it('is false on time, at the deadline itself, and true after it', () => {
    expect(wasReportedLate({ dueAt, reportedAt: at(30 * 60_000) })).toBe(false);
    expect(wasReportedLate({ dueAt, reportedAt: dueAt })).toBe(false);
    expect(wasReportedLate({ dueAt, reportedAt: at(HOUR + 1) })).toBe(true);
  });
});
