/**
 * Every rule of the dbt project, run from the compiled duckdb serving plan on a DuckDB file: quiet on
 * valid data, firing on a crafted bad partition, with warn and error thresholds as configured.
 */
import { runCompiledTest } from '../../lambdas/data-quality/compiled-tests';
import type { RuleResult } from '../../lambdas/data-quality/result-document';
import type { PlanTest } from '../../lambdas/shared/serving-plan';
import {
  FIRST_DATE,
  MOVED_USER,
  openFixture,
  RUN_DATE,
  RUN_DATE_ITEMS,
  syntheticDays,
  userId,
  type Fixture,
} from './fixtures';
import { breaks, type BreakCase } from './break-case';
import { ENRICHMENT_SERVING_CASES, ENRICHMENT_TRANSFORM_CASES } from './enrichment-cases';
import { LISTENS_SERVING_CASES, LISTENS_TRANSFORM_CASES } from './listens-cases';

const PARTITION = `ingest_on = date '${RUN_DATE}'`;
const track = (i: number): string => `TR${String(i).padStart(16, '0')}`;

let fixture: Fixture;

beforeAll(async () => {
  fixture = await openFixture();
});
afterAll(async () => fixture?.close());

async function runStage(stage: PlanTest['stage']): Promise<Map<string, RuleResult>> {
  const results = new Map<string, RuleResult>();
  for (const test of fixture.plan.tests.filter((candidate) => candidate.stage === stage)) {
    results.set(test.name, await runCompiledTest(fixture.warehouse, test, RUN_DATE));
  }
  return results;
}

function notPassed(results: Map<string, RuleResult>): Record<string, string> {
  return Object.fromEntries(
    [...results].filter(([, r]) => r.status !== 'passed').map(([name, r]) => [name, r.status]),
  );
}

describe('on valid data', () => {
  beforeAll(() => fixture.reset());

  it.each(['transform', 'serving'] as const)('every %s rule passes', async (stage) => {
    const results = await runStage(stage);
    expect(results.size).toBeGreaterThan(15);
    expect(notPassed(results)).toEqual({});
    for (const result of results.values()) expect(result.error).toBeUndefined();
  });

  it('is the serving layer serving-load built, one guarded load per day', async () => {
    const days = syntheticDays(RUN_DATE);
    expect(days).toHaveLength(8);
    expect(days[0]).toBe(FIRST_DATE);
    expect(fixture.loads.map((load) => load.run_date)).toEqual(days);
    for (const load of fixture.loads) {
      expect(load.guarded_tests.length).toBeGreaterThan(5);
      // Days in order: each run replays from the day before (the first from itself).
      expect(load.models.find((model) => model.name === 'dim_users')?.replayed_from).toBe(
        days[Math.max(0, days.indexOf(load.run_date) - 1)],
      );
    }
    const [facts] = await fixture.warehouse.query<{ days: unknown; items: unknown }>(
      'select count(distinct ingest_on) as days, count(*) as items from deftunes_serving.fact_session_items',
    );
    expect({ days: Number(facts.days), items: Number(facts.items) }).toEqual({
      days: days.length,
      items: days.length * RUN_DATE_ITEMS,
    });
    const versions = await fixture.warehouse.query<{
      valid_from: unknown;
      valid_to: unknown;
      is_current: boolean;
    }>(
      `select cast(valid_from as varchar) as valid_from, cast(valid_to as varchar) as valid_to, is_current
       from deftunes_serving.dim_users where user_id = '${MOVED_USER}' order by valid_from`,
    );
    expect(versions).toEqual([
      { valid_from: '1900-01-01 00:00:00', valid_to: '2020-02-05 00:00:00', is_current: false },
      { valid_from: '2020-02-05 00:00:00', valid_to: null, is_current: true },
    ]);
  });

  it('has rules on every transform table and on every serving model', () => {
    const tables = new Set(fixture.plan.tests.map((test) => `${test.tested.schema}.${test.tested.table}`));
    for (const table of [
      'deftunes_transform.songs',
      'deftunes_transform.sessions',
      'deftunes_transform.users',
      'deftunes_transform.concerts',
      'deftunes_transform.artist_stats',
      'deftunes_serving.fact_session_items',
      'deftunes_serving.fact_concerts',
      'deftunes_serving.dim_users',
      'deftunes_serving.dim_songs',
      'deftunes_serving.dim_artists',
      'deftunes_serving.dim_date',
      'deftunes_serving.sales_per_artist_vw',
      'deftunes_serving.sales_per_country_vw',
      'deftunes_serving.hourly_kpis_vw',
      'deftunes_serving.unmatched_concert_artists_vw',
      'deftunes_serving.artist_top_song_vw',
      'deftunes_serving.concert_locations_vw',
      'deftunes_serving.artist_sales_vs_concerts_vw',
    ]) {
      expect(tables).toContain(table);
    }
  });
});

/** Sets `assignment` on the run date's rows of a transform table that match `where`. */
const update = (table: string, assignment: string, where: string): string =>
  `update deftunes_transform.${table} set ${assignment} where ${PARTITION} and ${where}`;
/** Inserts the run date's rows of a transform table that match `where` once more. */
const duplicate = (table: string, where: string): string =>
  `insert into deftunes_transform.${table} select * from deftunes_transform.${table} where ${PARTITION} and ${where}`;
const aSong = (i: number): string => `track_id = '${track(i)}'`;
/** Item `index` of user 3's session. */
const anItem = (index: number): string => `item_index = ${index} and user_id = '${userId(3)}'`;
const USER_40 = `user_id = '${userId(40)}'`;

/** `what` whose `column` is null on the run date: the column's not-null source rule fails. */
function nulled(
  what: string,
  table: string,
  column: string,
  where: string,
  mayAlsoFire?: string[],
): BreakCase {
  return breaks(
    `${what} without ${column}`,
    update(table, `${column} = null`, where),
    { [`source_not_null_deftunes_transform_${table}_${column}`]: 'failed' },
    mayAlsoFire,
  );
}

const TRANSFORM_CASES: BreakCase[] = [
  nulled('a song', 'songs', 'track_id', aSong(5), ['sessions_song_id_in_songs_track_id']),
  breaks(
    'a track_id of 17 characters',
    update('songs', "track_id = 'TR123456789012345'", aSong(5)),
    { songs_track_id_is_18_characters: 'failed' },
    ['sessions_song_id_in_songs_track_id'],
  ),
  breaks('a track listed twice in one snapshot', duplicate('songs', aSong(9)), {
    source_unique_deftunes_transform_songs_track_id: 'failed',
  }),
  nulled('a song', 'songs', 'song_id', aSong(3)),
  breaks('a song_id of 19 characters', update('songs', "song_id = song_id || 'X'", aSong(3)), {
    songs_song_id_is_18_characters: 'failed',
  }),
  nulled('a song', 'songs', 'artist_id', aSong(3)),
  breaks('a song of duration 0', update('songs', 'duration = 0', aSong(3)), {
    songs_duration_positive: 'failed',
  }),
  breaks('a song from 1850', update('songs', 'year = 1850', aSong(3)), {
    songs_year_unknown_or_1900_to_2100: 'failed',
  }),
  breaks('a song from 2101', update('songs', 'year = 2101', aSong(4)), {
    songs_year_unknown_or_1900_to_2100: 'failed',
  }),
  nulled('a session item', 'sessions', 'user_id', anItem(0)),
  breaks(
    'a user_id of 35 characters in sessions',
    update('sessions', 'user_id = substr(user_id, 2)', anItem(0)),
    { sessions_user_id_is_36_characters: 'failed' },
    ['sessions_user_id_in_users_snapshot'],
  ),
  nulled('a session item', 'sessions', 'session_id', anItem(2)),
  breaks(
    'a session_id of 37 characters',
    update('sessions', "session_id = session_id || '0'", `user_id = '${userId(3)}'`),
    { sessions_session_id_is_36_characters: 'failed' },
  ),
  nulled('a session item', 'sessions', 'song_id', anItem(1)),
  breaks('a price of 0', update('sessions', 'price = 0', anItem(1)), {
    sessions_price_above_0_at_most_2: 'failed',
  }),
  breaks('a price above 2', update('sessions', 'price = 2.01', anItem(1)), {
    sessions_price_above_0_at_most_2: 'failed',
  }),
  nulled('a session item', 'sessions', 'price', anItem(1)),
  breaks('a price in EUR', update('sessions', "currency = 'EUR'", anItem(1)), {
    sessions_currency_accepted: 'failed',
  }),
  breaks('a session item listed twice', duplicate('sessions', anItem(1)), {
    sessions_session_id_item_index_unique: 'failed',
  }),
  breaks(
    '2% of the items sell tracks missing from the catalog (warn below 99%)',
    update(
      'sessions',
      "song_id = 'TR9999999999999999'",
      `item_index = 0 and user_id in ('${userId(1)}', '${userId(2)}', '${userId(3)}', '${userId(4)}')`,
    ),
    { sessions_song_id_in_songs_track_id: 'warned' },
  ),
  breaks(
    '10% of the items sell tracks missing from the catalog (error below 95%)',
    update(
      'sessions',
      "song_id = 'TR9999999999999999'",
      `item_index in (0, 1) and user_id < '${userId(10)}'`,
    ),
    { sessions_song_id_in_songs_track_id: 'failed' },
  ),
  breaks(
    'one item (0.5%) bought by a user missing from the users snapshot (tolerated)',
    update('sessions', `user_id = '${userId(999)}'`, anItem(0)),
    {},
  ),
  breaks(
    'a session (2.5%) bought by a user missing from the users snapshot (a late profile: quiet up to 5%)',
    update('sessions', `user_id = '${userId(999)}'`, `user_id = '${userId(3)}'`),
    {},
  ),
  breaks(
    'three sessions (7.5%) bought by users missing from the users snapshot (a warning, never a failure)',
    update(
      'sessions',
      `user_id = '${userId(999)}'`,
      `user_id in ('${userId(3)}', '${userId(4)}', '${userId(5)}')`,
    ),
    { sessions_user_id_in_users_snapshot: 'warned' },
  ),
  nulled('a user', 'users', 'user_id', USER_40),
  breaks('a user twice in one snapshot', duplicate('users', USER_40), {
    source_unique_deftunes_transform_users_user_id: 'failed',
  }),
  breaks('a user_id of 36 characters that is not one', update('users', "user_id = 'x'", USER_40), {
    users_user_id_is_36_characters: 'failed',
  }),
  ...['user_name', 'user_lastname', 'user_since', 'country_code', 'latitude', 'longitude'].map((column) =>
    nulled('a user', 'users', column, USER_40),
  ),
  breaks('a country code of three letters', update('users', "country_code = 'USA'", USER_40), {
    users_country_code_two_letters: 'failed',
  }),
  breaks('a country code in lower case', update('users', "country_code = 'us'", USER_40), {
    users_country_code_two_letters: 'failed',
  }),
  breaks('a latitude of 91', update('users', 'latitude = 91', USER_40), {
    users_latitude_in_range: 'failed',
  }),
  breaks('a longitude of -181', update('users', 'longitude = -181', USER_40), {
    users_longitude_in_range: 'failed',
  }),
  breaks(
    "the run date's sessions at 40% of the trailing mean (warn)",
    `delete from deftunes_transform.sessions where ${PARTITION} and session_id >= '10000000-0000-4000-8000-000070000016'`,
    { sessions_volume_within_band: 'warned' },
  ),
  breaks(
    "the run date's users snapshot at twice the trailing mean (warn)",
    `insert into deftunes_transform.users
       select '00000000-0000-4000-8001-' || substr(user_id, 25), * exclude (user_id)
       from deftunes_transform.users where ${PARTITION}`,
    { users_volume_within_band: 'warned' },
  ),
];

const SERVING_CASES: BreakCase[] = [
  breaks(
    'two fact rows with the same surrogate key',
    `update deftunes_serving.fact_session_items set session_item_key = (
         select min(session_item_key) from deftunes_serving.fact_session_items where ${PARTITION})
       where session_item_key = (select max(session_item_key) from deftunes_serving.fact_session_items where ${PARTITION})`,
    { unique_fact_session_items_session_item_key: 'failed' },
  ),
  breaks(
    'a session item loaded twice',
    `insert into deftunes_serving.fact_session_items
       select * replace (md5(session_item_key) as session_item_key)
       from deftunes_serving.fact_session_items where item_index = 0 and session_date = date '${RUN_DATE}' limit 1`,
    { fact_session_items_natural_key_unique: 'failed' },
    [
      'bi_sales_per_artist_total_matches_fact',
      'bi_sales_per_country_total_matches_fact',
      'bi_hourly_kpis_total_matches_fact',
    ],
  ),
  breaks(
    "three buyers of the run date are inferred members (7.5% of the day's items: warn above 5%)",
    `update deftunes_serving.dim_users set is_inferred = true
       where user_id in ('${userId(3)}', '${userId(4)}', '${userId(5)}')`,
    { fact_session_items_inferred_user_share: 'warned' },
  ),
  breaks(
    "every buyer is an inferred member (100% of the day's items: error above 25%)",
    `update deftunes_serving.dim_users set is_inferred = true`,
    { fact_session_items_inferred_user_share: 'failed' },
  ),
  breaks(
    "a session of the run date without buyer (2.5% of the day's items: warn)",
    `update deftunes_serving.fact_session_items set user_key = null
       where ingest_on = date '${RUN_DATE}' and user_id = '${userId(3)}'`,
    { fact_session_items_user_key_mostly_not_null: 'warned' },
  ),
  breaks(
    "three sessions of the run date without buyer (7.5% of the day's items: error)",
    `update deftunes_serving.fact_session_items set user_key = null
       where ingest_on = date '${RUN_DATE}' and user_id in ('${userId(3)}', '${userId(4)}', '${userId(5)}')`,
    { fact_session_items_user_key_mostly_not_null: 'failed' },
  ),
  breaks(
    "facts of another day without buyer are not the run date's business",
    `update deftunes_serving.fact_session_items set user_key = null where ingest_on = date '2020-02-07'`,
    {},
  ),
  // The fact's rules read the rows the run wrote (its date and later ones), so they cost the same every day.
  breaks(
    "facts of an earlier day broken (duplicate key, dangling keys) are not the run date's business",
    `update deftunes_serving.fact_session_items set user_key = 'dangling', date_key = 19000101,
         session_item_key = (select min(session_item_key) from deftunes_serving.fact_session_items)
       where ingest_on = date '2020-02-07'`,
    {},
  ),
  breaks(
    'a fact row whose user_key is in no dim_users version',
    `update deftunes_serving.fact_session_items set user_key = 'dangling' where session_id = (select min(session_id) from deftunes_serving.fact_session_items where ${PARTITION})`,
    { relationships_fact_session_items_user_key__user_key__ref_dim_users_: 'failed' },
  ),
  breaks(
    'a fact row whose date is not in dim_date',
    `update deftunes_serving.fact_session_items set date_key = 19000101 where session_id = (select min(session_id) from deftunes_serving.fact_session_items where ${PARTITION})`,
    { relationships_fact_session_items_date_key__date_key__ref_dim_date_: 'failed' },
  ),
  breaks(
    'a fact row whose track is not in dim_songs',
    `delete from deftunes_serving.dim_songs where track_id = '${track(7)}'`,
    { relationships_fact_session_items_song_key__song_key__ref_dim_songs_: 'failed' },
  ),
  // The artist plays concerts too: the concert fact's key no longer resolves either.
  breaks(
    'an artist missing from dim_artists',
    `delete from deftunes_serving.dim_artists where artist_id = 'AR0000000000000003'`,
    {
      relationships_fact_session_items_artist_key__artist_key__ref_dim_artists_: 'failed',
      bi_sales_per_artist_total_matches_fact: 'failed',
    },
    ['relationships_fact_concerts_artist_key__artist_key__ref_dim_artists_'],
  ),
  breaks(
    'a user with two current versions',
    `update deftunes_serving.dim_users set is_current = true where user_id = '${MOVED_USER}'`,
    { dim_users_one_current_version_per_user: 'failed' },
  ),
  breaks(
    'a user without a current version',
    `update deftunes_serving.dim_users set is_current = false where user_id = '${userId(3)}'`,
    { dim_users_one_current_version_per_user: 'failed' },
  ),
  breaks(
    'overlapping validity intervals',
    `update deftunes_serving.dim_users set valid_to = timestamp '2020-02-06' where user_id = '${MOVED_USER}' and not is_current`,
    { dim_users_validity_intervals_do_not_overlap: 'failed' },
  ),
  breaks(
    'a closed version that ends before it starts',
    `update deftunes_serving.dim_users set valid_to = timestamp '1899-01-01' where user_id = '${MOVED_USER}' and not is_current`,
    { dim_users_validity_intervals_do_not_overlap: 'failed' },
    ['fact_user_version_valid_at_session_time'],
  ),
  breaks(
    "a purchase attributed to the buyer's version of another time",
    `update deftunes_serving.fact_session_items
       set user_key = (select user_key from deftunes_serving.dim_users where user_id = '${MOVED_USER}' and not is_current)
       where user_id = '${MOVED_USER}' and session_date = date '${RUN_DATE}'`,
    { fact_user_version_valid_at_session_time: 'failed' },
  ),
  // The artist's top song is looked up by track id: its row shows twice.
  breaks(
    'a track listed twice in dim_songs',
    `insert into deftunes_serving.dim_songs select * replace ('other' as song_key) from deftunes_serving.dim_songs where track_id = '${track(8)}'`,
    { unique_dim_songs_track_id: 'failed' },
    ['unique_artist_top_song_vw_artist_key'],
  ),
];

describe.each([
  ['transform', [...TRANSFORM_CASES, ...ENRICHMENT_TRANSFORM_CASES, ...LISTENS_TRANSFORM_CASES]],
  ['serving', [...SERVING_CASES, ...ENRICHMENT_SERVING_CASES, ...LISTENS_SERVING_CASES]],
] as const)('%s rules on a bad partition', (stage, cases) => {
  beforeEach(() => fixture.reset());

  it.each(cases.map((breakCase) => [breakCase.title, breakCase] as const))(
    '%s',
    async (_title, breakCase) => {
      await fixture.exec(...breakCase.sql);
      const results = await runStage(stage);
      const fired = notPassed(results);
      for (const [rule, status] of Object.entries(breakCase.fires)) {
        expect(results.get(rule)).toBeDefined();
        expect({ rule, status: results.get(rule)?.status, error: results.get(rule)?.error }).toEqual({
          rule,
          status,
          error: undefined,
        });
        expect(results.get(rule)?.failing_rows).toBeGreaterThan(0);
        expect(results.get(rule)?.sample_failing_keys.length).toBeGreaterThan(0);
      }
      const unexpected = Object.keys(fired).filter(
        (rule) => !(rule in breakCase.fires) && !(breakCase.mayAlsoFire ?? []).includes(rule),
      );
      expect(unexpected).toEqual([]);
    },
  );
});

describe('partitions and thresholds', () => {
  beforeEach(() => fixture.reset());

  it("ignores other days' partitions: a bad yesterday does not fail today", async () => {
    await fixture.exec(
      "update deftunes_transform.sessions set price = 5, currency = 'EUR', song_id = null where ingest_on = date '2020-02-07'",
      "update deftunes_transform.songs set year = 1700, duration = -1 where ingest_on = date '2020-02-07'",
      "update deftunes_transform.users set latitude = 1000 where ingest_on = date '2020-02-07'",
    );
    expect(notPassed(await runStage('transform'))).toEqual({});
  });

  it('passes the volume rule when there is no history (the first run)', async () => {
    await fixture.exec(`delete from deftunes_transform.sessions where ingest_on < date '${RUN_DATE}'`);
    const results = await runStage('transform');
    expect(results.get('sessions_volume_within_band')?.status).toBe('passed');
  });

  it('reports coverage as a percentage and compares it with the configured thresholds', async () => {
    // 4 of the 200 items: 2% missing, between warn_if > 1 and error_if > 5.
    await fixture.exec(
      `update deftunes_transform.sessions set song_id = 'TR9999999999999999'
       where ${PARTITION} and item_index = 0 and user_id in ('${userId(1)}', '${userId(2)}', '${userId(3)}', '${userId(4)}')`,
    );
    const coverage = fixture.plan.tests.find((test) => test.name === 'sessions_song_id_in_songs_track_id')!;
    const warned = await runCompiledTest(fixture.warehouse, coverage, RUN_DATE);
    expect(warned).toMatchObject({
      status: 'warned',
      observed: 2,
      failing_rows: 4,
      table: 'deftunes_transform.sessions',
      column: 'song_id',
      threshold:
        'error if coalesce(max(missing_percent), 0) > 5; warn if coalesce(max(missing_percent), 0) > 1',
    });
    expect(warned.sample_failing_keys[0]).toMatchObject({ song_id: 'TR9999999999999999' });
    expect(Object.keys(warned.sample_failing_keys[0])).toEqual(
      expect.arrayContaining(['session_id', 'item_index', 'user_id', 'song_id', 'ingest_on']),
    );
    // Stricter thresholds on the same data turn the warning into a failure; a warn severity never fails.
    expect(
      (await runCompiledTest(fixture.warehouse, { ...coverage, error_if: '>1.5' }, RUN_DATE)).status,
    ).toBe('failed');
    expect((await runCompiledTest(fixture.warehouse, { ...coverage, warn_if: '>3' }, RUN_DATE)).status).toBe(
      'passed',
    );
    expect(
      (await runCompiledTest(fixture.warehouse, { ...coverage, severity: 'warn', error_if: '>0' }, RUN_DATE))
        .status,
    ).toBe('warned');
  });

  it('compares a row count with count thresholds', async () => {
    await fixture.exec(
      `update deftunes_transform.sessions set price = 3 where ${PARTITION} and item_index = 4 and user_id < '${userId(3)}'`,
    );
    const priceRule = fixture.plan.tests.find((test) => test.name === 'sessions_price_above_0_at_most_2')!;
    const failingRows = (await runCompiledTest(fixture.warehouse, priceRule, RUN_DATE)).failing_rows;
    expect(failingRows).toBe(3); // users 0, 1, 2: one session each
    expect(
      (await runCompiledTest(fixture.warehouse, { ...priceRule, warn_if: '>2', error_if: '>3' }, RUN_DATE))
        .status,
    ).toBe('warned');
    expect(
      (await runCompiledTest(fixture.warehouse, { ...priceRule, warn_if: '>5', error_if: '>=3' }, RUN_DATE))
        .status,
    ).toBe('failed');
  });

  it('turns a query error into a failed rule that names the test, never a pass', async () => {
    const broken: PlanTest = {
      ...fixture.plan.tests.find((test) => test.stage === 'transform')!,
      name: 'broken_rule',
      severity: 'warn',
      sql: 'select * from deftunes_transform.no_such_table where ingest_on = cast(:run_date as date)',
    };
    const result = await runCompiledTest(fixture.warehouse, broken, RUN_DATE);
    expect(result.status).toBe('failed');
    expect(result.error).toMatch(/^test broken_rule on .* could not run: .*no_such_table/);
  });
});
