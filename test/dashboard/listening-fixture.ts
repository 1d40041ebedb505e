/**
 * The listening part of the dashboard fixture: a small `fact_listens` over {@link LISTENING_DAYS} (more days
 * than the page holds, so the window is visible), the KPI tables `kpi_hourly` and `kpi_genre_daily` as
 * docs/listening-events.md defines them, and the two BI views with the names joined. The fixture has no
 * dim_songs and no genre on dim_artists: its catalog is the table `listening_fixture_tracks`, which holds
 * an artist without a genre, a track without a title and a title that needs escaping; some plays are of a
 * track the catalog does not know. Seeded, so every run is identical.
 */
import { SERVING_SCHEMA } from '../../lambdas/shared/platform-names';
export const HOSTILE_TITLE = `</script><b onclick="x">Song</b> & 'more'`;

/** 16 days: the two oldest fall outside a 14-day window. */
export const LISTENING_DAYS: readonly string[] = Array.from({ length: 16 }, (_, index) =>
  new Date(Date.UTC(2026, 0, 17 + index)).toISOString().slice(0, 10),
);

export interface FixtureTrack {
  readonly trackId: string;
  readonly title: string | null;
  readonly durationS: number;
  readonly hotttnesss: number;
  readonly artistId: string;
  readonly artistName: string;
  /** `unknown`: the artist has no genre (a known track in the `unknown` genre). */
  readonly genre: string;
}

export const TRACKS: readonly FixtureTrack[] = [
  {
    trackId: 'TRAAAAA000000001',
    title: 'Paranoid Android',
    durationS: 383,
    hotttnesss: 0.8,
    artistId: 'AR0',
    artistName: 'Radiohead',
    genre: 'rock',
  },
  {
    trackId: 'TRAAAAA000000002',
    title: HOSTILE_TITLE,
    durationS: 201.5,
    hotttnesss: 0.8,
    artistId: 'AR0',
    artistName: 'Radiohead',
    genre: 'rock',
  },
  {
    trackId: 'TRAAAAA000000003',
    title: 'Feeling Good',
    durationS: 177,
    hotttnesss: 0.6,
    artistId: 'AR4',
    artistName: 'Nina Simone',
    genre: 'jazz',
  },
  {
    trackId: 'TRAAAAA000000004',
    title: null,
    durationS: 240,
    hotttnesss: 0.45,
    artistId: 'AR5',
    artistName: 'Kraftwerk',
    genre: 'electronic',
  },
  {
    trackId: 'TRAAAAA000000005',
    title: 'Untagged',
    durationS: 150,
    hotttnesss: 0.3,
    artistId: 'AR9',
    artistName: 'Sade',
    genre: 'unknown',
  },
];
/** Track ids the catalog does not know: their plays count, in the genre `unknown`, with no artist. */
const UNKNOWN_TRACKS = ['TRZZZZZ000000001', 'TRZZZZZ000000002'];

export interface FixturePlay {
  readonly eventId: string;
  readonly userId: string;
  readonly trackId: string;
  readonly date: string;
  readonly hour: number;
}

/** Park-Miller: small, seeded, the same on every machine. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 48271) % 2147483647;
    return state / 2147483647;
  };
}

function generatePlays(): FixturePlay[] {
  const next = random(20260117);
  const tracks = [...TRACKS.map((track) => track.trackId), ...UNKNOWN_TRACKS];
  const plays: FixturePlay[] = [];
  for (const [dayIndex, date] of LISTENING_DAYS.entries()) {
    // A day plays a few hours only (a quiet hour has no row), more on later days.
    const count = 12 + dayIndex * 2;
    for (let index = 0; index < count; index += 1) {
      plays.push({
        eventId: `ev-${date}-${String(index).padStart(3, '0')}`,
        userId: `user-${String(Math.floor(next() * 8)).padStart(2, '0')}`,
        trackId: tracks[Math.floor(next() * next() * tracks.length)],
        date,
        hour: [0, 7, 8, 13, 21, 23][Math.floor(next() * 6)],
      });
    }
  }
  return plays;
}

export const PLAYS: readonly FixturePlay[] = generatePlays();

const sql = (value: string | number | null) =>
  value === null ? 'null' : typeof value === 'number' ? String(value) : `'${value.replace(/'/g, "''")}'`;
const trackOf = (trackId: string) => TRACKS.find((track) => track.trackId === trackId);

const S = SERVING_SCHEMA;

export const LISTENING_FIXTURE_STATEMENTS: readonly string[] = [
  `create table ${S}.listening_fixture_tracks (track_id varchar, title varchar, duration double,
     artist_hotttnesss double, artist_id varchar, artist_name varchar, genre varchar)`,
  `insert into ${S}.listening_fixture_tracks values ${TRACKS.map(
    (t) =>
      `(${[t.trackId, t.title, t.durationS, t.hotttnesss, t.artistId, t.artistName, t.genre].map(sql).join(', ')})`,
  ).join(', ')}`,
  `create table ${S}.fact_listens (listen_key varchar, event_id varchar, user_key varchar, song_key varchar,
     artist_key varchar, date_key integer, user_id varchar, track_id varchar, artist_id varchar,
     listened_at timestamp, listen_date date, listen_hour integer, ms_played bigint, device varchar,
     arrived_late boolean)`,
  `insert into ${S}.fact_listens values ${PLAYS.map((play) => {
    const track = trackOf(play.trackId);
    const time = `${play.date} ${String(play.hour).padStart(2, '0')}:30:00`;
    return `(${[
      `lk-${play.eventId}`,
      play.eventId,
      `${play.userId}-v1`,
      track === undefined ? null : `song-${track.trackId}`,
      track === undefined ? null : `artist-${track.artistId}`,
      Number(play.date.replace(/-/g, '')),
      play.userId,
      play.trackId,
      track?.artistId ?? null,
    ]
      .map(sql)
      .join(', ')}, timestamp ${sql(time)}, date ${sql(play.date)}, ${play.hour}, 180000, 'ios', false)`;
  }).join(', ')}`,
  `create table ${S}.kpi_hourly as
     with hourly as (
       select listen_date, listen_hour, count(distinct user_id) as unique_listeners, count(*) as total_plays,
         count(distinct track_id) as unique_tracks
       from ${S}.fact_listens group by listen_date, listen_hour
     ),
     artist_plays as (
       select listen_date, listen_hour, artist_id, artist_key, count(*) as plays,
         row_number() over (partition by listen_date, listen_hour order by count(*) desc, artist_id) as play_rank
       from ${S}.fact_listens where artist_key is not null
       group by listen_date, listen_hour, artist_id, artist_key
     )
     select h.listen_date, h.listen_hour, h.unique_listeners, h.total_plays, h.unique_tracks,
       cast(h.unique_tracks as double precision) / h.total_plays as track_diversity_index,
       a.artist_id as top_artist_id, a.artist_key as top_artist_key, a.plays as top_artist_plays,
       cast(strftime(h.listen_date, '%Y%m%d') as integer) as date_key
     from hourly h left join artist_plays a
       on a.listen_date = h.listen_date and a.listen_hour = h.listen_hour and a.play_rank = 1`,
  `create table ${S}.kpi_genre_daily as
     with plays as (
       select f.listen_date, coalesce(t.genre, 'unknown') as genre, t.track_id as known_track_id,
         t.duration, 100 * t.artist_hotttnesss as popularity
       from ${S}.fact_listens f left join ${S}.listening_fixture_tracks t on t.track_id = f.track_id
     ),
     genres as (
       select listen_date, genre, count(*) as listen_count, avg(duration) as avg_track_duration_s,
         avg(popularity) as avg_popularity
       from plays group by listen_date, genre
     ),
     track_plays as (
       select listen_date, genre, known_track_id, count(*) as plays,
         row_number() over (partition by listen_date, genre order by count(*) desc, known_track_id) as play_rank
       from plays where known_track_id is not null group by listen_date, genre, known_track_id
     )
     select g.listen_date, g.genre, g.listen_count, g.avg_track_duration_s, g.avg_popularity,
       g.listen_count * g.avg_popularity / 100 as popularity_index, t.known_track_id as top_track_id,
       case when t.known_track_id is null then null else 'song-' || t.known_track_id end as top_song_key,
       t.plays as top_track_plays, cast(strftime(g.listen_date, '%Y%m%d') as integer) as date_key
     from genres g left join track_plays t
       on t.listen_date = g.listen_date and t.genre = g.genre and t.play_rank = 1`,
  `create view ${S}.listening_hourly_vw as
     select k.*, a.artist_name as top_artist_name
     from ${S}.kpi_hourly k
     left join (select distinct artist_id, artist_name from ${S}.listening_fixture_tracks) a
       on a.artist_id = k.top_artist_id`,
  `create view ${S}.genre_daily_vw as
     select k.*, t.title as top_track_title, t.artist_name as top_track_artist_name
     from ${S}.kpi_genre_daily k left join ${S}.listening_fixture_tracks t on t.track_id = k.top_track_id`,
];
