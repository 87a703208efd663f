/**
 * A month's report as it is kept: the figures at generation time, in the shape GET /availability gives them
 * (time buckets in ms plus the rates), for the county, each town and police district (worst first), each day,
 * and the contractors' SLA. Pure: the figures are read elsewhere (snapshot-reads.ts).
 */
import { type Availability, type Rates, rates } from '../health/availability.js';
import { EFFECTIVE_TARGET } from '../health/types.js';
import type { ContractorFigures } from '../tickets/rules.js';

export type RatedFigures = Availability & Rates;

export interface AreaFigures {
  nodeId: string;
  name: string;
  /** the town or township above a police district; null for the county and towns */
  parentName: string | null;
  cameras: number;
  figures: RatedFigures;
  /** null: nothing was scheduled, so there is nothing to hold to the target */
  meetsTarget: boolean | null;
}

export interface DayFigures {
  day: string;
  figures: RatedFigures;
  meetsTarget: boolean | null;
}

export interface ContractorRow extends ContractorFigures {
  contractorId: string;
  contractorName: string;
}

export interface MonthlySnapshot {
  month: string;
  timeZone: string;
  /** the month as instants (ISO 8601): the first local midnight to the next month's */
  from: string;
  to: string;
  target: number;
  county: AreaFigures;
  towns: AreaFigures[];
  policeDistricts: AreaFigures[];
  days: DayFigures[];
  contractors: ContractorRow[];
}

export function rated(figures: Availability): RatedFigures {
  return { ...figures, ...rates(figures) };
}

export function meetsTarget(figures: Rates): boolean | null {
  return figures.effectiveRate === null ? null : figures.effectiveRate >= EFFECTIVE_TARGET;
}

export interface NodeMonth {
  nodeId: string;
  name: string;
  parentName: string | null;
  cameras: number;
  total: Availability;
}

export function areaFigures(node: NodeMonth): AreaFigures {
  const figures = rated(node.total);
  return {
    nodeId: node.nodeId,
    name: node.name,
    parentName: node.parentName,
    cameras: node.cameras,
    figures,
    meetsTarget: meetsTarget(figures),
  };
}

export function dayFigures(byDay: readonly { day: string; figures: Availability }[]): DayFigures[] {
  return byDay.map(({ day, figures }) => {
    const withRates = rated(figures);
    return { day, figures: withRates, meetsTarget: meetsTarget(withRates) };
  });
}
