import { describe, expect, it } from 'vitest';
import { checkCameraGbCode } from '../../src/cameras/gb-code.js';
import { type DistrictStaffing, staffingGaps } from '../../src/governance/staffing-rules.js';
import {
  DEMO_USERS,
  generatePengyang,
  OVER_AGE_ASSISTANTS,
  STAFFING_GAP_DISTRICTS,
} from '../../src/seed/pengyang.js';

const seed = generatePengyang();
const byCode = new Map(seed.districts.map((d) => [d.code, d]));
const ofKind = (...kinds: string[]) => seed.districts.filter((d) => kinds.includes(d.kind));
const childrenOf = (code: string) => seed.districts.filter((d) => d.parentCode === code);
const countBy = <T>(items: readonly T[], key: (item: T) => string) => {
  const counts = new Map<string, number>();
  for (const item of items) counts.set(key(item), (counts.get(key(item)) ?? 0) + 1);
  return counts;
};

describe('the Pengyang seed generator', () => {
  it('is deterministic: the same data twice, different data for another seed', () => {
    expect(generatePengyang()).toEqual(seed);
    expect(generatePengyang(1).cameras).not.toEqual(seed.cameras);
  });

  it('has the county, 4 towns with 3 police districts each and 8 townships with 2 each', () => {
    expect(ofKind('county')).toEqual([expect.objectContaining({ name: '彭阳县', code: '640425' })]);
    expect(ofKind('town', 'township')).toHaveLength(12);
    expect(ofKind('police_district')).toHaveLength(28);
    const towns = ofKind('town');
    const townships = ofKind('township');
    expect(towns.map((t) => t.name)).toEqual(['白阳镇', '王洼镇', '古城镇', '红河镇']);
    expect(townships).toHaveLength(8);
    for (const t of towns)
      expect(childrenOf(t.code).map((c) => c.kind)).toEqual(Array(3).fill('police_district'));
    for (const t of townships) expect(childrenOf(t.code)).toHaveLength(2);
    expect(byCode.get('640425100-PD1')?.name).toBe('白阳镇第一警务区');
    expect(byCode.get('640425200-PD2')?.name).toBe('新集乡第二警务区');
  });

  it('keeps the tree well-formed: parents exist, names unique under a parent, codes unique', () => {
    const parentKinds: Record<string, string[]> = {
      town: ['county'],
      township: ['county'],
      police_district: ['town', 'township'],
      village: ['police_district'],
      community: ['police_district'],
      site: ['village', 'community'],
    };
    expect(byCode.size).toBe(seed.districts.length);
    const names = new Set<string>();
    for (const d of seed.districts) {
      if (d.kind === 'county') continue;
      const parent = byCode.get(d.parentCode ?? '');
      expect(parentKinds[d.kind]).toContain(parent?.kind);
      names.add(`${d.parentCode}/${d.name}`);
      expect(d.code).toMatch(/^[0-9A-Za-z-]{1,32}$/);
      expect(Math.abs(d.lat - 35.85)).toBeLessThan(0.5);
      expect(Math.abs(d.lon - 106.64)).toBeLessThan(0.5);
    }
    expect(names.size).toBe(seed.districts.length - 1);
    for (const pd of ofKind('police_district')) {
      expect(childrenOf(pd.code).length).toBeGreaterThanOrEqual(3);
      expect(childrenOf(pd.code).length).toBeLessThanOrEqual(5);
    }
    expect(childrenOf('640425100-PD1').every((c) => c.kind === 'community')).toBe(true);
  });

  it('has one office per police district, 25 established in 2018 and 3 earlier', () => {
    expect(seed.offices).toHaveLength(28);
    expect(new Set(seed.offices.map((o) => o.districtCode))).toEqual(
      new Set(ofKind('police_district').map((d) => d.code)),
    );
    expect(seed.offices.filter((o) => o.establishedYear === 2018)).toHaveLength(25);
    expect(seed.offices.filter((o) => o.establishedYear < 2018)).toHaveLength(3);
  });

  it('has a few hundred cameras, each on a site, with valid unique GB codes and no credentials in URLs', () => {
    expect(seed.cameras.length).toBeGreaterThanOrEqual(300);
    expect(seed.cameras.length).toBeLessThanOrEqual(400);
    for (const c of seed.cameras) {
      expect(byCode.get(c.siteCode)?.kind).toBe('site');
      expect(checkCameraGbCode(c.gbCode).ok).toBe(true);
      expect(c.gbCode.startsWith('6404250000132')).toBe(true);
      expect(c.rtspMainUrl).toMatch(/^rtsp:\/\/127\.64\.\d+\.\d+:8554\//);
      if (c.onvifUrl) expect(c.onvifUrl).toBe(`http://${c.ip}:8000/onvif/device_service`);
      expect(`${c.rtspMainUrl} ${c.rtspSubUrl} ${c.onvifUrl}`).not.toContain('@');
      expect(c.onvifUrl === null).toBe(c.vendor === 'generic-rtsp');
      expect(c.sessionLimit).toBeGreaterThanOrEqual(4);
      expect(c.sessionLimit).toBeLessThanOrEqual(10);
      expect(Number(c.commissionedAt.slice(0, 4))).toBeGreaterThanOrEqual(2018);
      expect(Number(c.commissionedAt.slice(0, 4))).toBeLessThanOrEqual(2024);
    }
    expect(new Set(seed.cameras.map((c) => c.gbCode)).size).toBe(seed.cameras.length);
    expect(new Set(seed.cameras.map((c) => c.ip)).size).toBe(seed.cameras.length);
    const perSite = countBy(seed.cameras, (c) => c.siteCode);
    expect(perSite.size).toBe(ofKind('site').length);
    for (const n of perSite.values()) expect(n).toBeLessThanOrEqual(3);
    const vendors = countBy(seed.cameras, (c) => c.vendor);
    expect((vendors.get('hikvision') ?? 0) + (vendors.get('dahua') ?? 0)).toBeGreaterThan(
      seed.cameras.length / 2,
    );
  });

  it('marks cameras of each town seat (its first police district) town_seat, the rest village', () => {
    const pdOf = (siteCode: string) => byCode.get(byCode.get(siteCode)?.parentCode ?? '')?.parentCode ?? '';
    for (const c of seed.cameras) {
      expect(c.placeClass).toBe(pdOf(c.siteCode).endsWith('-PD1') ? 'town_seat' : 'village');
    }
    expect(seed.cameras.some((c) => c.placeClass === 'town_seat')).toBe(true);
  });

  it('staffs 1+X+N: one officer per police district, 156 police assistants, a grid worker per village', () => {
    const officers = seed.staff.filter((s) => s.role === 'community_officer');
    expect(officers.map((o) => o.districtCode).sort()).toEqual(
      ofKind('police_district')
        .map((d) => d.code)
        .sort(),
    );
    const assistants = seed.staff.filter((s) => s.role === 'police_assistant');
    expect(assistants).toHaveLength(156);
    for (const a of assistants) expect(['village', 'community']).toContain(byCode.get(a.districtCode)?.kind);
    expect(seed.staff.filter((s) => s.role === 'grid_worker')).toHaveLength(
      ofKind('village', 'community').length,
    );
    const keys = new Map(seed.staff.map((s) => [s.key, s]));
    for (const aux of seed.staff.filter((s) => s.role === 'auxiliary_police')) {
      const officer = keys.get(aux.supervisorKey ?? '');
      expect(officer?.role).toBe('community_officer');
      expect(officer?.districtCode).toBe(aux.districtCode);
    }
    expect(new Set(seed.staff.map((s) => s.role)).size).toBeGreaterThan(5);
  });

  it('has the deliberate staffing gaps: one district without auxiliaries, one with 3, 4 assistants over 60', () => {
    const staffing: DistrictStaffing[] = ofKind('police_district').map((pd) => {
      const inSubtree = (code: string) => code === pd.code || byCode.get(code)?.parentCode === pd.code;
      return {
        districtId: pd.code,
        districtName: pd.name,
        officers: seed.staff
          .filter((s) => s.role === 'community_officer' && s.districtCode === pd.code)
          .map((o) => ({
            id: o.key,
            name: o.name,
            auxiliaries: seed.staff.filter((s) => s.supervisorKey === o.key).length,
          })),
        assistants: seed.staff
          .filter((s) => s.role === 'police_assistant' && inSubtree(s.districtCode))
          .map((a) => ({ id: a.key, name: a.name, birthDate: a.birthDate })),
      };
    });
    expect(staffing.reduce((n, d) => n + d.assistants.length, 0)).toBe(156);
    const gaps = staffingGaps(staffing, '2026-06-01');
    expect(gaps.filter((g) => g.kind === 'no_community_officer')).toEqual([]);
    const aux = gaps.flatMap((g) => (g.kind === 'auxiliaries_out_of_range' ? [g] : []));
    expect(aux.map((g) => [g.districtId, g.auxiliaries]).sort()).toEqual(
      [
        [STAFFING_GAP_DISTRICTS.noAuxiliaries, 0],
        [STAFFING_GAP_DISTRICTS.threeAuxiliaries, 3],
      ].sort(),
    );
    expect(gaps.filter((g) => g.kind === 'assistant_over_age')).toHaveLength(OVER_AGE_ASSISTANTS);
    expect(OVER_AGE_ASSISTANTS).toBe(4);
  });

  it('splits maintenance: one contract for the 4 towns, two for the 8 townships, each area once', () => {
    expect(seed.contractors.map((c) => c.name)).toEqual([
      '固原天网安防工程有限公司',
      '宁夏六盘通信技术有限公司',
      '彭阳县城乡监控运维服务部',
    ]);
    const areas = seed.contracts.flatMap((c) => c.areaCodes);
    expect(areas.sort()).toEqual(
      ofKind('town', 'township')
        .map((d) => d.code)
        .sort(),
    );
    expect(seed.contracts[0]?.areaCodes.map((c) => byCode.get(c)?.kind)).toEqual(Array(4).fill('town'));
    expect(seed.contracts.map((c) => c.areaCodes.length)).toEqual([4, 4, 4]);
    for (const c of seed.contracts) {
      expect(c).toMatchObject({
        validFrom: '2024-01-01',
        validTo: '2027-12-31',
        faultThresholdMinutes: 30,
        slaHoursTownSeat: 24,
        slaHoursVillage: 48,
      });
    }
  });

  it('has the demo users, their scopes and contractor resolving to seeded rows', () => {
    expect(seed.users.map((u) => u.username)).toEqual(DEMO_USERS.map((u) => u.username));
    expect(seed.users.map((u) => [u.username, u.role])).toEqual([
      ['admin', 'admin'],
      ['bureau', 'bureau'],
      ['duty-baiyang-1', 'duty'],
      ['duty-wangwa', 'duty'],
      ['contractor-tianwang', 'contractor'],
    ]);
    const scope = (username: string) =>
      byCode.get(seed.users.find((u) => u.username === username)?.scopeCode ?? '');
    expect(scope('duty-baiyang-1')?.name).toBe('白阳镇第一警务区');
    expect(scope('duty-wangwa')).toMatchObject({ name: '王洼镇', kind: 'town' });
    const linked = seed.users.find((u) => u.role === 'contractor')?.contractorKey;
    expect(seed.contractors.find((c) => c.key === linked)?.name).toBe('固原天网安防工程有限公司');
  });
});
