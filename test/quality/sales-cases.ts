/**
 * Break cases of the sales rules (users, sessions, songs and the star schema built from them), run by
 * rules.test.ts on the synthetic data set of fixtures.ts: each breaks the run date's data one way and names
 * the rules that must fire.
 */
import { breaks, type BreakCase } from './break-case';
import { MOVED_USER, RUN_DATE, userId } from './fixtures';

const PARTITION = `ingest_on = date '${RUN_DATE}'`;
const track = (i: number): string => `TR${String(i).padStart(16, '0')}`;

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

export const SALES_TRANSFORM_CASES: BreakCase[] = [
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

export const SALES_SERVING_CASES: BreakCase[] = [
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
  // A look-back longer than the dbt var sessions_lookback_days: the BI-view checks would not read this sale.
  breaks(
    'a sale of the run dated before the BI-view checks read (the sessions look-back is longer than the plan knows)',
    `update deftunes_serving.fact_session_items set session_date = date '${RUN_DATE}' - 5
       where session_id = (select min(session_id) from deftunes_serving.fact_session_items where ${PARTITION})`,
    { bi_checks_cover_run_sale_dates: 'warned' },
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
  // A merge that inserted a pair's newer first sale beside the kept one.
  breaks(
    'a track and artist pair listed twice in int_first_sales',
    `insert into deftunes_serving.int_first_sales select * from deftunes_serving.int_first_sales where track_id = '${track(8)}'`,
    { unique_int_first_sales_track_artist_key: 'failed' },
  ),
];
