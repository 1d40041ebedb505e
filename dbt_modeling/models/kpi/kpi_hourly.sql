{#- Per listen date and UTC hour: distinct listeners (user_id), plays, distinct tracks (known or not), the
    track diversity index = unique_tracks / total_plays, and the artist with the most plays among known
    tracks (ties to the smaller artist id). By ids; the artist's name in listening_hourly_vw. -#}
{{ config(
    materialized='incremental',
    incremental_strategy='run_date',
    unique_key=['listen_date', 'listen_hour'],
    run_date_column='listen_date',
    run_date_only=true
) }}

with plays as (
  select listen_date, listen_hour, date_key, user_id, track_id, artist_id, artist_key
  from {{ ref('fact_listens') }}
  where listen_date = {{ run_date() }}
),

hours as (
  select
    listen_date,
    listen_hour,
    date_key,
    count(distinct user_id) as unique_listeners,
    count(*) as total_plays,
    count(distinct track_id) as unique_tracks
  from plays
  group by listen_date, listen_hour, date_key
),

artist_plays as (
  select
    listen_hour,
    artist_id,
    artist_key,
    count(*) as artist_plays,
    row_number() over (partition by listen_hour order by count(*) desc, artist_id) as play_rank
  from plays
  where artist_key is not null
  group by listen_hour, artist_id, artist_key
)

select
  hours.listen_date,
  hours.listen_hour,
  hours.unique_listeners,
  hours.total_plays,
  hours.unique_tracks,
  cast(hours.unique_tracks as double precision) / hours.total_plays as track_diversity_index,
  artist_plays.artist_id as top_artist_id,
  artist_plays.artist_key as top_artist_key,
  artist_plays.artist_plays as top_artist_plays,
  hours.date_key
from hours
left join artist_plays on artist_plays.listen_hour = hours.listen_hour and artist_plays.play_rank = 1
