/**
 * The listening panels' data (docs/listening-events.md, Serving): the rows of `listening_hourly_vw` and
 * `genre_daily_vw` of a bounded window of days, as the page embeds them, and the pure functions the page
 * (and the tests) use to pick what a panel shows for the reader's date range.
 *
 * The page must not grow with every day of history, so the loader keeps only the latest
 * {@link LISTENING_WINDOW_DAYS} days the views hold: at most 24 hourly rows and one row per genre each day.
 * Unique listeners are distinct per hour: a listener of several hours (or days) counts in each, so they are
 * shown per hour of one day and never added up. Plays and popularity indexes are sums of plays and add up.
 */
import type { DashboardFilter } from './model';

/** Days of listening the page holds: the latest days present in the views. */
export const LISTENING_WINDOW_DAYS = 14;

/** `listening_hourly_vw`: one UTC hour of one day. */
export interface ListeningHour {
  /** ISO date (YYYY-MM-DD, UTC). */
  readonly date: string;
  /** UTC hour, 0 to 23. */
  readonly hour: number;
  readonly plays: number;
  /** Distinct users who played in this hour (not additive across hours or days). */
  readonly uniqueListeners: number;
  readonly uniqueTracks: number;
  /** unique tracks / plays. */
  readonly trackDiversityIndex: number;
  /** The most played artist among known tracks; null when every play was of an unknown track. */
  readonly topArtist: string | null;
  readonly topArtistPlays: number;
}

/** `genre_daily_vw`: one genre on one day. */
export interface GenreDay {
  readonly date: string;
  readonly genre: string;
  readonly plays: number;
  /** plays x average popularity / 100; null when the genre had no play of a known track. */
  readonly popularityIndex: number | null;
  /** Average catalog duration over the plays of known tracks, in seconds; null when none. */
  readonly avgDurationS: number | null;
  /** Average track popularity (0 to 100) over the plays of known tracks; null when none. */
  readonly avgPopularity: number | null;
  /** The genre's most played track of the day (its title, else its track id); null when none is known. */
  readonly topTrack: string | null;
  readonly topTrackId: string | null;
  readonly topTrackArtist: string | null;
  readonly topTrackPlays: number;
}

export interface ListeningPanelsData {
  /** The days the page holds, ascending: the latest {@link LISTENING_WINDOW_DAYS} days of the views. */
  readonly days: readonly string[];
  /** Days the views hold in all (the page leaves out all but the latest `days`). */
  readonly daysHeld: number;
  /** Ordered by date, then hour. */
  readonly hourly: readonly ListeningHour[];
  /** Ordered by date, then genre. */
  readonly genres: readonly GenreDay[];
}

export const NO_LISTENING: ListeningPanelsData = { days: [], daysHeld: 0, hourly: [], genres: [] };

/** A genre of the selected day beside its plays over the window's days in the date range. */
export interface GenreOfDay {
  readonly genre: string;
  /** The selected day's row; null when the genre was not played that day but on another day in range. */
  readonly day: GenreDay | null;
  readonly rangePlays: number;
}

const inRange = (date: string, filter: DashboardFilter) =>
  (filter.from === null || date >= filter.from) && (filter.to === null || date <= filter.to);

/** The held days inside the reader's date range, ascending. */
export function listeningDaysIn(panels: ListeningPanelsData, filter: DashboardFilter): string[] {
  return panels.days.filter((day) => inRange(day, filter));
}

/** The day the panels show: the latest held day inside the date range; null when there is none. */
export function selectedListeningDay(panels: ListeningPanelsData, filter: DashboardFilter): string | null {
  const days = listeningDaysIn(panels, filter);
  return days.length === 0 ? null : days[days.length - 1];
}

/**
 * The 24 UTC hours of a day. A quiet hour has no row in the view: it is shown with no plays and no
 * listeners, which is what it had.
 */
export function hoursOfDay(panels: ListeningPanelsData, day: string): ListeningHour[] {
  const byHour = new Map(panels.hourly.filter((row) => row.date === day).map((row) => [row.hour, row]));
  return Array.from(
    { length: 24 },
    (_, hour) =>
      byHour.get(hour) ?? {
        date: day,
        hour,
        plays: 0,
        uniqueListeners: 0,
        uniqueTracks: 0,
        trackDiversityIndex: 0,
        topArtist: null,
        topArtistPlays: 0,
      },
  );
}

/**
 * Every genre played on a held day in the range: the selected day's row and the plays summed over the
 * range's days. Most played that day first, then most played over the range, then by name.
 */
export function genresOfDay(panels: ListeningPanelsData, filter: DashboardFilter): GenreOfDay[] {
  const day = selectedListeningDay(panels, filter);
  const genres = new Map<string, { genre: string; day: GenreDay | null; rangePlays: number }>();
  for (const row of panels.genres) {
    if (!inRange(row.date, filter) || !panels.days.includes(row.date)) continue;
    const entry = genres.get(row.genre) ?? { genre: row.genre, day: null, rangePlays: 0 };
    entry.rangePlays += row.plays;
    if (row.date === day) entry.day = row;
    genres.set(row.genre, entry);
  }
  return [...genres.values()].sort(
    (a, b) =>
      (b.day?.plays ?? 0) - (a.day?.plays ?? 0) ||
      b.rangePlays - a.rangePlays ||
      (a.genre < b.genre ? -1 : a.genre > b.genre ? 1 : 0),
  );
}

/** Plays per held day, added up from rows that carry a date and a number of plays. */
export function playsPerDay(rows: readonly { date: string; plays: number }[]): Map<string, number> {
  const days = new Map<string, number>();
  for (const row of rows) days.set(row.date, (days.get(row.date) ?? 0) + row.plays);
  return days;
}
