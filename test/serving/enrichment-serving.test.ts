/**
 * The artist-enrichment models on DuckDB through serving-load (the executor of the serving plan), over the
 * fixture's small hand-built transform data (enrichment-fixtures.ts): attractions matched by MusicBrainz id
 * first, then by normalized name, the unmatched listed; the artist dimension's genre and popularity; the BI
 * views' answers; re-running a date changes nothing; and a transform zone without any enrichment data (a
 * data directory from before the feature) still builds every model.
 */
import { mkdirSync, rmSync } from 'node:fs';
import * as path from 'node:path';
import type { ServingPlan } from '../../lambdas/shared/serving-plan';
import type { TransformDataFiles } from '../../lib/local/spectrum';
import { ENRICHMENT_TABLES } from './enrichment-fixtures';
import { duckdbPlan, loadServingDay, queryServing } from '../fixtures/warehouse';
import { DAY_1, DAY_2, DAY_3, Fixture, filesOfDays, writeFixture } from './fixtures';
import { localPaths } from '../../lib/local/data-dir';

const A1 = 'ARAAAAAAAAAAAAAAA1';
const A2 = 'ARBBBBBBBBBBBBBBB2';
const A3 = 'ARCCCCCCCCCCCCCCC3';
const LOST = 'ARZZZZZZZZZZZZZZZ9';
const ENRICHMENT_MODELS = [
  'fact_concerts',
  'unmatched_concert_artists_vw',
  'artist_top_song_vw',
  'concert_locations_vw',
  'artist_sales_vs_concerts_vw',
];

let fixture: Fixture;
let plan: ServingPlan;

async function load(database: string, runDate: string, files: TransformDataFiles): Promise<void> {
  await loadServingDay(database, files, runDate, plan);
}

const query = queryServing;

/** Every row of the enrichment models and of dim_artists, in a stable order. */
async function enrichmentState(database: string): Promise<Record<string, unknown[]>> {
  const state: Record<string, unknown[]> = {};
  for (const model of [...ENRICHMENT_MODELS, 'dim_artists']) {
    state[model] = await query(database, `select * from ${model} order by all`);
  }
  return state;
}

const MATCHES_SQL = `select event_id, attraction_id, artist_id, match_method, event_date_key, venue_country_code
  from fact_concerts order by event_id, attraction_id`;

let database: string;

beforeAll(async () => {
  plan = duckdbPlan();
  fixture = await writeFixture('deftunes-enrichment-');
  database = localPaths(fixture.dir).warehouseDb;
  mkdirSync(path.dirname(database), { recursive: true });
  await load(database, DAY_1, filesOfDays(fixture, [DAY_1]));
}, 300_000);

afterAll(() => rmSync(fixture.dir, { recursive: true, force: true }));

describe('after the first day', () => {
  test('attractions match by MusicBrainz id first, then by normalized name; the others stay, unmatched', async () => {
    expect(await query(database, MATCHES_SQL)).toEqual([
      {
        event_id: 'e1',
        attraction_id: 'K-AUR',
        artist_id: A1,
        match_method: 'mbid',
        event_date_key: 20240310,
        venue_country_code: 'GB',
      },
      // "The Basalt!": punctuation and a leading "the " removed.
      {
        event_id: 'e1',
        attraction_id: 'K-BAS',
        artist_id: A2,
        match_method: 'name',
        event_date_key: 20240310,
        venue_country_code: 'GB',
      },
      {
        event_id: 'e2',
        attraction_id: 'K-UNK',
        artist_id: null,
        match_method: null,
        event_date_key: 20240312,
        venue_country_code: 'FR',
      },
      // "Cobalt  Choir" (two spaces) with an mbid the catalog does not know: by name.
      {
        event_id: 'e3',
        attraction_id: 'K-COB',
        artist_id: A3,
        match_method: 'name',
        event_date_key: 20240315,
        venue_country_code: 'DE',
      },
      // Named "Basalt" but carrying Aurora Lane's mbid: the mbid wins.
      {
        event_id: 'e3',
        attraction_id: 'K-MIX',
        artist_id: A1,
        match_method: 'mbid',
        event_date_key: 20240315,
        venue_country_code: 'DE',
      },
    ]);
    expect(await query(database, 'select * from unmatched_concert_artists_vw')).toEqual([
      {
        attraction_id: 'K-UNK',
        attraction_name: 'Unknown Band',
        attraction_mbid: 'mbid-unknown',
        concerts: 1,
        first_event_date: '2024-03-12',
        last_event_date: '2024-03-12',
      },
    ]);
  });

  // [what the model must hold, the query, its rows]
  test.each<[string, string, Record<string, unknown>[]]>([
    [
      'every concert date has its dim_date row, and matched keys resolve to dim_artists',
      `select count(*) filter (where d.date_key is null) as dates,
          count(*) filter (where f.artist_key is not null and a.artist_key is null) as artists
        from fact_concerts f
        left join dim_date d on d.date_key = f.event_date_key
        left join dim_artists a on a.artist_key = f.artist_key`,
      [{ dates: 0, artists: 0 }],
    ],
    [
      'dim_artists carries the newest statistics found: genre in lower case, unknown without a tag',
      'select artist_id, genre, listeners, playcount, stats_as_of from dim_artists order by artist_id',
      [
        { artist_id: A1, genre: 'indie pop', listeners: 1000, playcount: 50000, stats_as_of: DAY_1 },
        { artist_id: A2, genre: 'unknown', listeners: 250, playcount: 50000, stats_as_of: DAY_1 },
        // Looked up and not found: no statistics.
        { artist_id: A3, genre: 'unknown', listeners: null, playcount: null, stats_as_of: null },
        { artist_id: LOST, genre: 'unknown', listeners: null, playcount: null, stats_as_of: null },
      ],
    ],
    [
      'concert_locations_vw: concerts, artists and dates per venue country and city',
      'select * from concert_locations_vw order by venue_country_code',
      [
        ['DE', 'Berlin', 1, 2, '2024-03-15'],
        ['FR', 'Paris', 1, 1, '2024-03-12'],
        ['GB', 'London', 1, 2, '2024-03-10'],
      ].map(([venue_country_code, venue_city, concerts, artists, date]) => ({
        venue_country_code,
        venue_city,
        concerts,
        artists,
        first_event_date: date,
        last_event_date: date,
      })),
    ],
    [
      'artist_sales_vs_concerts_vw: sales to each country beside the upcoming concerts there',
      `select artist_id, country_code, items_sold, cast(revenue as varchar) as revenue, upcoming_concerts
        from artist_sales_vs_concerts_vw order by artist_id, country_code`,
      [
        { artist_id: A1, country_code: 'DE', items_sold: 0, revenue: '0.00', upcoming_concerts: 1 },
        { artist_id: A1, country_code: 'FR', items_sold: 1, revenue: '1.99', upcoming_concerts: 0 },
        { artist_id: A1, country_code: 'GB', items_sold: 0, revenue: '0.00', upcoming_concerts: 1 },
        { artist_id: A1, country_code: 'US', items_sold: 1, revenue: '1.99', upcoming_concerts: 0 },
        { artist_id: A2, country_code: 'GB', items_sold: 0, revenue: '0.00', upcoming_concerts: 1 },
        { artist_id: A2, country_code: 'US', items_sold: 1, revenue: '0.99', upcoming_concerts: 0 },
        { artist_id: A3, country_code: 'DE', items_sold: 1, revenue: '1.29', upcoming_concerts: 1 },
        { artist_id: LOST, country_code: 'DE', items_sold: 1, revenue: '2.49', upcoming_concerts: 0 },
      ],
    ],
  ])('%s', async (_title, sql, rows) => {
    expect(await query(database, sql)).toEqual(rows);
  });
});

describe('later days', () => {
  let afterDay2: Record<string, unknown[]>;

  beforeAll(async () => {
    await load(database, DAY_2, filesOfDays(fixture, [DAY_1, DAY_2]));
    afterDay2 = await enrichmentState(database);
  }, 300_000);

  test('the facts follow the newest concerts snapshot and the newest statistics', async () => {
    expect(
      (await query(database, MATCHES_SQL)).map((row) => [row.event_id, row.attraction_id, row.match_method]),
    ).toEqual([
      ['e1', 'K-AUR', 'mbid'],
      ['e1', 'K-BAS', 'name'],
      ['e3', 'K-COB', 'name'],
      ['e4', 'K-AUR', 'mbid'],
    ]);
    expect(await query(database, 'select * from unmatched_concert_artists_vw')).toEqual([]);
    expect(
      await query(
        database,
        `select genre, listeners, stats_as_of from dim_artists where artist_id = '${A1}'`,
      ),
    ).toEqual([{ genre: 'dream pop', listeners: 1200, stats_as_of: DAY_2 }]);
  });

  test('artist_top_song_vw: the most sold song, ties to the smaller track id, with its revenue', async () => {
    // Aurora Lane: t1 sold twice on DAY_1 (3.98), t2 twice on DAY_2 (7.00): a tie on items.
    expect(
      await query(
        database,
        `select artist_id, track_id, song_title, items_sold, cast(revenue as varchar) as revenue
          from artist_top_song_vw where artist_id in ('${A1}', '${A2}') order by artist_id`,
      ),
    ).toEqual([
      {
        artist_id: A1,
        track_id: 'TRAAAAAAAAAAAAAAA1',
        song_title: 'First Light',
        items_sold: 2,
        revenue: '3.98',
      },
      {
        artist_id: A2,
        track_id: 'TRCCCCCCCCCCCCCCC3',
        song_title: 'Blue Hour',
        items_sold: 2,
        revenue: '1.98',
      },
    ]);
  });

  test('re-running a date, or loading a day that landed no enrichment, changes nothing', async () => {
    await load(database, DAY_2, filesOfDays(fixture, [DAY_1, DAY_2]));
    expect(await enrichmentState(database)).toEqual(afterDay2);
    await load(database, DAY_1, filesOfDays(fixture, [DAY_1, DAY_2]));
    expect(await enrichmentState(database)).toEqual(afterDay2);
    // DAY_3 sells more (the sales views move) but lands no enrichment: the concerts and statistics stay.
    await load(database, DAY_3, filesOfDays(fixture, [DAY_1, DAY_2, DAY_3]));
    const afterDay3 = await enrichmentState(database);
    for (const model of [
      'fact_concerts',
      'unmatched_concert_artists_vw',
      'concert_locations_vw',
      'dim_artists',
    ])
      expect(afterDay3[model]).toEqual(afterDay2[model]);
  }, 300_000);
});

describe('without any enrichment data every model still builds', () => {
  let empty: string;
  beforeAll(async () => {
    empty = path.join(localPaths(fixture.dir).serving, 'before-enrichment.duckdb');
    const files = filesOfDays(fixture, [DAY_1]);
    for (const table of ENRICHMENT_TABLES) delete files[table];
    await load(empty, DAY_1, files);
  }, 300_000);

  test.each<[string, string, Record<string, unknown>[]]>([
    ['no concerts', 'select count(*) as n from fact_concerts', [{ n: 0 }]],
    [
      'unknown genre, no statistics',
      'select distinct genre, listeners from dim_artists',
      [{ genre: 'unknown', listeners: null }],
    ],
    ['no concert locations', 'select count(*) as n from concert_locations_vw', [{ n: 0 }]],
    [
      'the sales beside no upcoming concert',
      'select sum(upcoming_concerts) as concerts, sum(items_sold) as items from artist_sales_vs_concerts_vw',
      [{ concerts: 0, items: 5 }],
    ],
  ])('%s', async (_what, sql, rows) => {
    expect(await query(empty, sql)).toEqual(rows);
  });
});
