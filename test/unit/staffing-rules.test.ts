import { describe, expect, it } from 'vitest';
import { ageOn, localDate } from '../../src/governance/local-date.js';
import {
  ASSISTANT_RETIREMENT_AGE,
  AUXILIARIES_PER_OFFICER,
  type DistrictStaffing,
  isOverAge,
  staffingGaps,
} from '../../src/governance/staffing-rules.js';

const TODAY = '2025-06-15';

function district(over: Partial<DistrictStaffing> = {}): DistrictStaffing {
  return {
    districtId: 'pd-1',
    districtName: '白阳一警务区',
    officers: [{ id: 'o-1', name: '张警官', auxiliaries: 1 }],
    assistants: [],
    ...over,
  };
}

describe('ageOn and localDate', () => {
  it('counts whole years, turning a year older on the birthday itself', () => {
    expect(ageOn('1965-06-15', TODAY)).toBe(60);
    expect(ageOn('1965-06-16', TODAY)).toBe(59);
    expect(ageOn('1965-06-14', TODAY)).toBe(60);
    expect(ageOn('1964-06-15', TODAY)).toBe(61);
    expect(ageOn('1964-06-16', TODAY)).toBe(60);
    expect(ageOn('1965-07-01', TODAY)).toBe(59);
    expect(ageOn('2025-06-15', TODAY)).toBe(0);
  });

  it('ages a 29 February birthday on 1 March of a common year', () => {
    expect(ageOn('1964-02-29', '2025-02-28')).toBe(60);
    expect(ageOn('1964-02-29', '2025-03-01')).toBe(61);
    expect(ageOn('1964-02-29', '2024-02-29')).toBe(60);
  });

  it('takes the calendar date in the county time zone, not UTC', () => {
    const at = new Date('2025-06-14T16:30:00Z'); // 00:30 on the 15th in Shanghai
    expect(localDate(at, 'Asia/Shanghai')).toBe('2025-06-15');
    expect(localDate(at, 'UTC')).toBe('2025-06-14');
  });
});

describe('isOverAge', () => {
  it('is false without a birth date', () => {
    expect(isOverAge(null, TODAY)).toBe(false);
  });

  it('is false at exactly 60 and true from 61', () => {
    expect(ASSISTANT_RETIREMENT_AGE).toBe(60);
    expect(isOverAge('1965-06-15', TODAY)).toBe(false); // 60th birthday today
    expect(isOverAge('1964-06-16', TODAY)).toBe(false); // 61 tomorrow
    expect(isOverAge('1964-06-15', TODAY)).toBe(true); // 61st birthday today
    expect(isOverAge('1950-01-01', TODAY)).toBe(true);
    expect(isOverAge('1990-01-01', TODAY)).toBe(false);
  });
});

describe('staffingGaps', () => {
  it('reports nothing for no districts', () => {
    expect(staffingGaps([], TODAY)).toEqual([]);
  });

  it('reports a police district without a community officer', () => {
    expect(staffingGaps([district({ officers: [] })], TODAY)).toEqual([
      { kind: 'no_community_officer', districtId: 'pd-1', districtName: '白阳一警务区' },
    ]);
  });

  it('accepts 1 and 2 auxiliaries per officer', () => {
    expect(AUXILIARIES_PER_OFFICER).toEqual({ min: 1, max: 2 });
    for (const auxiliaries of [1, 2]) {
      expect(staffingGaps([district({ officers: [{ id: 'o-1', name: '张', auxiliaries }] })], TODAY)).toEqual(
        [],
      );
    }
  });

  it('reports an officer with 0 or with 3 or more auxiliaries', () => {
    for (const auxiliaries of [0, 3, 5]) {
      expect(staffingGaps([district({ officers: [{ id: 'o-1', name: '张', auxiliaries }] })], TODAY)).toEqual(
        [
          {
            kind: 'auxiliaries_out_of_range',
            districtId: 'pd-1',
            districtName: '白阳一警务区',
            officerId: 'o-1',
            officerName: '张',
            auxiliaries,
          },
        ],
      );
    }
  });

  it('reports an assistant aged 61 but not one aged exactly 60 nor one without a birth date', () => {
    const gaps = staffingGaps(
      [
        district({
          assistants: [
            { id: 'a-60', name: '六十', birthDate: '1965-06-15' },
            { id: 'a-61', name: '六十一', birthDate: '1964-06-15' },
            { id: 'a-none', name: '无', birthDate: null },
          ],
        }),
      ],
      TODAY,
    );
    expect(gaps).toEqual([
      {
        kind: 'assistant_over_age',
        districtId: 'pd-1',
        districtName: '白阳一警务区',
        staffId: 'a-61',
        staffName: '六十一',
        age: 61,
      },
    ]);
  });

  it('reports every gap of every district, district by district', () => {
    const gaps = staffingGaps(
      [
        district({
          districtId: 'pd-1',
          officers: [],
          assistants: [{ id: 'a', name: 'A', birthDate: '1950-01-01' }],
        }),
        district({
          districtId: 'pd-2',
          districtName: '二',
          officers: [{ id: 'o', name: 'O', auxiliaries: 3 }],
        }),
        district({ districtId: 'pd-3', districtName: '三' }),
      ],
      TODAY,
    );
    expect(gaps.map((g) => [g.kind, g.districtId])).toEqual([
      ['no_community_officer', 'pd-1'],
      ['assistant_over_age', 'pd-1'],
      ['auxiliaries_out_of_range', 'pd-2'],
    ]);
  });

  it('checks each of several officers of a district on its own', () => {
    const gaps = staffingGaps(
      [
        district({
          officers: [
            { id: 'o-1', name: '一', auxiliaries: 2 },
            { id: 'o-2', name: '二', auxiliaries: 0 },
          ],
        }),
      ],
      TODAY,
    );
    expect(gaps).toHaveLength(1);
    expect(gaps[0]).toMatchObject({ kind: 'auxiliaries_out_of_range', officerId: 'o-2', auxiliaries: 0 });
  });
});
