/**
 * The dashboard's queries. Plain SQL that DuckDB and Redshift both run unchanged: money is turned into
 * integer cents and dates into ISO text in SQL, so neither engine's decimal or date types reach the page.
 */
import {
  SERVING_SCHEMA,
  TRANSFORM_SCHEMA,
  type TransformTable,
} from '../../../lambdas/shared/platform-names';
import { ISO_DATE_PATTERN } from '../../../lambdas/shared/contracts';
import type { Row } from '../../../lambdas/shared/warehouse';
import { UNKNOWN_ARTIST, UNKNOWN_COUNTRY } from './model';
import { count } from './values';

/** The transform tables whose rows per ingest date the dashboard shows. */
export const COUNTED_TRANSFORM_TABLES = [
  'sessions',
  'users',
  'songs',
] as const satisfies readonly TransformTable[];

const quote = (text: string) => `'${text.replace(/'/g, "''")}'`;

/** `value`, checked to be an ISO date before it goes into SQL text. */
function isoDate(what: string, value: string): string {
  if (!ISO_DATE_PATTERN.test(value)) throw new Error(`dashboard: ${what} ${value} is not an ISO date`);
  return value;
}

/** `<column> >= <first>` for a date column. */
export function onOrAfter(column: string, first: string): string {
  return `${column} >= cast('${isoDate(column, first)}' as date)`;
}

/** A where clause keeping `column` from `first` on; none without `first` (every date). */
function whereOnOrAfter(column: string, first: string | undefined): string {
  return first === undefined ? '' : `\nwhere ${onOrAfter(column, first)}`;
}

/** The first and the newest sale date of the fact (null before the first sale): where the window ends. */
export const SALE_DATES_SQL = `
select cast(min(session_date) as varchar) as first_day, cast(max(session_date) as varchar) as last_day
from ${SERVING_SCHEMA}.fact_session_items`;

/**
 * One row per item sold from `first` on, with what the dashboard groups by. The buyer's country is the one
 * of the user version the fact row points to (the version valid at purchase time, resolved by the serving
 * layer). Left joins keep a sale whose dimension row is missing, so the cube always adds up to the fact.
 */
function soldItems(first: string): string {
  return `
  select
    cast(f.session_date as varchar) as session_date,
    cast(f.session_hour as integer) as session_hour,
    coalesce(u.country_code, ${quote(UNKNOWN_COUNTRY)}) as country_code,
    coalesce(a.artist_name, ${quote(UNKNOWN_ARTIST)}) as artist_name,
    f.user_id as buyer,
    f.track_id as track,
    cast(round(f.price * 100) as bigint) as price_cents
  from ${SERVING_SCHEMA}.fact_session_items f
  left join ${SERVING_SCHEMA}.dim_users u on u.user_key = f.user_key
  left join ${SERVING_SCHEMA}.dim_artists a on a.artist_key = f.artist_key
  where ${onOrAfter('f.session_date', first)}`;
}

/**
 * Revenue and items per day, buyer country and artist, from `first` on. Ordered, so the same serving layer
 * always gives the same cube and the same page (a parallel aggregate returns its groups in any order).
 */
export function salesCubeSql(first: string): string {
  return `
with sold_items as (${soldItems(first)}
)
select session_date, country_code, artist_name, sum(price_cents) as revenue_cents, count(*) as items
from sold_items
group by session_date, country_code, artist_name
order by session_date, country_code, artist_name`;
}

/**
 * The hourly KPIs per buyer country from `first` on, defined like `hourly_kpis_vw` (unique buyers, items,
 * revenue, the artist with the most revenue, ties by name; unique tracks / items) but for one country at
 * a time.
 */
export function hourlyByCountrySql(first: string): string {
  return `
with sold_items as (${soldItems(first)}
),
hourly as (
  select session_date, session_hour, country_code,
    count(distinct buyer) as unique_buyers,
    count(*) as items_sold,
    sum(price_cents) as revenue_cents,
    count(distinct track) as unique_tracks
  from sold_items
  group by session_date, session_hour, country_code
),
artist_revenue as (
  select session_date, session_hour, country_code, artist_name,
    row_number() over (
      partition by session_date, session_hour, country_code
      order by sum(price_cents) desc, artist_name
    ) as revenue_rank
  from sold_items
  group by session_date, session_hour, country_code, artist_name
)
select h.session_date, h.session_hour, h.country_code, h.unique_buyers, h.items_sold, h.revenue_cents,
  a.artist_name as top_artist,
  cast(h.unique_tracks as double precision) / h.items_sold as track_diversity_index
from hourly h
left join artist_revenue a
  on a.session_date = h.session_date and a.session_hour = h.session_hour
  and a.country_code = h.country_code and a.revenue_rank = 1
order by h.session_date, h.session_hour, h.country_code`;
}

export function hourlyViewSql(first: string): string {
  return `
select cast(session_date as varchar) as session_date, cast(session_hour as integer) as session_hour,
  unique_buyers, items_sold, cast(round(revenue * 100) as bigint) as revenue_cents, top_artist,
  cast(track_diversity_index as double precision) as track_diversity_index
from ${SERVING_SCHEMA}.hourly_kpis_vw
where ${onOrAfter('session_date', first)}`;
}

/**
 * The first year a window from `first` holds whole (the window ends with the newest sale, so every later
 * year it reaches is whole): its own year when it starts on the first of January.
 */
export function firstWholeYear(first: string): number {
  return Number(isoDate('the window start', first).slice(0, 4)) + (first.endsWith('-01-01') ? 0 : 1);
}

/** The yearly view's years the window from `first` holds whole: those the page compares. */
export function salesPerArtistViewSql(first: string): string {
  const year = firstWholeYear(first);
  return `
select cast(session_year as integer) as session_year,
  coalesce(artist_name, ${quote(UNKNOWN_ARTIST)}) as artist_name,
  cast(round(total_sales * 100) as bigint) as revenue_cents
from ${SERVING_SCHEMA}.sales_per_artist_vw
where session_year >= ${year}`;
}

/** The months from `first`'s on (the window starts on the first of a month, so it holds them whole). */
export function salesPerCountryViewSql(first: string): string {
  const [year, month] = isoDate('the window start', first).split('-').map(Number);
  return `
select cast(session_year as integer) as session_year, cast(session_month as integer) as session_month,
  coalesce(country_code, ${quote(UNKNOWN_COUNTRY)}) as country_code,
  cast(round(total_sales * 100) as bigint) as revenue_cents
from ${SERVING_SCHEMA}.sales_per_country_vw
where session_year * 100 + session_month >= ${year! * 100 + month!}`;
}

/** The serving relations the dashboard reads. */
export const SERVING_RELATIONS = [
  'fact_session_items',
  'dim_users',
  'dim_artists',
  'sales_per_artist_vw',
  'sales_per_country_vw',
  'hourly_kpis_vw',
] as const;

/** Tables and views of the serving schema (information_schema lists both, on DuckDB and on Redshift). */
export const SERVING_RELATIONS_SQL = `
select table_name from information_schema.tables where table_schema = ${quote(SERVING_SCHEMA)}`;

/** Items and revenue in cents. */
export interface SalesTotals {
  readonly items: number;
  readonly cents: number;
}

/** The row of {@link factTotalsSql} (none: no sale). */
export function factTotalsOf(row: Row | undefined): SalesTotals {
  return {
    items: count(row?.items ?? 0, 'items'),
    cents: count(row?.revenue_cents ?? 0, 'revenue_cents'),
  };
}

/** The fact's items and revenue from `first` on (every date without it). */
export function factTotalsSql(first?: string): string {
  return `
select count(*) as items, coalesce(sum(cast(round(price * 100) as bigint)), 0) as revenue_cents
from ${SERVING_SCHEMA}.fact_session_items${whereOnOrAfter('session_date', first)}`;
}

/** Rows per ingest date of `table`, from `first` on (every date without it). */
export function transformRowCountsSql(
  table: (typeof COUNTED_TRANSFORM_TABLES)[number],
  first?: string,
): string {
  return `
select cast(ingest_on as varchar) as ingest_on, count(*) as row_count
from ${TRANSFORM_SCHEMA}.${table}${whereOnOrAfter('ingest_on', first)}
group by ingest_on`;
}
