/**
 * Reads the listening BI views for the dashboard (docs/listening-events.md, Serving): `listening_hourly_vw`
 * and `genre_daily_vw`, for the latest {@link LISTENING_WINDOW_DAYS} days they hold only, so the page stays
 * the same size whatever the history. Plain SQL that DuckDB and Redshift both run (dates as text, ratios as
 * double precision). A warehouse whose serving layer predates the feature has no such views: the panels
 * are then empty and a note says why.
 */
import type { Row } from '../../../lambdas/shared/warehouse';
import {
  LISTENING_WINDOW_DAYS,
  NO_LISTENING,
  playsPerDay,
  type GenreDay,
  type ListeningHour,
  type ListeningPanelsData,
} from './listening-model';
import type { ConsistencyCheck } from './model';
import { SERVING_SCHEMA } from '../../../lambdas/shared/platform-names';
import { onOrAfter } from './sql';
import { count, decimal, text } from './values';

export const LISTENING_VIEWS = ['listening_hourly_vw', 'genre_daily_vw'] as const;
/** The fact both views are built from; the plays per day are checked against it when it is there. */
export const LISTENING_FACT = 'fact_listens';

/** Every day either view holds, latest first (one row per day: the page keeps the first few). */
export const LISTENING_DAYS_SQL = `
select listen_date from (
  select cast(listen_date as varchar) as listen_date from ${SERVING_SCHEMA}.listening_hourly_vw
  union
  select cast(listen_date as varchar) as listen_date from ${SERVING_SCHEMA}.genre_daily_vw
) held_days
order by listen_date desc`;

/** The hours of the window's days, ordered by their key (date, hour) so that every load reads the same page. */
export function listeningHourlySql(first: string): string {
  return `
select cast(listen_date as varchar) as listen_date, cast(listen_hour as integer) as listen_hour, total_plays,
  unique_listeners, unique_tracks, cast(track_diversity_index as double precision) as track_diversity_index,
  top_artist_name, top_artist_plays
from ${SERVING_SCHEMA}.listening_hourly_vw
where ${onOrAfter('listen_date', first)}
order by listen_date, listen_hour`;
}

/** The genres of the window's days, ordered by their key (date, genre). */
export function genreDailySql(first: string): string {
  return `
select cast(listen_date as varchar) as listen_date, genre, listen_count,
  cast(popularity_index as double precision) as popularity_index,
  cast(avg_track_duration_s as double precision) as avg_track_duration_s,
  cast(avg_popularity as double precision) as avg_popularity,
  top_track_id, top_track_title, top_track_artist_name, top_track_plays
from ${SERVING_SCHEMA}.genre_daily_vw
where ${onOrAfter('listen_date', first)}
order by listen_date, genre`;
}

/** The fact's plays per day of the window. */
export function factListensPerDaySql(first: string): string {
  return `
select cast(listen_date as varchar) as listen_date, count(*) as plays
from ${SERVING_SCHEMA}.${LISTENING_FACT}
where ${onOrAfter('listen_date', first)}
group by listen_date
order by listen_date`;
}

export interface LoadedListening {
  readonly data: ListeningPanelsData;
  /** The two views' plays per day against each other and against fact_listens (none when missing). */
  readonly checks: readonly ConsistencyCheck[];
}

const orNull = <T>(value: unknown, read: (value: unknown) => T): T | null =>
  value === null || value === undefined ? null : read(value);

export function listeningHour(row: Row): ListeningHour {
  return {
    date: text(row.listen_date, 'listen_date'),
    hour: count(row.listen_hour, 'listen_hour'),
    plays: count(row.total_plays, 'total_plays'),
    uniqueListeners: count(row.unique_listeners, 'unique_listeners'),
    uniqueTracks: count(row.unique_tracks, 'unique_tracks'),
    trackDiversityIndex: decimal(row.track_diversity_index, 'track_diversity_index'),
    topArtist: orNull(row.top_artist_name, (value) => text(value, 'top_artist_name')),
    topArtistPlays: orNull(row.top_artist_plays, (value) => count(value, 'top_artist_plays')) ?? 0,
  };
}

export function genreDay(row: Row): GenreDay {
  const topTrackId = orNull(row.top_track_id, (value) => text(value, 'top_track_id'));
  return {
    date: text(row.listen_date, 'listen_date'),
    genre: text(row.genre, 'genre'),
    plays: count(row.listen_count, 'listen_count'),
    popularityIndex: orNull(row.popularity_index, (value) => decimal(value, 'popularity_index')),
    avgDurationS: orNull(row.avg_track_duration_s, (value) => decimal(value, 'avg_track_duration_s')),
    avgPopularity: orNull(row.avg_popularity, (value) => decimal(value, 'avg_popularity')),
    // A track the catalog row has no title for is still named, by its id.
    topTrack: orNull(row.top_track_title, (value) => text(value, 'top_track_title')) ?? topTrackId,
    topTrackId,
    topTrackArtist: orNull(row.top_track_artist_name, (value) => text(value, 'top_track_artist_name')),
    topTrackPlays: orNull(row.top_track_plays, (value) => count(value, 'top_track_plays')) ?? 0,
  };
}

/**
 * The two views for the latest {@link LISTENING_WINDOW_DAYS} days they hold, or empty panels with a note
 * when the serving layer has not got them yet.
 */
export async function loadListeningPanels(
  ask: (what: string, sql: string) => Promise<Row[]>,
  present: ReadonlySet<string>,
  notes: string[],
  windowDays = LISTENING_WINDOW_DAYS,
): Promise<LoadedListening> {
  const missing = LISTENING_VIEWS.filter((view) => !present.has(view));
  if (missing.length > 0) {
    notes.push(
      `The serving layer has no ${missing.join(', ')} (no serving load with the listening events has succeeded), so the listening panels are empty.`,
    );
    return { data: NO_LISTENING, checks: [] };
  }
  const held = (await ask('the listening days', LISTENING_DAYS_SQL)).map((row) =>
    text(row.listen_date, 'listen_date'),
  );
  const days = held.slice(0, windowDays).reverse();
  if (days.length === 0) return { data: NO_LISTENING, checks: [] };
  const first = days[0];
  const hourly = (await ask('listening_hourly_vw', listeningHourlySql(first))).map(listeningHour);
  const genres = (await ask('genre_daily_vw', genreDailySql(first))).map(genreDay);
  const factPlays = present.has(LISTENING_FACT)
    ? new Map(
        (await ask('fact_listens plays per day', factListensPerDaySql(first))).map((row) => [
          text(row.listen_date, 'listen_date'),
          count(row.plays, 'plays'),
        ]),
      )
    : undefined;
  const hourlyPlays = playsPerDay(hourly);
  const checks = [
    playsCheck('genre_daily_vw against listening_hourly_vw (plays per day)', hourlyPlays, {
      name: 'genre_daily_vw',
      plays: playsPerDay(genres),
    }),
  ];
  if (factPlays !== undefined) {
    checks.push(
      playsCheck('listening_hourly_vw against fact_listens (plays per day)', factPlays, {
        name: 'listening_hourly_vw',
        plays: hourlyPlays,
      }),
    );
  }
  return { data: { days, daysHeld: held.length, hourly, genres }, checks };
}

/**
 * Every play of a day is in exactly one hour and one genre, so each day's plays agree between the two
 * views and with the fact table; a day that one side has and the other has not is a difference too.
 */
export function playsCheck(
  name: string,
  expected: ReadonlyMap<string, number>,
  actual: { readonly name: string; readonly plays: ReadonlyMap<string, number> },
): ConsistencyCheck {
  const days = [...new Set([...expected.keys(), ...actual.plays.keys()])].sort();
  const differences = days
    .filter((day) => (expected.get(day) ?? 0) !== (actual.plays.get(day) ?? 0))
    .map((day) => `${day}: ${actual.name} ${actual.plays.get(day) ?? 0}, expected ${expected.get(day) ?? 0}`);
  const total = [...expected.values()].reduce((sum, plays) => sum + plays, 0);
  return differences.length === 0
    ? {
        name,
        ok: true,
        detail: `${total} plays agree on ${days.length === 1 ? '1 day' : `${days.length} days`}`,
      }
    : {
        name,
        ok: false,
        detail: `${differences.length} of ${days.length} days differ, e.g. ${differences.slice(0, 3).join('; ')}`,
      };
}
