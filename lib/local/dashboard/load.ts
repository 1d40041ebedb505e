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
  FACT_TOTALS_SQL,
  HOURLY_BY_COUNTRY_SQL,
  HOURLY_VIEW_SQL,
  SALES_CUBE_SQL,
  SALES_PER_ARTIST_VIEW_SQL,
  SALES_PER_COUNTRY_VIEW_SQL,
  SERVING_RELATIONS,
  SERVING_RELATIONS_SQL,
  COUNTED_TRANSFORM_TABLES,
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
  const salesRows = await askServed(
    'the sales cube (fact_session_items, dim_users, dim_artists)',
    SALES_CUBE_SQL,
  );
  const hourlyViewRows = await askServed('hourly_kpis_vw', HOURLY_VIEW_SQL);
  const hourlyCountryRows = await askServed('hourly KPIs per country', HOURLY_BY_COUNTRY_SQL);
  const artistViewRows = await askServed('sales_per_artist_vw', SALES_PER_ARTIST_VIEW_SQL);
  const countryViewRows = await askServed('sales_per_country_vw', SALES_PER_COUNTRY_VIEW_SQL);
  const [factTotals] = await askServed('fact_session_items totals', FACT_TOTALS_SQL);

  const transformRowCounts: TransformRowCount[] = [];
  for (const table of COUNTED_TRANSFORM_TABLES) {
    try {
      for (const row of await warehouse.query(transformRowCountsSql(table))) {
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
    quality = await loadQualityRuns(options.resultsStore, notes);
  }

  const enrichment = await loadEnrichmentPanels(ask, present, notes);
  const listening = await loadListeningPanels(ask, present, notes);
  const encoded = dictionary.encode(sales, hourly);
  const checks = !served
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
    checks: [...checks, ...(served ? enrichment.checks(encoded.sales) : []), ...listening.checks],
    notes,
  };
}

/** Reads and validates every result document under `dq-results/`; an unreadable one becomes a note. */
export async function loadQualityRuns(store: ObjectStore, notes: string[]): Promise<QualityRun[]> {
  const runs: QualityRun[] = [];
  for (const key of await store.list(`${QUALITY_RESULTS_PREFIX}/`)) {
    const match = RESULT_KEY.exec(key);
    if (match === null) continue;
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
  readonly factTotals: Row | undefined;
}

/**
 * Compares the cube the page aggregates with the BI views and the fact table, so a page that disagrees
 * with the warehouse says so instead of quietly showing other numbers.
 */
export function consistencyChecks(inputs: CheckInputs): ConsistencyCheck[] {
  const { dates, countries, artists, sales } = inputs;
  const checks: ConsistencyCheck[] = [];

  const cubeRevenue = sales.reduce((sum, cell) => sum + cell[3], 0);
  const cubeItems = sales.reduce((sum, cell) => sum + cell[4], 0);
  const factRevenue = count(inputs.factTotals?.revenue_cents ?? 0, 'revenue_cents');
  const factItems = count(inputs.factTotals?.items ?? 0, 'items');
  checks.push({
    name: 'fact_session_items totals',
    ok: cubeRevenue === factRevenue && cubeItems === factItems,
    detail: `fact table: ${factItems} items, ${factRevenue} cents; dashboard: ${cubeItems} items, ${cubeRevenue} cents`,
  });

  const byArtistYear = new Map<string, number>();
  const byCountryMonth = new Map<string, number>();
  for (const [date, country, artist, cents] of sales) {
    const year = Number(dates[date].slice(0, 4));
    const month = Number(dates[date].slice(5, 7));
    add(byArtistYear, `${year} / ${artists[artist]}`, cents);
    add(byCountryMonth, `${year}-${String(month).padStart(2, '0')} / ${countries[country]}`, cents);
  }
  const artistView = new Map<string, number>();
  for (const row of inputs.artistViewRows) {
    add(
      artistView,
      `${count(row.session_year, 'session_year')} / ${text(row.artist_name, 'artist_name')}`,
      count(row.revenue_cents, 'revenue_cents'),
    );
  }
  checks.push(compareMaps('sales_per_artist_vw (year, artist)', artistView, byArtistYear));

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
