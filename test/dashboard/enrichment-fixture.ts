/**
 * The artist-enrichment part of the dashboard fixture: a small `fact_concerts` (grain concert x artist, some
 * attractions unmatched, a city name that needs escaping) and the three BI views, as
 * dbt_modeling/models/bi/*.sql define them with ref() resolved. The fixture has no dim_songs or genre, so
 * the top-song view names the song by its track id and the genre after the artist's key.
 */
import { SERVING_SCHEMA } from '../../lambdas/shared/platform-names';
export const HOSTILE_CITY = `<img src=x onerror=alert("city")> & Co`;

const CONCERTS: readonly [string, string, string | null, string, string, string][] = [
  // event, attraction, artist_key (null: unmatched), country, city, date
  ['E1', 'A0', 'artist-0', 'FR', 'Paris', '2026-02-10'],
  ['E1', 'A2', 'artist-2', 'FR', 'Paris', '2026-02-10'],
  ['E2', 'A0', 'artist-0', 'US', 'Chicago', '2026-02-12'],
  ['E3', 'A3', 'artist-3', 'FR', HOSTILE_CITY, '2026-02-14'],
  ['E4', 'X9', null, 'DE', 'Berlin', '2026-02-20'],
  ['E5', 'A1', 'artist-1', 'FR', 'Paris', '2026-03-01'],
];

const sql = (value: string | null) => (value === null ? 'null' : `'${value.replace(/'/g, "''")}'`);

export const ENRICHMENT_FIXTURE_STATEMENTS: readonly string[] = [
  `create table ${SERVING_SCHEMA}.fact_concerts (event_id varchar, attraction_id varchar, artist_key varchar,
     venue_country_code varchar, venue_city varchar, event_date date, ingest_on date)`,
  `insert into ${SERVING_SCHEMA}.fact_concerts values ${CONCERTS.map(
    ([event, attraction, artist, country, city, date]) =>
      `(${sql(event)}, ${sql(attraction)}, ${sql(artist)}, ${sql(country)}, ${sql(city)}, date ${sql(date)}, date '2026-02-01')`,
  ).join(', ')}`,
  `create view ${SERVING_SCHEMA}.artist_top_song_vw as
     with song_sales as (
       select facts.artist_key, facts.track_id, count(*) as items_sold, sum(facts.price) as revenue
       from ${SERVING_SCHEMA}.fact_session_items as facts group by facts.artist_key, facts.track_id
     ),
     ranked as (
       select song_sales.*, row_number() over (partition by song_sales.artist_key
         order by song_sales.items_sold desc, song_sales.track_id) as song_rank
       from song_sales
     )
     select ranked.artist_key, artists.artist_id, artists.artist_name, 'genre of ' || ranked.artist_key as genre,
       ranked.track_id, 'Song ' || ranked.track_id as song_title, ranked.items_sold, ranked.revenue
     from ranked left join ${SERVING_SCHEMA}.dim_artists as artists on artists.artist_key = ranked.artist_key
     where ranked.song_rank = 1`,
  `create view ${SERVING_SCHEMA}.concert_locations_vw as
     select venue_country_code, venue_city, count(distinct event_id) as concerts,
       count(distinct attraction_id) as artists, min(event_date) as first_event_date,
       max(event_date) as last_event_date
     from ${SERVING_SCHEMA}.fact_concerts group by venue_country_code, venue_city`,
  `create view ${SERVING_SCHEMA}.artist_sales_vs_concerts_vw as
     with sales as (
       select facts.artist_key, users.country_code, count(*) as items_sold, sum(facts.price) as revenue,
         0 as upcoming_concerts
       from ${SERVING_SCHEMA}.fact_session_items as facts
       left join ${SERVING_SCHEMA}.dim_users as users on users.user_key = facts.user_key
       group by facts.artist_key, users.country_code
     ),
     upcoming as (
       select artist_key, venue_country_code as country_code, 0 as items_sold,
         cast(0 as decimal(38, 2)) as revenue, count(distinct event_id) as upcoming_concerts
       from ${SERVING_SCHEMA}.fact_concerts where artist_key is not null and event_date > ingest_on
       group by artist_key, venue_country_code
     ),
     both_sides as (select * from sales union all select * from upcoming)
     select both_sides.artist_key, artists.artist_id, artists.artist_name, both_sides.country_code,
       sum(both_sides.items_sold) as items_sold, sum(both_sides.revenue) as revenue,
       sum(both_sides.upcoming_concerts) as upcoming_concerts
     from both_sides left join ${SERVING_SCHEMA}.dim_artists as artists on artists.artist_key = both_sides.artist_key
     group by both_sides.artist_key, artists.artist_id, artists.artist_name, both_sides.country_code`,
];
