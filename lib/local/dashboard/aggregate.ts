/**
 * Filtering and aggregation of the embedded dashboard data. Pure functions with no DOM and no Node: the
 * page's script runs them in the browser on every filter change, and the unit tests run them in Node.
 */
import { QUALITY_STAGES } from '../../../lambdas/shared/platform-names';
import type {
  DashboardData,
  DashboardFilter,
  DashboardTotals,
  HourlyCell,
  QualityRun,
  SalesCell,
  TransformRowCount,
} from './model';

export interface ArtistSales {
  readonly artist: string;
  readonly revenueCents: number;
  readonly items: number;
}

export interface CountryMonthSales {
  readonly month: string;
  readonly country: string;
  readonly revenueCents: number;
  readonly items: number;
}

export interface CountryMonthMatrix {
  /** Months (YYYY-MM), ascending. */
  readonly months: readonly string[];
  /** Countries by revenue, largest first (ties by code). */
  readonly countries: readonly string[];
  /** Revenue in cents, `revenue[countryIndex][monthIndex]`. */
  readonly revenue: readonly (readonly number[])[];
  /** One row per month and country that had sales, by month then revenue. */
  readonly rows: readonly CountryMonthSales[];
}

export interface HourlyKpi {
  readonly date: string;
  readonly hour: number;
  readonly uniqueBuyers: number;
  readonly itemsSold: number;
  readonly revenueCents: number;
  readonly topArtist: string;
  readonly trackDiversityIndex: number;
}

export interface DailyRowCounts {
  readonly date: string;
  /** Rows of fact_session_items (items sold) that day, within the country filter. */
  readonly factRows: number;
  /** Rows per transform table ingested that day (all countries); absent when none were read. */
  readonly transform: Readonly<Record<string, number>>;
}

/** Whether an ISO date lies within the filter's inclusive range (string comparison is exact for ISO dates). */
export function inDateRange(date: string, filter: DashboardFilter): boolean {
  return (filter.from === null || date >= filter.from) && (filter.to === null || date <= filter.to);
}

/** The sales cells inside the filter. */
export function filterSales(data: DashboardData, filter: DashboardFilter): SalesCell[] {
  const countryIndex = filter.country === null ? -1 : data.countries.indexOf(filter.country);
  if (filter.country !== null && countryIndex < 0) return [];
  return data.sales.filter(
    (cell) => (countryIndex < 0 || cell[1] === countryIndex) && inDateRange(data.dates[cell[0]], filter),
  );
}

export function totalsOf(cells: readonly SalesCell[]): DashboardTotals {
  let revenueCents = 0;
  let items = 0;
  const artists = new Set<number>();
  const countries = new Set<number>();
  const days = new Set<number>();
  for (const [date, country, artist, revenue, count] of cells) {
    revenueCents += revenue;
    items += count;
    artists.add(artist);
    countries.add(country);
    days.add(date);
  }
  return { revenueCents, items, artists: artists.size, countries: countries.size, days: days.size };
}

/** Artists by revenue, largest first (ties by name), at most `limit` of them. */
export function topArtists(data: DashboardData, cells: readonly SalesCell[], limit: number): ArtistSales[] {
  const revenue = new Map<number, number>();
  const items = new Map<number, number>();
  for (const [, , artist, cents, count] of cells) {
    revenue.set(artist, (revenue.get(artist) ?? 0) + cents);
    items.set(artist, (items.get(artist) ?? 0) + count);
  }
  return [...revenue.keys()]
    .map((artist) => ({
      artist: data.artists[artist],
      revenueCents: revenue.get(artist) ?? 0,
      items: items.get(artist) ?? 0,
    }))
    .sort((a, b) => b.revenueCents - a.revenueCents || compareText(a.artist, b.artist))
    .slice(0, Math.max(0, limit));
}

/** Revenue per month and buyer country. */
export function revenueByCountryAndMonth(
  data: DashboardData,
  cells: readonly SalesCell[],
): CountryMonthMatrix {
  const byKey = new Map<string, { month: string; country: string; revenueCents: number; items: number }>();
  const countryRevenue = new Map<string, number>();
  for (const [date, countryIndex, , cents, count] of cells) {
    const month = data.dates[date].slice(0, 7);
    const country = data.countries[countryIndex];
    const key = `${month}|${country}`;
    const entry = byKey.get(key) ?? { month, country, revenueCents: 0, items: 0 };
    entry.revenueCents += cents;
    entry.items += count;
    byKey.set(key, entry);
    countryRevenue.set(country, (countryRevenue.get(country) ?? 0) + cents);
  }
  const months = [...new Set([...byKey.values()].map((entry) => entry.month))].sort();
  const countries = [...countryRevenue.keys()].sort(
    (a, b) => (countryRevenue.get(b) ?? 0) - (countryRevenue.get(a) ?? 0) || compareText(a, b),
  );
  const revenue = countries.map((country) =>
    months.map((month) => byKey.get(`${month}|${country}`)?.revenueCents ?? 0),
  );
  const rows = [...byKey.values()].sort(
    (a, b) =>
      compareText(a.month, b.month) || b.revenueCents - a.revenueCents || compareText(a.country, b.country),
  );
  return { months, countries, revenue, rows };
}

/**
 * Hourly KPIs inside the filter: the `hourly_kpis_vw` rows for all countries, or the same KPIs computed
 * for the one country selected.
 */
export function hourlyKpis(data: DashboardData, filter: DashboardFilter): HourlyKpi[] {
  const countryIndex = filter.country === null ? -1 : data.countries.indexOf(filter.country);
  if (filter.country !== null && countryIndex < 0) return [];
  return data.hourly
    .filter((cell: HourlyCell) => cell[2] === countryIndex && inDateRange(data.dates[cell[0]], filter))
    .map((cell) => ({
      date: data.dates[cell[0]],
      hour: cell[1],
      uniqueBuyers: cell[3],
      itemsSold: cell[4],
      revenueCents: cell[5],
      topArtist: cell[6] < 0 ? '' : data.artists[cell[6]],
      trackDiversityIndex: cell[7],
    }))
    .sort((a, b) => compareText(a.date, b.date) || a.hour - b.hour);
}

/**
 * Rows per day: the fact table's (within the filter) and, when no country is selected, the transform
 * tables' rows by ingest date (those tables have no buyer country).
 */
export function rowCountsPerDay(
  data: DashboardData,
  cells: readonly SalesCell[],
  filter: DashboardFilter,
): DailyRowCounts[] {
  const days = new Map<string, { date: string; factRows: number; transform: Record<string, number> }>();
  const dayOf = (date: string) => {
    let day = days.get(date);
    if (day === undefined) {
      day = { date, factRows: 0, transform: {} };
      days.set(date, day);
    }
    return day;
  };
  for (const [date, , , , count] of cells) dayOf(data.dates[date]).factRows += count;
  if (filter.country === null) {
    for (const count of data.transformRowCounts) {
      if (!inDateRange(count.date, filter)) continue;
      const day = dayOf(count.date);
      day.transform[count.table] = (day.transform[count.table] ?? 0) + count.rows;
    }
  }
  return [...days.values()].sort((a, b) => compareText(a.date, b.date));
}

/** Transform table names present in the data: sessions, users, songs first (the order a reader compares them in). */
export function transformTables(counts: readonly TransformRowCount[]): string[] {
  const preferred = ['sessions', 'users', 'songs'];
  const rank = (table: string) => (preferred.includes(table) ? preferred.indexOf(table) : preferred.length);
  return [...new Set(counts.map((count) => count.table))].sort(
    (a, b) => rank(a) - rank(b) || compareText(a, b),
  );
}

/** Quality runs whose run date is inside the filter, by run date then stage (transform before serving). */
export function qualityRuns(data: DashboardData, filter: DashboardFilter): QualityRun[] {
  const stageOrder = (stage: string) => {
    const rank = QUALITY_STAGES.findIndex((candidate) => candidate === stage);
    return rank < 0 ? QUALITY_STAGES.length : rank;
  };
  return data.quality
    .filter((run) => inDateRange(run.runDate, filter))
    .slice()
    .sort(
      (a, b) =>
        compareText(a.runDate, b.runDate) ||
        stageOrder(a.stage) - stageOrder(b.stage) ||
        compareText(a.stage, b.stage),
    );
}

/** The first and last date any part of the data covers, or null when there is no data at all. */
export function dataDateRange(data: DashboardData): { from: string; to: string } | null {
  const all = [
    ...data.dates,
    ...data.quality.map((run) => run.runDate),
    ...data.transformRowCounts.map((count) => count.date),
    ...data.listening.days,
  ].sort();
  return all.length === 0 ? null : { from: all[0], to: all[all.length - 1] };
}

/** Formats cents as currency, e.g. `$1,234.56`; exact for any amount below 2^53 cents. */
export function formatMoney(cents: number, currency = 'USD'): string {
  const negative = cents < 0;
  const absolute = Math.abs(Math.round(cents));
  const units = Math.floor(absolute / 100);
  const fraction = String(absolute % 100).padStart(2, '0');
  const symbol = currency === 'USD' ? '$' : `${currency} `;
  return `${negative ? '-' : ''}${symbol}${formatInteger(units)}.${fraction}`;
}

/** Formats an integer with thousands separators, e.g. `12,345`. */
export function formatInteger(value: number): string {
  const digits = String(Math.trunc(Math.abs(value)));
  const grouped = digits.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return value < 0 ? `-${grouped}` : grouped;
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
