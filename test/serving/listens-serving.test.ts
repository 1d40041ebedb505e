/**
 * The listening-event models (docs/listening-events.md, "Serving") on DuckDB through serving-load, over the
 * fixture's plays (listens-fixtures.ts): fact_listens keeps every play of its date with the user's version
 * valid when it was played and null keys for what no dimension knows; kpi_genre_daily and kpi_hourly equal
 * the KPIs computed here, in TypeScript, from the transform rows (not by the models' SQL); the BI views add
 * the names; a run for D rebuilds D only, and re-running it changes nothing.
 */
import { mkdirSync, rmSync } from 'node:fs';
import * as path from 'node:path';
import { DuckDbWarehouse } from '../../lib/local/adapters/duckdb-warehouse';
import type { ServingPlan } from '../../lambdas/shared/serving-plan';
import {
  DAY_1,
  DAY_2,
  DAY_3,
  DAY_4,
  Fixture,
  filesOfDays,
  transformRowsOf,
  USER,
  writeFixture,
} from './fixtures';
import { duckdbPlan, loadServingDay, queryServing } from '../fixtures/warehouse';
import { eventId, PLAYS, STRANGER, UNKNOWN_TRACK } from './listens-fixtures';
import { expectedGenreDaily, expectedHourly, rounded } from './listens-reference';
import { localPaths } from '../../lib/local/data-dir';

const LISTENING_MODELS = [
  'fact_listens',
  'kpi_genre_daily',
  'kpi_hourly',
  'listening_hourly_vw',
  'genre_daily_vw',
];

let fixture: Fixture;
let plan: ServingPlan;
let database: string;

/** Points the transform views at the days transformed so far and loads `runDate`. */
async function load(runDate: string, transformed: readonly string[]): Promise<void> {
  await loadServingDay(database, filesOfDays(fixture, transformed), runDate, plan);
}

const query = async (sql: string): Promise<Record<string, unknown>[]> =>
  (await queryServing(database, sql)).map(rounded);

async function listeningState(): Promise<Record<string, unknown[]>> {
  const state: Record<string, unknown[]> = {};
  for (const model of LISTENING_MODELS) state[model] = await query(`select * from ${model} order by all`);
  return state;
}

const GENRE_SQL = (day: string): string =>
  `select cast(listen_date as varchar) as listen_date, genre, listen_count, avg_track_duration_s, avg_popularity,
     popularity_index, top_track_id, top_track_plays
   from kpi_genre_daily where listen_date = cast('${day}' as date) order by genre`;
const HOURLY_SQL = (day: string): string =>
  `select cast(listen_date as varchar) as listen_date, listen_hour, unique_listeners, total_plays, unique_tracks,
     track_diversity_index, top_artist_id, top_artist_plays
   from kpi_hourly where listen_date = cast('${day}' as date) order by listen_hour`;

beforeAll(async () => {
  plan = duckdbPlan();
  fixture = await writeFixture('deftunes-listens-');
  database = localPaths(fixture.dir).warehouseDb;
  mkdirSync(path.dirname(database), { recursive: true });
  await load(DAY_1, [DAY_1]);
  await load(DAY_2, [DAY_1, DAY_2]);
}, 300_000);

afterAll(() => rmSync(fixture.dir, { recursive: true, force: true }));

test('fact_listens: every play of the date once, the user version of its time, null keys where no dimension knows', async () => {
  const rows = await query(
    `select facts.event_id, facts.track_id, users.place_name, facts.user_key is null as no_user,
       facts.song_key is null as no_song, facts.artist_key is null as no_artist, facts.date_key, facts.arrived_late
     from fact_listens as facts left join dim_users as users on users.user_key = facts.user_key
     order by facts.event_id`,
  );
  // u1 moved to London on DAY_2 at 00:00: his plays of that day are his London version's.
  const placeOf: Record<string, string | null> = {
    [USER.u1]: 'London',
    [USER.u2]: 'Paris',
    [USER.u3]: 'Berlin',
    [USER.u4]: 'Madrid',
    [STRANGER]: null,
  };
  expect(rows).toEqual(
    PLAYS[DAY_2].map((play) => ({
      event_id: eventId(play.event),
      track_id: play.track,
      place_name: placeOf[play.user],
      no_user: play.user === STRANGER,
      no_song: play.track === UNKNOWN_TRACK,
      no_artist: play.track === UNKNOWN_TRACK,
      date_key: 20240302,
      arrived_late: play.lateArrival !== undefined,
    })),
  );
  // No play of DAY_1 (an empty partition) and none of a date not run yet.
  expect(
    await query("select count(*) as plays from fact_listens where listen_date <> date '2024-03-02'"),
  ).toEqual([{ plays: 0 }]);
});

test('kpi_genre_daily and kpi_hourly of DAY_2 equal the KPIs computed from the plays', async () => {
  const rows = transformRowsOf([DAY_1, DAY_2]);
  expect(await query(GENRE_SQL(DAY_2))).toEqual(expectedGenreDaily(rows, DAY_2));
  expect(await query(HOURLY_SQL(DAY_2))).toEqual(expectedHourly(rows, DAY_2));
  // The story's ties and unknowns, stated: dream pop's t1 and t2 tie (2 plays each), hour 9's Aurora Lane
  // and Basalt tie (2 each), the unknown genre holds the unknown track's play.
  expect(
    await query(
      `select genre, top_track_id, top_track_plays, listen_count from kpi_genre_daily order by genre`,
    ),
  ).toEqual([
    { genre: 'dream pop', top_track_id: 'TRAAAAAAAAAAAAAAA1', top_track_plays: 2, listen_count: 4 },
    { genre: 'unknown', top_track_id: 'TRCCCCCCCCCCCCCCC3', top_track_plays: 4, listen_count: 6 },
  ]);
  expect(await query('select top_artist_id from kpi_hourly where listen_hour = 9')).toEqual([
    { top_artist_id: 'ARAAAAAAAAAAAAAAA1' },
  ]);
});

test('the BI views name the top artist and the top track', async () => {
  expect(
    await query(
      "select listen_hour, top_artist_name, top_artist_plays from listening_hourly_vw where listen_date = date '2024-03-02' order by listen_hour",
    ),
  ).toEqual([
    { listen_hour: 0, top_artist_name: 'Aurora Lane', top_artist_plays: 1 },
    { listen_hour: 9, top_artist_name: 'Aurora Lane', top_artist_plays: 2 },
    { listen_hour: 14, top_artist_name: 'Aurora Lane', top_artist_plays: 1 },
    { listen_hour: 23, top_artist_name: 'Basalt', top_artist_plays: 1 },
  ]);
  expect(
    await query('select genre, top_track_title, top_track_artist_name from genre_daily_vw order by genre'),
  ).toEqual([
    { genre: 'dream pop', top_track_title: 'First Light', top_track_artist_name: 'Aurora Lane' },
    { genre: 'unknown', top_track_title: 'Blue Hour', top_track_artist_name: 'Basalt' },
  ]);
});

test('a run for D rebuilds D only; re-running it changes nothing', async () => {
  const afterDay2 = await listeningState();
  await load(DAY_2, [DAY_1, DAY_2]);
  expect(await listeningState()).toEqual(afterDay2);

  // A DAY_2 row altered by hand stays as it is through the runs of other dates: they do not rebuild it.
  const warehouse = await DuckDbWarehouse.open(database);
  try {
    await warehouse.query(`update deftunes_serving.kpi_hourly set total_plays = 99 where listen_hour = 0`);
  } finally {
    await warehouse.close();
  }
  await load(DAY_3, [DAY_1, DAY_2, DAY_3]);
  await load(DAY_4, [DAY_1, DAY_2, DAY_3, DAY_4]);
  expect(await query('select total_plays from kpi_hourly where listen_hour = 0')).toEqual([
    { total_plays: 99 },
  ]);
  await load(DAY_2, [DAY_1, DAY_2, DAY_3, DAY_4]);
  expect(await query('select total_plays from kpi_hourly where listen_hour = 0')).toEqual([
    { total_plays: 1 },
  ]);

  // DAY_4 (u1 back in New York, Delta Dawn's new track): its KPIs, then a re-run that changes nothing.
  const rows = transformRowsOf([DAY_1, DAY_2, DAY_3, DAY_4]);
  expect(await query(GENRE_SQL(DAY_4))).toEqual(expectedGenreDaily(rows, DAY_4));
  expect(await query(HOURLY_SQL(DAY_4))).toEqual(expectedHourly(rows, DAY_4));
  expect(
    await query(
      `select distinct users.place_name from fact_listens as facts
       inner join dim_users as users on users.user_key = facts.user_key
       where facts.user_id = '${USER.u1}' and facts.listen_date = date '${DAY_4}'`,
    ),
  ).toEqual([{ place_name: 'New York' }]);
  const afterDay4 = await listeningState();
  await load(DAY_4, [DAY_1, DAY_2, DAY_3, DAY_4]);
  expect(await listeningState()).toEqual(afterDay4);
  expect(
    await query(
      'select cast(listen_date as varchar) as day, count(*) as plays from fact_listens group by 1 order by 1',
    ),
  ).toEqual([
    { day: DAY_2, plays: PLAYS[DAY_2].length },
    { day: DAY_4, plays: PLAYS[DAY_4].length },
  ]);
}, 300_000);
