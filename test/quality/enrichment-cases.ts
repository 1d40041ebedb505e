/**
 * Break cases of the artist-enrichment rules (docs/artist-enrichment.md, "Quality rules"), run by
 * rules.test.ts on the synthetic data set of fixtures.ts (its enrichment tables: 12 concerts a day, 20
 * artists looked up).
 */
import { breaks, type BreakCase } from './break-case';
import { RUN_DATE } from './fixtures';

const PARTITION = `ingest_on = date '${RUN_DATE}'`;

export const ENRICHMENT_TRANSFORM_CASES: BreakCase[] = [
  breaks(
    'a concert x artist row landed twice',
    `insert into deftunes_transform.concerts select * from deftunes_transform.concerts where ${PARTITION} and attraction_rank = 2 limit 1`,
    { concerts_event_id_attraction_id_ingest_on_unique: 'failed' },
  ),
  breaks(
    'a page of events never landed (the windows announced more)',
    `delete from deftunes_transform.concerts where ${PARTITION} and event_id in (
         select distinct event_id from deftunes_transform.concerts where ${PARTITION} and venue_country_code = 'GB')`,
    { concerts_page_completeness: 'failed' },
  ),
  breaks(
    'more events quarantined than the windows announced',
    `insert into deftunes_transform.quarantine select * replace ('EV-Q2' as raw_record) from deftunes_transform.quarantine where ${PARTITION}`,
    { concerts_page_completeness: 'failed' },
  ),
  breaks(
    'a concert without date',
    `update deftunes_transform.concerts set event_date = null where ${PARTITION} and attraction_rank = 2`,
    { source_not_null_deftunes_transform_concerts_event_date: 'failed' },
  ),
  breaks(
    'an artist looked up twice on the same day',
    `insert into deftunes_transform.artist_stats select * from deftunes_transform.artist_stats where ${PARTITION} and artist_id = 'AR0000000000000003'`,
    { artist_stats_artist_id_unique: 'failed' },
  ),
  breaks(
    "a quarter of the day's lookups found nothing (warn above 20%)",
    `update deftunes_transform.artist_stats set found = false, listeners = null, playcount = null, top_tag = null
       where ${PARTITION} and artist_id in ('AR0000000000000001', 'AR0000000000000002', 'AR0000000000000003')`,
    { artist_stats_found_share: 'warned' },
  ),
];

export const ENRICHMENT_SERVING_CASES: BreakCase[] = [
  breaks(
    'a concert x artist row twice in the fact',
    `insert into deftunes_serving.fact_concerts
       select * replace (md5(concert_key) as concert_key) from deftunes_serving.fact_concerts limit 1`,
    { fact_concerts_natural_key_unique: 'failed' },
    ['bi_concert_locations_total_matches_fact', 'bi_artist_sales_vs_concerts_total_matches_fact'],
  ),
  breaks(
    'most attractions match no artist (warn above 50% unmatched)',
    `update deftunes_serving.fact_concerts set artist_key = null, artist_id = null, match_method = null`,
    { fact_concerts_matched_share: 'warned' },
  ),
  breaks(
    'a concert dated outside dim_date',
    `update deftunes_serving.fact_concerts set event_date_key = 99991231
       where concert_key = (select min(concert_key) from deftunes_serving.fact_concerts)`,
    { relationships_fact_concerts_event_date_key__date_key__ref_dim_date_: 'failed' },
  ),
  breaks(
    'an artist without genre',
    `update deftunes_serving.dim_artists set genre = null where artist_id = 'AR0000000000000004'`,
    { not_null_dim_artists_genre: 'failed' },
  ),
  breaks(
    'a concert the BI view counts twice',
    `create or replace view deftunes_serving.concert_locations_vw as
       select venue_country_code, venue_city, count(*) as concerts, count(distinct attraction_id) as artists,
         min(event_date) as first_event_date, max(event_date) as last_event_date
       from deftunes_serving.fact_concerts group by venue_country_code, venue_city`,
    { bi_concert_locations_total_matches_fact: 'failed' },
  ),
  breaks(
    'upcoming concerts the BI view counts twice',
    [
      'alter view deftunes_serving.artist_sales_vs_concerts_vw rename to artist_sales_vs_concerts_once',
      `create view deftunes_serving.artist_sales_vs_concerts_vw as
       select * replace (2 * upcoming_concerts as upcoming_concerts) from deftunes_serving.artist_sales_vs_concerts_once`,
    ],
    { bi_artist_sales_vs_concerts_total_matches_fact: 'failed' },
  ),
];
