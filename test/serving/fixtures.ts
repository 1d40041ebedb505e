/**
 * Small transform-zone data for the serving tests: parquet files written with DuckDB COPY, one file per
 * table and ingest_on partition (as Iceberg lays them out), with the transform schemas' types.
 *
 * Story: on 2024-03-01 users u1 (New York, US), u2 (Paris, FR), u3 (Berlin, DE) buy; on 2024-03-02 u1 has
 * moved to London (GB), u2 changed name only, u4 is new. One sold track is missing from the catalog. On
 * 2024-03-03 nobody moves: u2's name is corrected again (Bobby), in place, and u2 buys once; the sessions
 * extract looks back and brings u2's 2024-03-02 afternoon session again, which moves to 2024-03-03. On
 * 2025-01-02 (a later year) u1 moves back to New York and buys a track that the catalog only lists from
 * that day, by an artist new to it: loading an older date after it must neither narrow the dimensions nor
 * lose a move. Plays (listens-fixtures.ts) on DAY_2 and DAY_4.
 */
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { DuckDbWarehouse } from '../../lib/local/adapters/duckdb-warehouse';
import { TRANSFORM_TABLES, type TransformTable } from '../../lambdas/shared/platform-names';
import type { TransformDataFiles } from '../../lib/local/spectrum';
import { writeParquet } from '../fixtures/warehouse';
import { enrichmentRowsOf } from './enrichment-fixtures';
import { listensRowsOn } from './listens-fixtures';

export const DAY_1 = '2024-03-01';
export const DAY_2 = '2024-03-02';
/** A day that changes no tracked column: the type-2 history gets no new version, only a correction. */
export const DAY_3 = '2024-03-03';
/** A day of a later year on which u1 moves back and the catalog gains a track (sold that day). */
export const DAY_4 = '2025-01-02';
/** The story's days in order. */
export const DAYS = [DAY_1, DAY_2, DAY_3, DAY_4];

export const USER = {
  u1: '11111111-1111-4111-8111-111111111111',
  u2: '22222222-2222-4222-8222-222222222222',
  u3: '33333333-3333-4333-8333-333333333333',
  u4: '44444444-4444-4444-8444-444444444444',
};

const TRACKS = {
  t1: 'TRAAAAAAAAAAAAAAA1',
  t2: 'TRBBBBBBBBBBBBBBB2',
  t3: 'TRCCCCCCCCCCCCCCC3',
  t4: 'TRDDDDDDDDDDDDDDD4',
  t5: 'TREEEEEEEEEEEEEEE5',
  missing: 'TRZZZZZZZZZZZZZZZ9',
};
const ARTISTS = {
  a1: 'ARAAAAAAAAAAAAAAA1',
  a2: 'ARBBBBBBBBBBBBBBB2',
  a3: 'ARCCCCCCCCCCCCCCC3',
  a4: 'ARDDDDDDDDDDDDDDD4',
  lost: 'ARZZZZZZZZZZZZZZZ9',
};

/** The catalog's artist_hotttnesss of each catalog artist. */
const HOTTTNESSS: Record<string, number> = {
  [ARTISTS.a1]: 0.4,
  [ARTISTS.a2]: 0.7,
  [ARTISTS.a3]: 0.25,
  [ARTISTS.a4]: 0.55,
};

type Value = string | number | boolean | null;
/** One transform-table row, by column name. */
export type FixtureRow = Record<string, Value>;
type Record_ = FixtureRow;

function songsOn(day: string): Record_[] {
  const song = (
    track: string,
    title: string,
    songId: string,
    artist: string,
    artistName: string,
    year: number,
    duration: number,
  ): Record_ => ({
    track_id: track,
    title,
    song_id: songId,
    release: `${title} (single)`,
    artist_id: artist,
    artist_mbid: `mbid-${artist}`,
    artist_name: artistName,
    duration,
    artist_familiarity: 0.5,
    // An artist attribute: the same on each of the artist's rows, as in the Million Song Dataset.
    artist_hotttnesss: HOTTTNESSS[artist],
    year,
    track_7digitalid: 1000,
    shs_perf: -1,
    shs_work: 0,
    ingest_on: day,
    processing_timestamp: `${day} 01:00:00`,
    source_from: 'db/songs',
  });
  return [
    song(TRACKS.t1, 'First Light', 'SOAAAAAAAAAAAAAAA1', ARTISTS.a1, 'Aurora Lane', 2001, 200.5),
    song(TRACKS.t2, "Don't Stop", 'SOBBBBBBBBBBBBBBB2', ARTISTS.a1, 'Aurora Lane', 0, 181.25),
    song(TRACKS.t3, 'Blue Hour', 'SOCCCCCCCCCCCCCCC3', ARTISTS.a2, 'Basalt', 1999, 240),
    song(TRACKS.t4, 'Echoes', 'SODDDDDDDDDDDDDDD4', ARTISTS.a3, 'Cobalt Choir', 2010, 95.5),
    ...(day >= DAY_4
      ? [song(TRACKS.t5, 'Northern Lights', 'SOEEEEEEEEEEEEEEE5', ARTISTS.a4, 'Delta Dawn', 2024, 312)]
      : []),
  ];
}

function user(
  id: string,
  name: string,
  place: string,
  country: string,
  timezone: string,
  lat: number,
  day: string,
): Record_ {
  return {
    user_id: id,
    user_name: name,
    user_lastname: 'Doe',
    latitude: lat,
    longitude: lat / 2,
    place_name: place,
    country_code: country,
    timezone,
    user_since: '2020-01-15 08:00:00',
    ingest_on: day,
    processing_timestamp: `${day} 02:00:00`,
    source_from: 'api/users',
  };
}

function usersOn(day: string): Record_[] {
  if (day === DAY_1) {
    return [
      user(USER.u1, 'Ann', 'New York', 'US', 'America/New_York', 40.7, day),
      user(USER.u2, 'Bob', 'Paris', 'FR', 'Europe/Paris', 48.8, day),
      user(USER.u3, 'Cid', 'Berlin', 'DE', 'Europe/Berlin', 52.5, day),
    ];
  }
  return [
    day === DAY_4
      ? user(USER.u1, 'Ann', 'New York', 'US', 'America/New_York', 40.7, day)
      : user(USER.u1, 'Ann', 'London', 'GB', 'Europe/London', 51.5, day),
    user(USER.u2, day >= DAY_3 ? 'Bobby' : 'Robert', 'Paris', 'FR', 'Europe/Paris', 48.8, day),
    user(USER.u3, 'Cid', 'Berlin', 'DE', 'Europe/Berlin', 52.5, day),
    { ...user(USER.u4, 'Dee', 'Madrid', 'ES', 'Europe/Madrid', 40.4, day), user_since: `${DAY_2} 07:00:00` },
  ];
}

function item(
  session: string,
  userId: string,
  index: number,
  track: string,
  artist: string,
  artistName: string,
  price: number,
  start: string,
  day: string,
): Record_ {
  return {
    session_id: session,
    user_id: userId,
    item_index: index,
    song_id: track,
    song_name: `song ${track.slice(-2)}`,
    artist_id: artist,
    artist_name: artistName,
    price,
    currency: 'USD',
    liked: index % 2 === 0,
    liked_since: index % 2 === 0 ? `${day} 12:00:00` : null,
    user_agent: 'Mozilla/5.0',
    session_start_time: start,
    ingest_on: day,
    processing_timestamp: `${day} 03:00:00`,
    source_from: 'api/sessions',
  };
}

const SESSION = (n: number): string => `aaaaaaaa-0000-4000-8000-${String(n).padStart(12, '0')}`;

function sessionsOn(day: string): Record_[] {
  if (day === DAY_1) {
    return [
      item(SESSION(1), USER.u1, 0, TRACKS.t1, ARTISTS.a1, 'Aurora Lane', 1.99, `${day} 10:15:00`, day),
      item(SESSION(1), USER.u1, 1, TRACKS.t3, ARTISTS.a2, 'Basalt', 0.99, `${day} 10:15:00`, day),
      item(SESSION(2), USER.u2, 0, TRACKS.t1, ARTISTS.a1, 'Aurora Lane', 1.99, `${day} 10:40:00`, day),
      item(SESSION(3), USER.u3, 0, TRACKS.missing, ARTISTS.lost, 'Lost Tapes', 2.49, `${day} 23:59:59`, day),
      item(SESSION(3), USER.u3, 1, TRACKS.t4, ARTISTS.a3, 'Cobalt Choir', 1.29, `${day} 23:59:59`, day),
    ];
  }
  if (day === DAY_3) {
    return [
      item(SESSION(7), USER.u2, 0, TRACKS.t3, ARTISTS.a2, 'Basalt', 0.99, `${day} 11:00:00`, day),
      // The look-back extracts DAY_2's afternoon session again: its row moves to DAY_3.
      item(SESSION(6), USER.u2, 0, TRACKS.t4, ARTISTS.a3, 'Cobalt Choir', 1.29, `${DAY_2} 14:00:00`, day),
    ];
  }
  if (day === DAY_4) {
    return [item(SESSION(9), USER.u1, 0, TRACKS.t5, ARTISTS.a4, 'Delta Dawn', 2.99, `${day} 08:30:00`, day)];
  }
  return [
    item(SESSION(4), USER.u1, 0, TRACKS.t2, ARTISTS.a1, 'Aurora Lane', 3.5, `${day} 09:05:00`, day),
    item(SESSION(4), USER.u1, 1, TRACKS.t2, ARTISTS.a1, 'Aurora Lane', 3.5, `${day} 09:05:00`, day),
    item(SESSION(5), USER.u4, 0, TRACKS.t3, ARTISTS.a2, 'Basalt', 0.99, `${day} 09:30:00`, day),
    item(SESSION(6), USER.u2, 0, TRACKS.t4, ARTISTS.a3, 'Cobalt Choir', 1.29, `${day} 14:00:00`, day),
  ];
}

export interface Fixture {
  readonly dir: string;
  /** Data files of each table's current snapshot after the run of each day (as Iceberg would list them). */
  readonly filesAfter: Record<string, TransformDataFiles>;
  /** Each day's own data files (one partition per table). */
  readonly filesOfDay: Record<string, TransformDataFiles>;
  /** DAY_2's files with a corrected users snapshot in which u1 never moved. */
  readonly correctedDay2: TransformDataFiles;
  /**
   * DAY_2's files with one more purchase by a buyer missing from the users snapshot: 1 of 5 fact rows
   * without a user key (1 of 4 once DAY_3, which extracts DAY_2's afternoon session again, is loaded),
   * over the error threshold of fact_session_items_user_key_mostly_not_null (5 %).
   */
  readonly strayBuyerDay2: TransformDataFiles;
  /** strayBuyerDay2, then DAY_3 with {@link STRAY_USER}'s profile in its users snapshot (a late profile). */
  readonly strayProfileDay3: TransformDataFiles;
}

/** A buyer who is in no users snapshot. */
export const STRAY_USER = '99999999-9999-4999-8999-999999999999';

/** DAY_2's sessions with one more purchase by {@link STRAY_USER} (see `Fixture.strayBuyerDay2`). */
export function strayBuyerSessionsDay2(): Record_[] {
  return [
    ...sessionsOn(DAY_2),
    item(SESSION(8), STRAY_USER, 0, TRACKS.t1, ARTISTS.a1, 'Aurora Lane', 1.99, `${DAY_2} 16:00:00`, DAY_2),
  ];
}

/**
 * The rows of each transform table after the run of `day`: every partition up to it, the rows
 * `Fixture.filesAfter[day]` holds (for stand-ins that load rows rather than read parquet files).
 */
export function transformRowsAfter(day: string): Record<TransformTable, Record_[]> {
  return transformRowsOf(DAYS.filter((each) => each <= day));
}

/** The rows of each transform table once the given days (only) have been extracted and transformed. */
export function transformRowsOf(days: readonly string[]): Record<TransformTable, Record_[]> {
  return {
    users: days.flatMap(usersOn),
    sessions: days.flatMap(sessionsOn),
    songs: days.flatMap(songsOn),
    ...enrichmentRowsOf(days),
    listens: days.flatMap(listensRowsOn),
  };
}

/** Writes the fixture's parquet files under a new temp directory. */
export async function writeFixture(prefix = 'deftunes-serving-'): Promise<Fixture> {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  const dataDir = path.join(dir, 'transform');
  mkdirSync(dataDir, { recursive: true });
  const writer = await DuckDbWarehouse.open(':memory:');
  const files = Object.fromEntries(TRANSFORM_TABLES.map((table) => [table, [] as string[]])) as Record<
    TransformTable,
    string[]
  >;
  const filesAfter: Record<string, TransformDataFiles> = {};
  const filesOfDay: Record<string, TransformDataFiles> = {};
  try {
    for (const day of DAYS) {
      const rows = transformRowsOf([day]);
      for (const table of TRANSFORM_TABLES) {
        files[table].push(
          await writeParquet(writer, path.join(dataDir, `${table}-${day}.parquet`), table, rows[table]),
        );
      }
      filesAfter[day] = Object.fromEntries(Object.entries(files).map(([table, list]) => [table, [...list]]));
      filesOfDay[day] = Object.fromEntries(
        Object.entries(files).map(([table, list]) => [table, list.slice(-1)]),
      );
    }
    // u1 never moved: the same profile as on DAY_1.
    const corrected = usersOn(DAY_2).map((row) =>
      row.user_id === USER.u1 ? user(USER.u1, 'Ann', 'New York', 'US', 'America/New_York', 40.7, DAY_2) : row,
    );
    const correctedFile = await writeParquet(
      writer,
      path.join(dataDir, `users-${DAY_2}-corrected.parquet`),
      'users',
      corrected,
    );
    const strayFile = await writeParquet(
      writer,
      path.join(dataDir, `sessions-${DAY_2}-stray-buyer.parquet`),
      'sessions',
      strayBuyerSessionsDay2(),
    );
    const strayProfileFile = await writeParquet(
      writer,
      path.join(dataDir, `users-${DAY_3}-stray-profile.parquet`),
      'users',
      [...usersOn(DAY_3), user(STRAY_USER, 'Sam', 'Lyon', 'FR', 'Europe/Paris', 45.7, DAY_3)],
    );
    return {
      dir,
      filesAfter,
      filesOfDay,
      correctedDay2: { ...filesAfter[DAY_2], users: [files.users[0], correctedFile] },
      strayBuyerDay2: { ...filesAfter[DAY_2], sessions: [files.sessions[0], strayFile] },
      strayProfileDay3: {
        ...filesAfter[DAY_3],
        sessions: [files.sessions[0], strayFile, files.sessions[2]],
        users: [files.users[0], files.users[1], strayProfileFile],
      },
    };
  } finally {
    await writer.close();
  }
}

/**
 * The data files once the given days (only) have been extracted and transformed, in date order: the
 * transform zone when dates are loaded out of order.
 */
export function filesOfDays(fixture: Fixture, days: readonly string[]): TransformDataFiles {
  const ordered = [...new Set(days)].sort();
  return Object.fromEntries(
    Object.keys(fixture.filesOfDay[DAY_1]).map((table) => [
      table,
      ordered.flatMap((day) => fixture.filesOfDay[day][table as TransformTable] ?? []),
    ]),
  );
}

/**
 * Fact rows whose keys resolve to no dimension row, per dimension; a user key must also be the version
 * valid at the session's start.
 */
export const UNRESOLVED_FACT_KEYS = `select
    count(*) filter (where u.user_key is null or f.session_start_time < u.valid_from
      or f.session_start_time >= coalesce(u.valid_to, timestamp '9999-12-31')) as users,
    count(*) filter (where s.song_key is null) as songs,
    count(*) filter (where a.artist_key is null) as artists,
    count(*) filter (where d.date_key is null) as dates
  from fact_session_items f
  left join dim_users u on u.user_key = f.user_key
  left join dim_songs s on s.song_key = f.song_key
  left join dim_artists a on a.artist_key = f.artist_key
  left join dim_date d on d.date_key = f.date_key`;
