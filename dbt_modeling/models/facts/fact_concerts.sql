{#- Grain: one concert x artist (key event_id + attraction_id) of the newest concerts snapshot, whatever the
    run date (the snapshot holds the upcoming concerts as of its day, so an older one is out of date). The
    attraction is matched to an artist by MusicBrainz id first, then by normalized name; an attraction that
    matches neither keeps its row with a null artist_key (listed in unmatched_concert_artists_vw). Several
    catalog artists can share an mbid or a normalized name: the smallest artist_id wins, so a re-run picks
    the same one. -#}
{{ config(materialized='table', unique_key=['event_id', 'attraction_id']) }}

with concerts_day as (
  select max(ingest_on) as ingest_on
  from {{ source('deftunes_transform', 'concerts') }}
),

concerts as (
  select concerts.*
  from {{ source('deftunes_transform', 'concerts') }} as concerts
  inner join concerts_day on concerts.ingest_on = concerts_day.ingest_on
  where concerts.event_id is not null and concerts.attraction_id is not null
),

artists_by_mbid as (
  select lower(artist_mbid) as mbid, min(artist_id) as artist_id
  from {{ ref('dim_artists') }}
  where artist_mbid is not null and artist_mbid <> ''
  group by lower(artist_mbid)
),

artists_by_name as (
  select name_key, min(artist_id) as artist_id
  from (
    select {{ normalized_name('artist_name') }} as name_key, artist_id
    from {{ ref('dim_artists') }}
  ) as named
  where name_key is not null
  group by name_key
),

matched as (
  select
    concerts.*,
    coalesce(by_mbid.artist_id, by_name.artist_id) as artist_id,
    case
      when by_mbid.artist_id is not null then 'mbid'
      when by_name.artist_id is not null then 'name'
    end as match_method
  from concerts
  left join artists_by_mbid as by_mbid on by_mbid.mbid = lower(concerts.attraction_mbid)
  left join artists_by_name as by_name on by_name.name_key = {{ normalized_name('concerts.attraction_name') }}
)

select
  {{ surrogate_key(['event_id', 'attraction_id']) }} as concert_key,
  event_id,
  attraction_id,
  case when artist_id is not null then {{ surrogate_key(['artist_id']) }} end as artist_key,
  artist_id,
  match_method,
  cast(
    extract(year from event_date) * 10000 + extract(month from event_date) * 100 + extract(day from event_date)
    as integer
  ) as event_date_key,
  event_date,
  event_local_time,
  event_name,
  venue_id,
  venue_name,
  venue_city,
  venue_country_code,
  attraction_name,
  attraction_mbid,
  attraction_rank,
  ingest_on
from matched
