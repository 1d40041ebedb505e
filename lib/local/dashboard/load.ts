/**
 * Reads everything the dashboard shows: the BI views and a sales cube from the warehouse (through the
 * `Warehouse` interface, so DuckDB locally and Redshift through the Data API alike), and the data-quality
 * result documents from the results bucket (through the `ObjectStore` interface).
 */
import type { ObjectStore } from '../../../lambdas/shared/object-store';
import { QUALITY_RESULTS_PREFIX, TRANSFORM_SCHEMA } from '../../../lambdas/shared/platform-names';
import type { Row, Warehouse } from '../../../lambdas/shared/warehouse';
import { ResultDocumentSchema } from '../../../lambdas/data-quality/result-document';
import type {
  ConsistencyCheck,
  DashboardData,
  HourlyCell,
  QualityRule,
  QualityRun,
  SalesCell,
  TransformRowCount,
} from './model';
import {
  COUNTED_TRANSFORM_TABLES,
  factTotalsOf,
  factTotalsSql,
  firstWholeYear,
  hourlyByCountrySql,
  hourlyViewSql,
  SALE_DATES_SQL,
  salesCubeSql,
  salesPerArtistViewSql,
  salesPerCountryViewSql,
  SERVING_RELATIONS,
  SERVING_RELATIONS_SQL,
  transformRowCountsSql,
} from './sql';
import { loadEnrichmentPanels } from './enrichment';
import { loadListeningPanels } from './listening';
import { count, decimal, messageOf, text } from './values';

const RESULT_KEY = new RegExp(
  `^${QUALITY_RESULTS_PREFIX}/run_date=(\\d{4}-\\d{2}-\\d{2})/([A-Za-z0-9_-]+)\\.json$`,
);

export interface LoadDashboardOptions {
  readonly warehouse: Warehouse;
  /** The bucket (or local directory) holding `dq-results/`; without it the quality panel says so. */
  readonly resultsStore?: ObjectStore;
  /** Where the numbers come from, in words, shown on the page. */
  readonly source: string;
  /** @default 'DeFtunes sales dashboard' */
  readonly title?: string;
  /** @default now */
  readonly generatedAt?: Date;
  /**
   * The calendar months of sales the page holds day by day: the newest sale's month and the ones before
   * it, so the page keeps the same size whatever the history (issue 17).
   * @default SALES_WINDOW_MONTHS (2)
   */
  readonly salesWindowMonths?: number;
}

/** Calendar months of sales the page holds by default: 29 to 62 days. */
export const SALES_WINDOW_MONTHS = 2;

/** The first day of the window: the first of the month `months - 1` months before `lastDay`'s. */
export function salesWindowStart(lastDay: string, months: number): string {
  const [year, month] = lastDay.split('-').map(Number);
  const index = year! * 12 + (month! - 1) - (months - 1);
  return `${String(Math.floor(index / 12)).padStart(4, '0')}-${String((index % 12) + 1).padStart(2, '0')}-01`;
}

export async function loadDashboardData(options: LoadDashboardOptions): Promise<DashboardData> {
  const { warehouse } = options;
  const notes: string[] = [];
  const ask = async (what: string, sql: string): Promise<Row[]> => {
    try {
      return await warehouse.query(sql);
    } catch (error: unknown) {
      throw new Error(`dashboard: reading ${what} failed: ${messageOf(error)}`, { cause: error });
    }
  };

  // Before the first successful serving load (e.g. the first run stopped at the transform gate) the serving
  // relations do not exist: the page then still shows the quality results that explain why.
  const present = new Set(
    (await ask('the serving schema', SERVING_RELATIONS_SQL)).map((row) => text(row.table_name, 'table_name')),
  );
  const missing = SERVING_RELATIONS.filter((name) => !present.has(name));
  const served = missing.length === 0;
  if (!served) {
    notes.push(
      `The serving layer has no ${missing.join(', ')} yet (no serving load has succeeded), so the sales panels are empty.`,
    );
  }
  const askServed = (what: string, sql: string) => (served ? ask(what, sql) : Promise.resolve([]));
  const months = options.salesWindowMonths ?? SALES_WINDOW_MONTHS;
  if (!Number.isInteger(months) || months < 1)
    throw new Error(
      `dashboard: salesWindowMonths must be a whole number of months, at least 1, got ${months}`,
    );
  const [saleDates] = await askServed('the sale dates (fact_session_items)', SALE_DATES_SQL);
  const dayOf = (value: unknown, column: string) =>
    value === null || value === undefined ? null : text(value, column);
  const firstSale = dayOf(saleDates?.first_day, 'first_day');
  const lastSale = dayOf(saleDates?.last_day, 'last_day');
  const windowStart = lastSale === null ? null : salesWindowStart(lastSale, months);
  // Every sales panel reads the window only; nothing to read before the first sale.
  const inWindow = (what: string, sqlOf: (first: string) => string) =>
    windowStart === null ? Promise.resolve([]) : ask(what, sqlOf(windowStart));
  const salesRows = await inWindow(
    'the sales cube (fact_session_items, dim_users, dim_artists)',
    salesCubeSql,
  );
  const hourlyViewRows = await inWindow('hourly_kpis_vw', hourlyViewSql);
  const hourlyCountryRows = await inWindow('hourly KPIs per country', hourlyByCountrySql);
  const artistViewRows = await inWindow('sales_per_artist_vw', salesPerArtistViewSql);
  const countryViewRows = await inWindow('sales_per_country_vw', salesPerCountryViewSql);
  const [factTotals] = await inWindow('fact_session_items totals', factTotalsSql);

  const transformRowCounts: TransformRowCount[] = [];
  for (const table of COUNTED_TRANSFORM_TABLES) {
    try {
      // Before the first sale is served there is no window: every ingest date (no history served yet).
      for (const row of await warehouse.query(transformRowCountsSql(table, windowStart ?? undefined))) {
        transformRowCounts.push({
          date: text(row.ingest_on, 'ingest_on'),
          table,
          rows: count(row.row_count, 'row_count'),
        });
      }
    } catch (error: unknown) {
      notes.push(`Rows per day of ${TRANSFORM_SCHEMA}.${table} could not be read: ${messageOf(error)}`);
    }
  }

  const dictionary = new Dictionaries();
  const sales: SalesCell[] = salesRows.map((row) => [
    dictionary.date(text(row.session_date, 'session_date')),
    dictionary.country(text(row.country_code, 'country_code')),
    dictionary.artist(text(row.artist_name, 'artist_name')),
    count(row.revenue_cents, 'revenue_cents'),
    count(row.items, 'items'),
  ]);
  const hourlyCell = (row: Row, countryIndex: number): HourlyCell => [
    dictionary.date(text(row.session_date, 'session_date')),
    count(row.session_hour, 'session_hour'),
    countryIndex,
    count(row.unique_buyers, 'unique_buyers'),
    count(row.items_sold, 'items_sold'),
    count(row.revenue_cents, 'revenue_cents'),
    row.top_artist === null || row.top_artist === undefined
      ? -1
      : dictionary.artist(text(row.top_artist, 'top_artist')),
    decimal(row.track_diversity_index, 'track_diversity_index'),
  ];
  const hourly: HourlyCell[] = [
    ...hourlyViewRows.map((row) => hourlyCell(row, -1)),
    ...hourlyCountryRows.map((row) =>
      hourlyCell(row, dictionary.country(text(row.country_code, 'country_code'))),
    ),
  ];

  let quality: QualityRun[] = [];
  if (options.resultsStore === undefined) {
    notes.push('No data-quality results store was given, so the quality panel is empty.');
  } else {
    quality = await loadQualityRuns(options.resultsStore, notes, windowStart ?? undefined);
  }

  const enrichment = await loadEnrichmentPanels(ask, present, notes);
  const listening = await loadListeningPanels(ask, present, notes);
  const encoded = dictionary.encode(sales, hourly);
  const checks =
    !served || windowStart === null
      ? []
      : consistencyChecks({
          dates: encoded.dates,
          countries: encoded.countries,
          artists: encoded.artists,
          sales: encoded.sales,
          hourly: encoded.hourly,
          artistViewRows,
          countryViewRows,
          factTotals,
          windowStart,
          notes,
        });
  return {
    schemaVersion: 1,
    title: options.title ?? 'DeFtunes sales dashboard',
    generatedAt: (options.generatedAt ?? new Date()).toISOString(),
    source: options.source,
    currency: 'USD',
    ...encoded,
    transformRowCounts: transformRowCounts.sort((a, b) => (a.date + a.table < b.date + b.table ? -1 : 1)),
    quality,
    enrichment: enrichment.data,
    listening: listening.data,
    salesWindow: { from: windowStart, to: lastSale, months, firstSale },
    checks: [...checks, ...enrichment.checks, ...listening.checks],
    notes,
  };
}

/**
 * Reads and validates the result documents under `dq-results/` of the run dates from `first` on (every one
 * without it); an unreadable one becomes a note.
 */
export async function loadQualityRuns(
  store: ObjectStore,
  notes: string[],
  first?: string,
): Promise<QualityRun[]> {
  const runs: QualityRun[] = [];
  for (const key of await store.list(`${QUALITY_RESULTS_PREFIX}/`)) {
    const match = RESULT_KEY.exec(key);
    if (match === null || (first !== undefined && match[1]! < first)) continue;
    let json: unknown;
    try {
      json = JSON.parse((await store.getObject(key)).toString('utf8'));
    } catch (error: unknown) {
      notes.push(`Quality result ${key} is not readable JSON: ${messageOf(error)}`);
      continue;
    }
    const parsed = ResultDocumentSchema.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      notes.push(
        `Quality result ${key} does not match the result document shape: ${issue.path.join('.') || '(root)'}: ${issue.message}`,
      );
      continue;
    }
    const document = parsed.data;
    if (document.run_date !== match[1] || document.stage !== match[2]) {
      notes.push(
        `Quality result ${key} holds run_date ${document.run_date}, stage ${document.stage}; skipped`,
      );
      continue;
    }
    const problems: QualityRule[] = document.rules
      .filter((rule) => rule.status !== 'passed')
      .map((rule) => ({
        rule: rule.rule,
        table: rule.table,
        ...(rule.column === undefined ? {} : { column: rule.column }),
        severity: rule.severity,
        status: rule.status,
        failingRows: rule.failing_rows,
        threshold: rule.threshold,
        sampleFailingKeys: rule.sample_failing_keys.slice(0, 5).map((keys) => JSON.stringify(keys)),
        ...(rule.error === undefined ? {} : { error: rule.error }),
      }));
    runs.push({
      runDate: document.run_date,
      stage: document.stage,
      status: document.status,
      startedAt: document.started_at,
      finishedAt: document.finished_at,
      passed: document.rules.filter((rule) => rule.status === 'passed').length,
      warned: document.rules.filter((rule) => rule.status === 'warned').length,
      failed: document.rules.filter((rule) => rule.status === 'failed').length,
      problems,
    });
  }
  return runs;
}

interface CheckInputs extends Pick<DashboardData, 'dates' | 'countries' | 'artists' | 'sales' | 'hourly'> {
  readonly artistViewRows: readonly Row[];
  readonly countryViewRows: readonly Row[];
  /** The fact's totals over the window. */
  readonly factTotals: Row | undefined;
  /** The first day of the window (the first of a month): the page's sales start there. */
  readonly windowStart: string;
  /** Where a comparison the window does not allow is said. */
  readonly notes: string[];
}

/**
 * Compares the cube the page aggregates with the BI views and the fact table over the window, so a page
 * that disagrees with the warehouse says so instead of quietly showing other numbers. The window starts
 * on the first of a month and ends with the newest sale, so it holds its months whole; a year only when
 * the window starts on its first of January (the yearly view is compared on those years only).
 */
export function consistencyChecks(inputs: CheckInputs): ConsistencyCheck[] {
  const { dates, countries, artists, sales, windowStart } = inputs;
  const checks: ConsistencyCheck[] = [];

  const cubeRevenue = sales.reduce((sum, cell) => sum + cell[3], 0);
  const cubeItems = sales.reduce((sum, cell) => sum + cell[4], 0);
  const fact = factTotalsOf(inputs.factTotals);
  checks.push({
    name: 'fact_session_items totals',
    ok: cubeRevenue === fact.cents && cubeItems === fact.items,
    detail: `fact table from ${windowStart}: ${fact.items} items, ${fact.cents} cents; dashboard: ${cubeItems} items, ${cubeRevenue} cents`,
  });

  const wholeFrom = firstWholeYear(windowStart);
  const byArtistYear = new Map<string, number>();
  const byCountryMonth = new Map<string, number>();
  for (const [date, country, artist, cents] of sales) {
    const year = Number(dates[date].slice(0, 4));
    const month = Number(dates[date].slice(5, 7));
    if (year >= wholeFrom) add(byArtistYear, `${year} / ${artists[artist]}`, cents);
    add(byCountryMonth, `${year}-${String(month).padStart(2, '0')} / ${countries[country]}`, cents);
  }
  const artistView = new Map<string, number>();
  for (const row of inputs.artistViewRows) {
    const year = count(row.session_year, 'session_year');
    if (year < wholeFrom) continue;
    add(
      artistView,
      `${year} / ${text(row.artist_name, 'artist_name')}`,
      count(row.revenue_cents, 'revenue_cents'),
    );
  }
  if (artistView.size > 0 || byArtistYear.size > 0) {
    checks.push(compareMaps('sales_per_artist_vw (year, artist)', artistView, byArtistYear));
  } else {
    inputs.notes.push(
      `sales_per_artist_vw is compared on whole years only, and the page's sales start on ${windowStart}: the serving rule bi_sales_per_artist_total_matches_fact checks that view against the fact every run.`,
    );
  }

  const countryView = new Map<string, number>();
  for (const row of inputs.countryViewRows) {
    const month = String(count(row.session_month, 'session_month')).padStart(2, '0');
    add(
      countryView,
      `${count(row.session_year, 'session_year')}-${month} / ${text(row.country_code, 'country_code')}`,
      count(row.revenue_cents, 'revenue_cents'),
    );
  }
  checks.push(compareMaps('sales_per_country_vw (month, country)', countryView, byCountryMonth));

  const viewHourly = new Map<string, number>();
  const countryHourly = new Map<string, number>();
  for (const cell of inputs.hourly) {
    const key = `${dates[cell[0]]} ${String(cell[1]).padStart(2, '0')}h`;
    add(cell[2] < 0 ? viewHourly : countryHourly, `${key} revenue`, cell[5]);
    add(cell[2] < 0 ? viewHourly : countryHourly, `${key} items`, cell[4]);
  }
  checks.push(
    compareMaps('hourly_kpis_vw (revenue and items per hour)', viewHourly, countryHourly, 'hourly figures'),
  );
  return checks;
}

function compareMaps(
  name: string,
  view: Map<string, number>,
  cube: Map<string, number>,
  noun = 'rows',
): ConsistencyCheck {
  const keys = new Set([...view.keys(), ...cube.keys()]);
  const differences: string[] = [];
  for (const key of [...keys].sort()) {
    const expected = view.get(key) ?? 0;
    const actual = cube.get(key) ?? 0;
    if (expected !== actual) differences.push(`${key}: view ${expected}, fact ${actual}`);
  }
  return differences.length === 0
    ? { name, ok: true, detail: `${view.size} ${noun} agree with the fact table` }
    : {
        name,
        ok: false,
        detail: `${differences.length} of ${keys.size} ${noun} differ from the fact table, e.g. ${differences.slice(0, 3).join('; ')}`,
      };
}

function add(map: Map<string, number>, key: string, value: number): void {
  map.set(key, (map.get(key) ?? 0) + value);
}

/** Builds the sorted dictionaries and rewrites the cells' provisional indexes into sorted ones. */
class Dictionaries {
  private readonly dates = new Map<string, number>();
  private readonly countries = new Map<string, number>();
  private readonly artists = new Map<string, number>();

  date(value: string): number {
    return indexIn(this.dates, value);
  }
  country(value: string): number {
    return indexIn(this.countries, value);
  }
  artist(value: string): number {
    return indexIn(this.artists, value);
  }

  encode(
    sales: readonly SalesCell[],
    hourly: readonly HourlyCell[],
  ): {
    dates: string[];
    countries: string[];
    artists: string[];
    sales: SalesCell[];
    hourly: HourlyCell[];
  } {
    const [dates, dateMap] = sortedDictionary(this.dates);
    const [countries, countryMap] = sortedDictionary(this.countries);
    const [artists, artistMap] = sortedDictionary(this.artists);
    return {
      dates,
      countries,
      artists,
      sales: sales.map(([date, country, artist, revenue, items]) => [
        dateMap[date],
        countryMap[country],
        artistMap[artist],
        revenue,
        items,
      ]),
      hourly: hourly.map(([date, hour, country, buyers, items, revenue, artist, diversity]) => [
        dateMap[date],
        hour,
        country < 0 ? -1 : countryMap[country],
        buyers,
        items,
        revenue,
        artist < 0 ? -1 : artistMap[artist],
        diversity,
      ]),
    };
  }
}

function indexIn(map: Map<string, number>, value: string): number {
  let index = map.get(value);
  if (index === undefined) {
    index = map.size;
    map.set(value, index);
  }
  return index;
}

/** The values sorted, and for each provisional index its sorted index. */
function sortedDictionary(map: Map<string, number>): [string[], number[]] {
  const values = [...map.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const remap: number[] = new Array<number>(map.size);
  values.forEach((value, sortedIndex) => {
    remap[map.get(value) as number] = sortedIndex;
  });
  return [values, remap];
}
