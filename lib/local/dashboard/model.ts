/**
 * The data the dashboard page embeds as JSON, and the names of its parts. The page's script filters and
 * aggregates it in the browser, so every chart and table can follow the date-range and country filters.
 *
 * Money is kept in integer cents end to end: sums in the browser are then exact, and the totals shown can
 * be compared digit for digit with the warehouse's.
 *
 * Large repeated values (dates, countries, artists) are dictionary-encoded: rows hold indexes into
 * `dates`, `countries` and `artists`.
 */

import type { EnrichmentPanelsData } from './enrichment-model';
import type { ListeningPanelsData } from './listening-model';

/** Country code shown when a sale's user version does not resolve (a broken foreign key). */
export const UNKNOWN_COUNTRY = '??';
/** Artist name shown when a sale's artist does not resolve. */
export const UNKNOWN_ARTIST = '(unknown artist)';

/**
 * One cell of the sales cube: `[dateIndex, countryIndex, artistIndex, revenueCents, items]`, where the
 * country is the buyer's at purchase time.
 */
export type SalesCell = readonly [number, number, number, number, number];

/**
 * Hourly KPIs of one hour: `[dateIndex, hour, countryIndex, uniqueBuyers, itemsSold, revenueCents,
 * topArtistIndex, trackDiversityIndex]`. `countryIndex` -1 means all countries (the rows of
 * `hourly_kpis_vw` itself); other rows are the same KPIs restricted to one country, so that the country
 * filter stays exact for measures that cannot be added up (unique buyers, top artist, diversity).
 */
export type HourlyCell = readonly [number, number, number, number, number, number, number, number];

export type QualityStatus = 'passed' | 'warned' | 'failed';

export interface QualityRule {
  readonly rule: string;
  readonly table: string;
  readonly column?: string;
  readonly severity: string;
  readonly status: QualityStatus;
  readonly failingRows: number;
  readonly threshold: string;
  /** Up to five failing keys, as compact JSON text (kept for rules that did not pass). */
  readonly sampleFailingKeys: readonly string[];
  readonly error?: string;
}

/** One data-quality result document (one run date and stage). */
export interface QualityRun {
  readonly runDate: string;
  readonly stage: string;
  readonly status: QualityStatus;
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly passed: number;
  readonly warned: number;
  readonly failed: number;
  /** Only the rules that did not pass (the passed ones are counted above). */
  readonly problems: readonly QualityRule[];
}

/** Rows a transform-zone table holds for one ingest date. */
export interface TransformRowCount {
  readonly date: string;
  readonly table: string;
  readonly rows: number;
}

/** A comparison of the dashboard's sales cube with a BI view (or the fact table). */
export interface ConsistencyCheck {
  readonly name: string;
  readonly ok: boolean;
  readonly detail: string;
}

export interface DashboardData {
  readonly schemaVersion: 1;
  readonly title: string;
  /** ISO timestamp of the build. */
  readonly generatedAt: string;
  /** Where the numbers came from, in words (the DuckDB file, or the Redshift workgroup). */
  readonly source: string;
  readonly currency: string;
  /** Sorted ISO dates (YYYY-MM-DD) of sales. */
  readonly dates: readonly string[];
  /** Sorted country codes. */
  readonly countries: readonly string[];
  readonly artists: readonly string[];
  readonly sales: readonly SalesCell[];
  readonly hourly: readonly HourlyCell[];
  readonly transformRowCounts: readonly TransformRowCount[];
  readonly quality: readonly QualityRun[];
  /** The artist-enrichment BI views (empty when the serving layer has none yet). */
  readonly enrichment: EnrichmentPanelsData;
  /** The listening BI views of the latest days (empty when the serving layer has none yet). */
  readonly listening: ListeningPanelsData;
  /**
   * The sales the panels hold day by day: from the first of a month (`months` calendar months back) to
   * the newest sale; null before the first sale. `firstSale` is the oldest sale the fact holds.
   */
  readonly salesWindow: {
    readonly from: string | null;
    readonly to: string | null;
    readonly months: number;
    readonly firstSale: string | null;
  };
  readonly checks: readonly ConsistencyCheck[];
  /** Things the reader should know (e.g. a part that could not be read), shown on the page. */
  readonly notes: readonly string[];
}

/** The filters a reader sets on the page. Dates are inclusive ISO dates; null means unbounded / all. */
export interface DashboardFilter {
  readonly from: string | null;
  readonly to: string | null;
  readonly country: string | null;
}

export const NO_FILTER: DashboardFilter = { from: null, to: null, country: null };

/** Totals over the whole warehouse, returned by the build and shown on the page. */
export interface DashboardTotals {
  readonly revenueCents: number;
  readonly items: number;
  readonly artists: number;
  readonly countries: number;
  readonly days: number;
}
