/**
 * Reads the artist-enrichment BI views for the dashboard (DuckDB and Redshift alike: plain SQL, money in
 * cents and dates as text in SQL). A warehouse whose serving layer predates the feature has no such views:
 * the panels are then empty and a note says why.
 */
import type { Row } from '../../../lambdas/shared/warehouse';
import type {
  ArtistTopSong,
  ConcertLocation,
  EnrichmentPanelsData,
  SalesVsConcerts,
} from './enrichment-model';
import { NO_ENRICHMENT } from './enrichment-model';
import { UNKNOWN_ARTIST, UNKNOWN_COUNTRY, type ConsistencyCheck } from './model';
import { SERVING_SCHEMA } from '../../../lambdas/shared/platform-names';
import { factTotalsOf, factTotalsSql, type SalesTotals } from './sql';
import { count, text } from './values';

export const ENRICHMENT_VIEWS = [
  'artist_top_song_vw',
  'concert_locations_vw',
  'artist_sales_vs_concerts_vw',
] as const;

const quote = (value: string) => `'${value.replace(/'/g, "''")}'`;

export const ARTIST_TOP_SONG_SQL = `
select coalesce(artist_name, ${quote(UNKNOWN_ARTIST)}) as artist_name, coalesce(genre, 'unknown') as genre,
  coalesce(song_title, track_id) as song_title, track_id, items_sold,
  cast(round(revenue * 100) as bigint) as revenue_cents
from ${SERVING_SCHEMA}.artist_top_song_vw`;

export const CONCERT_LOCATIONS_SQL = `
select venue_country_code, venue_city, concerts, artists,
  cast(first_event_date as varchar) as first_event_date, cast(last_event_date as varchar) as last_event_date
from ${SERVING_SCHEMA}.concert_locations_vw`;

export const SALES_VS_CONCERTS_SQL = `
select coalesce(artist_name, ${quote(UNKNOWN_ARTIST)}) as artist_name,
  coalesce(country_code, ${quote(UNKNOWN_COUNTRY)}) as country_code, items_sold,
  cast(round(revenue * 100) as bigint) as revenue_cents, upcoming_concerts
from ${SERVING_SCHEMA}.artist_sales_vs_concerts_vw`;

export interface LoadedEnrichment {
  readonly data: EnrichmentPanelsData;
  /** The view's sales side against the fact's totals over every date (none when the views are missing). */
  readonly checks: readonly ConsistencyCheck[];
}

const byText =
  <T>(key: (row: T) => string) =>
  (a: T, b: T) =>
    key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0;

/**
 * The three views, sorted for the page (most sold first, most concerts first, then by name so equal rows
 * keep one order), or empty panels with a note when the serving layer has none of them yet.
 */
export async function loadEnrichmentPanels(
  ask: (what: string, sql: string) => Promise<Row[]>,
  present: ReadonlySet<string>,
  notes: string[],
): Promise<LoadedEnrichment> {
  const missing = ENRICHMENT_VIEWS.filter((view) => !present.has(view));
  if (missing.length > 0) {
    notes.push(
      `The serving layer has no ${missing.join(', ')} (no serving load with the artist enrichment has succeeded), so the artist-enrichment panels are empty.`,
    );
    return { data: NO_ENRICHMENT, checks: [] };
  }
  const topSongs: ArtistTopSong[] = (await ask('artist_top_song_vw', ARTIST_TOP_SONG_SQL))
    .map((row) => ({
      artist: text(row.artist_name, 'artist_name'),
      genre: text(row.genre, 'genre'),
      song: text(row.song_title, 'song_title'),
      trackId: text(row.track_id, 'track_id'),
      items: count(row.items_sold, 'items_sold'),
      revenueCents: count(row.revenue_cents, 'revenue_cents'),
    }))
    .sort(byText((row) => row.artist))
    .sort((a, b) => b.items - a.items);
  const concertLocations: ConcertLocation[] = (await ask('concert_locations_vw', CONCERT_LOCATIONS_SQL))
    .map((row) => ({
      country: text(row.venue_country_code, 'venue_country_code'),
      city: text(row.venue_city, 'venue_city'),
      concerts: count(row.concerts, 'concerts'),
      artists: count(row.artists, 'artists'),
      firstDate: text(row.first_event_date, 'first_event_date'),
      lastDate: text(row.last_event_date, 'last_event_date'),
    }))
    .sort(byText((row) => `${row.country} ${row.city}`))
    .sort((a, b) => b.concerts - a.concerts);
  const salesVsConcerts: SalesVsConcerts[] = (await ask('artist_sales_vs_concerts_vw', SALES_VS_CONCERTS_SQL))
    .map((row) => ({
      artist: text(row.artist_name, 'artist_name'),
      country: text(row.country_code, 'country_code'),
      items: count(row.items_sold, 'items_sold'),
      revenueCents: count(row.revenue_cents, 'revenue_cents'),
      upcomingConcerts: count(row.upcoming_concerts, 'upcoming_concerts'),
    }))
    .sort(byText((row) => `${row.artist} ${row.country}`))
    .sort((a, b) => b.revenueCents - a.revenueCents || b.upcomingConcerts - a.upcomingConcerts);
  return {
    data: { topSongs, concertLocations, salesVsConcerts },
    // The view is all-time: its totals are the whole fact's, not the page's window.
    checks: [
      salesSideCheck(
        salesVsConcerts,
        factTotalsOf((await ask('fact_session_items totals (every date)', factTotalsSql()))[0]),
      ),
    ],
  };
}

/**
 * Every sold item is in exactly one (artist, country) row of the view: its totals are the fact's over
 * every date (the view is all-time; the page's sales cube holds a window only).
 */
function salesSideCheck(rows: readonly SalesVsConcerts[], fact: SalesTotals): ConsistencyCheck {
  const view = rows.reduce(
    (sum, row) => ({ items: sum.items + row.items, cents: sum.cents + row.revenueCents }),
    { items: 0, cents: 0 },
  );
  return {
    name: 'artist_sales_vs_concerts_vw (items and revenue)',
    ok: view.items === fact.items && view.cents === fact.cents,
    detail: `view: ${view.items} items, ${view.cents} cents; fact table (every date): ${fact.items} items, ${fact.cents} cents`,
  };
}
