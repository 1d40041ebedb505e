/**
 * The listening KPIs of docs/listening-events.md computed in TypeScript from the transform rows, loop by
 * loop, as a reference the models' SQL is checked against (never by running that SQL).
 */
import type { TransformTable } from '../../lambdas/shared/platform-names';
import type { FixtureRow } from './fixtures';

type Rows = Record<TransformTable, FixtureRow[]>;

/** A track dim_songs knows: its artist, duration and popularity (null without a catalog row). */
interface KnownTrack {
  readonly artist: string;
  readonly duration: number | null;
  readonly popularity: number | null;
}

/** Doubles to 9 decimals, bigints to numbers: the engine's float sums may differ in the last bits. */
export function rounded(row: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(row).map(([key, value]) => [
      key,
      typeof value === 'number'
        ? Math.round(value * 1e9) / 1e9
        : typeof value === 'bigint'
          ? Number(value)
          : value,
    ]),
  );
}

/** The newest catalog's tracks, then the tracks sold that it lacks (no duration, no popularity). */
function knownTracks(rows: Rows): Map<string, KnownTrack> {
  const newest = rows.songs.reduce(
    (max, song) => (String(song.ingest_on) > max ? String(song.ingest_on) : max),
    '',
  );
  const tracks = new Map<string, KnownTrack>();
  for (const song of rows.songs.filter((each) => each.ingest_on === newest)) {
    const hotttnesss = song.artist_hotttnesss as number | null;
    tracks.set(String(song.track_id), {
      artist: String(song.artist_id),
      duration: song.duration as number | null,
      popularity: hotttnesss === null ? null : 100 * hotttnesss,
    });
  }
  for (const item of rows.sessions) {
    const track = String(item.song_id);
    if (!tracks.has(track))
      tracks.set(track, { artist: String(item.artist_id), duration: null, popularity: null });
  }
  return tracks;
}

/** Each artist's genre: the top tag (lower case) of its newest statistics found, else `unknown`. */
function genres(rows: Rows): (artist: string) => string {
  const newest = new Map<string, FixtureRow>();
  for (const stats of rows.artist_stats.filter((each) => each.found)) {
    const seen = newest.get(String(stats.artist_id));
    if (!seen || String(stats.ingest_on) > String(seen.ingest_on)) newest.set(String(stats.artist_id), stats);
  }
  return (artist) => {
    const tag = newest.get(artist)?.top_tag;
    return typeof tag === 'string' ? tag.toLowerCase() : 'unknown';
  };
}

function average(values: readonly (number | null)[]): number | null {
  const present = values.filter((value): value is number => value !== null);
  return present.length === 0 ? null : present.reduce((sum, value) => sum + value, 0) / present.length;
}

/** The id played most often, ties to the smaller id; null when there is none. */
function mostPlayed(ids: readonly string[]): { id: string; plays: number } | null {
  const counts = new Map<string, number>();
  for (const id of ids) counts.set(id, (counts.get(id) ?? 0) + 1);
  let best: { id: string; plays: number } | null = null;
  for (const [id, plays] of counts) {
    if (!best || plays > best.plays || (plays === best.plays && id < best.id)) best = { id, plays };
  }
  return best;
}

function groupBy<T, K>(items: readonly T[], keyOf: (item: T) => K): Map<K, T[]> {
  const groups = new Map<K, T[]>();
  for (const item of items) groups.set(keyOf(item), [...(groups.get(keyOf(item)) ?? []), item]);
  return groups;
}

function playsOn(rows: Rows, day: string): FixtureRow[] {
  return rows.listens.filter((play) => play.listen_date === day);
}

/** kpi_genre_daily's rows of `day` (ordered by genre). */
export function expectedGenreDaily(rows: Rows, day: string): Record<string, unknown>[] {
  const tracks = knownTracks(rows);
  const genreOf = genres(rows);
  const plays = playsOn(rows, day).map((play) => {
    const track = tracks.get(String(play.track_id));
    return { id: String(play.track_id), track, genre: track ? genreOf(track.artist) : 'unknown' };
  });
  return [...groupBy(plays, (play) => play.genre)]
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([genre, group]) => {
      const known = group.filter((play) => play.track !== undefined);
      const avgPopularity = average(known.map((play) => play.track!.popularity));
      const top = mostPlayed(known.map((play) => play.id));
      return rounded({
        listen_date: day,
        genre,
        listen_count: group.length,
        avg_track_duration_s: average(known.map((play) => play.track!.duration)),
        avg_popularity: avgPopularity,
        popularity_index: avgPopularity === null ? null : (group.length * avgPopularity) / 100,
        top_track_id: top?.id ?? null,
        top_track_plays: top?.plays ?? null,
      });
    });
}

/** kpi_hourly's rows of `day` (ordered by hour). */
export function expectedHourly(rows: Rows, day: string): Record<string, unknown>[] {
  const tracks = knownTracks(rows);
  return [...groupBy(playsOn(rows, day), (play) => Number(play.listen_hour))]
    .sort(([a], [b]) => a - b)
    .map(([hour, group]) => {
      const uniqueTracks = new Set(group.map((play) => play.track_id)).size;
      const top = mostPlayed(
        group.flatMap((play) => {
          const track = tracks.get(String(play.track_id));
          return track ? [track.artist] : [];
        }),
      );
      return rounded({
        listen_date: day,
        listen_hour: hour,
        unique_listeners: new Set(group.map((play) => play.user_id)).size,
        total_plays: group.length,
        unique_tracks: uniqueTracks,
        track_diversity_index: uniqueTracks / group.length,
        top_artist_id: top?.id ?? null,
        top_artist_plays: top?.plays ?? null,
      });
    });
}
