import { Gauge, type Registry } from 'prom-client';
import type { Queryable } from '../db.js';
import type { ScrapeReads } from '../metrics-read.js';
import { type LiveShares, liveShares, type StateCount, sharesBy } from './live-shares.js';
import { EFFECTIVE_TARGET, HEALTH_STATES } from './types.js';

interface PlaceCount extends StateCount {
  town: string;
  district: string;
  /** commissioned by now: counted in the rates (a camera still being installed is only counted by state) */
  live: boolean;
}

/**
 * The county's cameras now, read from the stored health at each scrape: by state per town, and the online and
 * effective shares of the county, each town and each police district (labelled by code). Label sets are
 * bounded by the tree (a county has tens of towns and police districts); every gauge is rebuilt at each
 * scrape, so a deleted or renamed town or district loses its series at once.
 */
export function registerHealthGauges(registry: Registry, db: Queryable, reads: ScrapeReads): void {
  const read = reads.shared('camera_health', async () => {
    const { rows } = await db.query<PlaceCount>(
      `SELECT t.code AS town, p.code AS district, COALESCE(h.state, 'unknown') AS state, h.reason,
              c.commissioned_at <= now() AS live, count(*)::int AS n
         FROM cameras c
         JOIN districts s ON s.id = c.site_id
         JOIN districts t ON t.id = s.ancestors[2]
         JOIN districts p ON p.id = s.ancestors[3]
         LEFT JOIN camera_health h ON h.camera_id = c.id
        WHERE c.retired_at IS NULL
        GROUP BY 1, 2, 3, 4, 5`,
    );
    return rows;
  });
  const counted = async () => (await read())?.filter((r) => r.live) ?? null;

  new Gauge({
    name: 'xueliang_cameras',
    help: 'Active cameras by health state and town (code)',
    labelNames: ['town', 'state'] as const,
    registers: [registry],
    async collect() {
      const rows = await read();
      this.reset();
      if (!rows) return;
      for (const town of new Set(rows.map((r) => r.town))) {
        for (const state of HEALTH_STATES) this.set({ town, state }, 0);
      }
      for (const r of rows) this.inc({ town: r.town, state: r.state }, r.n);
    },
  });

  const countyRatio = (name: string, part: keyof LiveShares) =>
    new Gauge({
      name,
      help: `Share of the county's counted cameras that are ${part} now (0..1)`,
      registers: [registry],
      async collect() {
        const rows = await counted();
        this.reset();
        const share = rows ? liveShares(rows)[part] : null;
        if (share !== null) this.set(share);
      },
    });
  const townRatio = (name: string, part: keyof LiveShares) =>
    new Gauge({
      name,
      help: `Share of a town's counted cameras that are ${part} now (0..1), by town code`,
      labelNames: ['town'] as const,
      registers: [registry],
      async collect() {
        const rows = await counted();
        this.reset();
        for (const [town, shares] of sharesBy(rows ?? [], 'town')) {
          const share = shares[part];
          if (share !== null) this.set({ town }, share);
        }
      },
    });
  countyRatio('xueliang_county_effective_ratio', 'effective');
  countyRatio('xueliang_county_online_ratio', 'online');
  townRatio('xueliang_town_effective_ratio', 'effective');
  townRatio('xueliang_town_online_ratio', 'online');

  new Gauge({
    name: 'xueliang_police_district_effective_ratio',
    help: "Share of a police district's counted cameras that are effective now (0..1), by town and district code",
    labelNames: ['town', 'district'] as const,
    registers: [registry],
    async collect() {
      const rows = await counted();
      this.reset();
      const townOf = new Map((rows ?? []).map((r) => [r.district, r.town]));
      for (const [district, shares] of sharesBy(rows ?? [], 'district')) {
        if (shares.effective !== null) {
          this.set({ town: townOf.get(district) ?? '', district }, shares.effective);
        }
      }
    },
  });

  new Gauge({
    name: 'xueliang_effective_target_ratio',
    help: 'The effective rate the county must hold (视频监控设施有效率 ≥ 95%)',
    registers: [registry],
  }).set(EFFECTIVE_TARGET);
}
