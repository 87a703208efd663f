import { STAFF_ROLES, type StaffRole } from '../governance/staffing-rules.js';
import type { DistrictKind } from '../governance/tree-rules.js';
import {
  COMMUNITY_NAMES,
  COMMUNITY_SITES,
  CONTRACTORS,
  COUNTY,
  DEMO_USERS,
  type DemoUser,
  EARLY_OFFICES,
  GIVEN,
  ORDINALS,
  OVER_AGE_ASSISTANTS,
  POLICE_ASSISTANTS,
  RTSP_PATHS,
  STAFFING_GAP_DISTRICTS,
  SURNAMES,
  TOWNS,
  VENDORS,
  VILLAGE_FIRST,
  VILLAGE_PREFIXES,
  VILLAGE_SECOND,
  VILLAGE_SITES,
} from './names.js';

export { STAFF_ROLES, type StaffRole } from '../governance/staffing-rules.js';
export {
  DEMO_PASSWORD,
  DEMO_USERS,
  type DemoUser,
  OVER_AGE_ASSISTANTS,
  POLICE_ASSISTANTS,
  STAFFING_GAP_DISTRICTS,
} from './names.js';

/**
 * The seed data set for Pengyang County: a pure, deterministic generator (seeded PRNG, no I/O).
 * Nodes refer to one another by district code and staff by key; the loader assigns the UUIDs.
 */

export const DEFAULT_SEED = 640425;
const OTHER_N_ROLES: readonly StaffRole[] = STAFF_ROLES.slice(4);

/**
 * The demo county's cameras live on loopback addresses (one /24 per town, ports a non-root user may bind), so
 * that the simulator in sim/ can be every one of them on this machine.
 */
export const CAMERA_NETWORK = { prefix: '127.64', onvifPort: 8000, rtspPort: 8554 } as const;

export interface SeedDistrict {
  kind: DistrictKind;
  name: string;
  code: string;
  parentCode: string | null;
  lat: number;
  lon: number;
  /** towns and townships: the address range of their camera network */
  networkCidrs?: string[];
}
export interface SeedOffice {
  districtCode: string;
  name: string;
  address: string;
  phone: string;
  establishedYear: number;
}
export interface SeedStaff {
  key: string;
  role: StaffRole;
  name: string;
  phone: string;
  birthDate: string;
  districtCode: string;
  supervisorKey: string | null;
  appointedOn: string;
}
export interface SeedContractor {
  key: string;
  name: string;
  contactName: string;
  phone: string;
}
export interface SeedContract {
  reference: string;
  contractorKey: string;
  validFrom: string;
  validTo: string;
  faultThresholdMinutes: number;
  slaHoursTownSeat: number;
  slaHoursVillage: number;
  areaCodes: string[];
}
export interface SeedCamera {
  siteCode: string;
  name: string;
  gbCode: string;
  vendor: string;
  model: string;
  ip: string;
  onvifUrl: string | null;
  rtspMainUrl: string;
  rtspSubUrl: string;
  lat: number;
  lon: number;
  placeClass: 'town_seat' | 'village';
  sessionLimit: number;
  commissionedAt: string;
}
export interface PengyangSeed {
  districts: SeedDistrict[];
  offices: SeedOffice[];
  staff: SeedStaff[];
  contractors: SeedContractor[];
  contracts: SeedContract[];
  cameras: SeedCamera[];
  users: DemoUser[];
}

/** mulberry32: small, fast, and the same sequence on every platform. */
class Rng {
  private state: number;
  constructor(seed: number) {
    this.state = seed >>> 0;
  }
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }
  pick<T>(items: readonly T[]): T {
    const item = items[Math.floor(this.next() * items.length)];
    if (item === undefined) throw new Error('seed: pick from an empty list');
    return item;
  }
  weighted<T extends { weight: number }>(items: readonly T[]): T {
    let r = this.next() * items.reduce((sum, i) => sum + i.weight, 0);
    for (const item of items) {
      r -= item.weight;
      if (r < 0) return item;
    }
    return this.pick(items);
  }
  shuffle<T>(items: readonly T[]): T[] {
    const out = [...items];
    for (let i = out.length - 1; i > 0; i--) {
      const j = this.int(0, i);
      [out[i], out[j]] = [out[j] as T, out[i] as T];
    }
    return out;
  }
  near(center: number, spread: number): number {
    return Math.round((center + (this.next() * 2 - 1) * spread) * 1e6) / 1e6;
  }
  date(fromYear: number, toYear: number): string {
    const month = String(this.int(1, 12)).padStart(2, '0');
    return `${this.int(fromYear, toYear)}-${month}-${String(this.int(1, 28)).padStart(2, '0')}`;
  }
  digits(n: number): string {
    let s = '';
    for (let i = 0; i < n; i++) s += String(this.int(0, 9));
    return s;
  }
}

const pad = (n: number, width: number) => String(n).padStart(width, '0');
/** GB/T 28181: division 64042500 (彭阳县) + industry 00 + type 132 (network camera); a 7-digit serial follows. */
const GB_CODE_PREFIX = '64042500' + '00' + '132';

export function generatePengyang(seed: number = DEFAULT_SEED): PengyangSeed {
  const rng = new Rng(seed);
  const districts: SeedDistrict[] = [{ kind: 'county', parentCode: null, ...COUNTY }];
  const offices: SeedOffice[] = [];
  const staff: SeedStaff[] = [];
  const cameras: SeedCamera[] = [];
  const villages: SeedDistrict[] = [];
  const villageNames = new Set<string>();

  const personName = () => rng.pick(SURNAMES) + rng.pick(GIVEN) + (rng.next() < 0.7 ? rng.pick(GIVEN) : '');
  const mobile = () => `1${rng.pick(['39', '38', '35', '51', '58', '80', '87', '99'])}${rng.digits(8)}`;
  const addStaff = (
    role: StaffRole,
    districtCode: string,
    born: [number, number],
    supervisorKey?: string,
  ) => {
    const key = `S${pad(staff.length + 1, 4)}`;
    staff.push({
      key,
      role,
      name: personName(),
      phone: mobile(),
      birthDate: rng.date(born[0], born[1]),
      districtCode,
      supervisorKey: supervisorKey ?? null,
      appointedOn: rng.date(2015, 2024),
    });
    return key;
  };
  const villageName = () => {
    for (;;) {
      const name = `${rng.pick(VILLAGE_PREFIXES)}${rng.pick(VILLAGE_FIRST)}${rng.pick(VILLAGE_SECOND)}村`;
      if (!villageNames.has(name)) {
        villageNames.add(name);
        return name;
      }
    }
  };

  let serial = 0;
  const addCameras = (site: SeedDistrict, townIndex: number, seat: boolean, host: () => number) => {
    const count = rng.weighted([
      { n: 1, weight: 50 },
      { n: 2, weight: 35 },
      { n: 3, weight: 15 },
    ]).n;
    for (let k = 1; k <= count; k++) {
      const { vendor, models } = rng.weighted(VENDORS);
      const ip = `${CAMERA_NETWORK.prefix}.${townIndex + 1}.${host()}`;
      const [main, sub] = RTSP_PATHS[vendor] ?? ['/stream1', '/stream2'];
      serial += 1;
      cameras.push({
        siteCode: site.code,
        name: `${site.name}${k}号`,
        gbCode: `${GB_CODE_PREFIX}${pad(serial, 7)}`,
        vendor,
        model: rng.pick(models),
        ip,
        onvifUrl:
          vendor === 'generic-rtsp' ? null : `http://${ip}:${CAMERA_NETWORK.onvifPort}/onvif/device_service`,
        rtspMainUrl: `rtsp://${ip}:${CAMERA_NETWORK.rtspPort}${main}`,
        rtspSubUrl: `rtsp://${ip}:${CAMERA_NETWORK.rtspPort}${sub}`,
        lat: rng.near(site.lat, 0.0005),
        lon: rng.near(site.lon, 0.0005),
        placeClass: seat ? 'town_seat' : 'village',
        sessionLimit: rng.int(4, 10),
        commissionedAt: `${rng.date(2018, 2024)}T${pad(rng.int(8, 18), 2)}:${pad(rng.int(0, 59), 2)}:00+08:00`,
      });
    }
  };

  TOWNS.forEach((town, townIndex) => {
    districts.push({
      kind: town.kind,
      name: town.name,
      code: town.code,
      parentCode: COUNTY.code,
      lat: town.lat,
      lon: town.lon,
      networkCidrs: [`${CAMERA_NETWORK.prefix}.${townIndex + 1}.0/24`],
    });
    let nextHost = 11;
    const host = () => {
      if (nextHost > 254) throw new Error(`seed: more than 244 cameras in ${town.name}`);
      return nextHost++;
    };
    let communitySeq = 0;
    let villageSeq = 200;
    for (let p = 0; p < town.policeDistricts; p++) {
      const seat = p === 0;
      const pd: SeedDistrict = {
        kind: 'police_district',
        name: `${town.name}${ORDINALS[p]}警务区`,
        code: `${town.code}-PD${p + 1}`,
        parentCode: town.code,
        lat: rng.near(town.lat, seat ? 0.005 : 0.06),
        lon: rng.near(town.lon, seat ? 0.005 : 0.06),
      };
      districts.push(pd);
      const officer = addStaff('community_officer', pd.code, [1970, 1992]);
      const auxiliaries =
        pd.code === STAFFING_GAP_DISTRICTS.noAuxiliaries
          ? 0
          : pd.code === STAFFING_GAP_DISTRICTS.threeAuxiliaries
            ? 3
            : rng.int(1, 2);
      for (let a = 0; a < auxiliaries; a++) addStaff('auxiliary_police', pd.code, [1985, 2000], officer);

      const communities = townIndex === 0 && seat;
      const communityNames = communities ? rng.shuffle(COMMUNITY_NAMES) : [];
      const units = rng.int(3, 5);
      for (let v = 0; v < units; v++) {
        const village: SeedDistrict = {
          kind: communities ? 'community' : 'village',
          name: communities ? (communityNames[v] as string) : villageName(),
          code: `${town.code}${pad(communities ? ++communitySeq : ++villageSeq, 3)}`,
          parentCode: pd.code,
          lat: rng.near(pd.lat, communities ? 0.01 : 0.03),
          lon: rng.near(pd.lon, communities ? 0.01 : 0.03),
        };
        districts.push(village);
        villages.push(village);
        addStaff('grid_worker', village.code, [1970, 1998]);
        const labels = rng.shuffle(communities ? COMMUNITY_SITES : VILLAGE_SITES);
        const siteCount = rng.int(1, 3);
        for (let s = 0; s < siteCount; s++) {
          const site: SeedDistrict = {
            kind: 'site',
            name: `${village.name}${labels[s]}`,
            code: `${village.code}-${pad(s + 1, 2)}`,
            parentCode: village.code,
            lat: rng.near(village.lat, 0.006),
            lon: rng.near(village.lon, 0.006),
          };
          districts.push(site);
          addCameras(site, townIndex, seat, host);
        }
      }
      const firstUnit = districts.find((d) => d.parentCode === pd.code);
      offices.push({
        districtCode: pd.code,
        name: `${pd.name}警务室`,
        address: `宁夏固原市彭阳县${town.name}${firstUnit?.name ?? ''}`,
        phone: `0954-70${rng.digits(5)}`,
        establishedYear: EARLY_OFFICES[pd.code] ?? 2018,
      });
    }
    // A few of the other "N" forces, at the town/township seat.
    addStaff('judicial_mediator', `${town.code}-PD1`, [1965, 1990]);
    addStaff(
      rng.pick(OTHER_N_ROLES.filter((r) => r !== 'judicial_mediator')),
      `${town.code}-PD1`,
      [1965, 1995],
    );
  });

  // 156 police assistants (警务专干) spread over the villages and communities; a handful past 60.
  const perVillage = Math.floor(POLICE_ASSISTANTS / villages.length);
  const extra = new Set(
    rng.shuffle(villages.map((v) => v.code)).slice(0, POLICE_ASSISTANTS % villages.length),
  );
  const assistantKeys: string[] = [];
  for (const v of villages) {
    const n = perVillage + (extra.has(v.code) ? 1 : 0);
    for (let i = 0; i < n; i++) assistantKeys.push(addStaff('police_assistant', v.code, [1970, 1996]));
  }
  for (const key of rng.shuffle(assistantKeys).slice(0, OVER_AGE_ASSISTANTS)) {
    const a = staff.find((s) => s.key === key);
    if (a) a.birthDate = rng.date(1958, 1963);
  }

  const townships = TOWNS.filter((t) => t.kind === 'township').map((t) => t.code);
  const areas = [
    TOWNS.filter((t) => t.kind === 'town').map((t) => t.code),
    townships.slice(0, 4),
    townships.slice(4),
  ];
  const contracts: SeedContract[] = CONTRACTORS.map((c, i) => ({
    reference: `PYXL-YW-2024-${pad(i + 1, 2)}`,
    contractorKey: c.key,
    validFrom: '2024-01-01',
    validTo: '2027-12-31',
    faultThresholdMinutes: 30,
    slaHoursTownSeat: 24,
    slaHoursVillage: 48,
    areaCodes: areas[i] ?? [],
  }));

  return {
    districts,
    offices,
    staff,
    contractors: CONTRACTORS.map((c) => ({ ...c })),
    contracts,
    cameras,
    users: DEMO_USERS.map((u) => ({ ...u })),
  };
}
