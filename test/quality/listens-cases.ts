/**
 * Break cases of the listening-event rules (docs/listening-events.md, "Quality rules"), run by
 * rules.test.ts on the synthetic data set of fixtures.ts (its listens table: 100 plays a day, one every 14
 * minutes, so hour h holds the plays p with 14p / 60 in [h, h + 1); 5% late; full user and track coverage).
 */
import { breaks, type BreakCase } from './break-case';
import { RUN_DATE } from './fixtures';

const PARTITION = `listen_date = date '${RUN_DATE}'`;
/** Hours 0..h-1 of the run date: 5 plays in hour 0, 22 before hour 5, 30 before hour 7, 60 before hour 14. */
const BEFORE_HOUR = (hour: number): string => `${PARTITION} and listen_hour < ${hour}`;

export const LISTENS_TRANSFORM_CASES: BreakCase[] = [
  breaks(
    'a play kept twice in the partition',
    `insert into deftunes_transform.listens select * from deftunes_transform.listens where ${PARTITION} and listen_hour = 3 limit 1`,
    { listens_event_id_unique: 'failed' },
  ),
  breaks(
    'a play of the run date whose event_id is also a play of the day before (an id used twice)',
    `insert into deftunes_transform.listens
       select * replace (listen_date - 1 as listen_date) from deftunes_transform.listens where ${PARTITION} and listen_hour = 3 limit 1`,
    { listens_event_id_one_date: 'warned' },
  ),
  // Hours 0..4 and the two later late plays: 25 of 100.
  breaks(
    "25% of the date's plays arrived late (warn above 10%)",
    `update deftunes_transform.listens set arrived_late = true where ${BEFORE_HOUR(5)}`,
    { listens_late_share: 'warned' },
  ),
  breaks(
    "62% of the date's plays arrived late (fail above 50%)",
    `update deftunes_transform.listens set arrived_late = true where ${BEFORE_HOUR(14)}`,
    { listens_late_share: 'failed' },
  ),
  breaks(
    'a date that lost most of its plays (volume out of band)',
    `delete from deftunes_transform.listens where ${PARTITION} and listen_hour >= 4`,
    { listens_volume_within_band: 'warned' },
  ),
];

export const LISTENS_SERVING_CASES: BreakCase[] = [
  // One more fact row than the KPI tables count.
  breaks(
    'a play twice in fact_listens',
    `insert into deftunes_serving.fact_listens
       select * replace (md5(listen_key) as listen_key) from deftunes_serving.fact_listens where ${PARTITION} limit 1`,
    { fact_listens_event_id_unique: 'failed' },
    ['kpi_hourly_total_matches_fact', 'kpi_genre_daily_total_matches_fact'],
  ),
  breaks(
    "5% of the date's plays without a user version (warn below 98% coverage)",
    `update deftunes_serving.fact_listens set user_key = null where ${BEFORE_HOUR(1)}`,
    { fact_listens_user_coverage: 'warned' },
  ),
  breaks(
    "30% of the date's plays without a user version (fail below 80% coverage)",
    `update deftunes_serving.fact_listens set user_key = null where ${BEFORE_HOUR(7)}`,
    { fact_listens_user_coverage: 'failed' },
  ),
  breaks(
    "5% of the date's plays of unknown tracks (warn below 99% coverage)",
    `update deftunes_serving.fact_listens set song_key = null, artist_key = null where ${BEFORE_HOUR(1)}`,
    { fact_listens_track_coverage: 'warned' },
  ),
  breaks(
    "22% of the date's plays of unknown tracks (fail below 90% coverage)",
    `update deftunes_serving.fact_listens set song_key = null, artist_key = null where ${BEFORE_HOUR(5)}`,
    { fact_listens_track_coverage: 'failed' },
  ),
  breaks(
    'a play whose date_key is not a day of dim_date',
    `update deftunes_serving.fact_listens set date_key = 19000101 where ${BEFORE_HOUR(1)}`,
    { fact_listens_date_key_in_dim_date: 'failed' },
  ),
  breaks(
    'kpi_hourly counts a play twice',
    `update deftunes_serving.kpi_hourly set total_plays = total_plays + 1 where ${PARTITION} and listen_hour = 3`,
    { kpi_hourly_total_matches_fact: 'failed' },
  ),
  breaks(
    "kpi_genre_daily lost a genre's plays",
    `delete from deftunes_serving.kpi_genre_daily where ${PARTITION} and genre = (
         select min(genre) from deftunes_serving.kpi_genre_daily where ${PARTITION})`,
    { kpi_genre_daily_total_matches_fact: 'failed' },
  ),
  breaks(
    "yesterday's plays broken: the run date's rules stay quiet (scoped to the run date)",
    [
      `update deftunes_serving.fact_listens set user_key = null, song_key = null, date_key = 19000101
       where listen_date = date '${RUN_DATE}' - 1`,
      `update deftunes_serving.kpi_hourly set total_plays = 0 where listen_date = date '${RUN_DATE}' - 1`,
    ],
    {},
  ),
];
