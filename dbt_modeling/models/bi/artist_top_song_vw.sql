{#- Each artist's most sold song (items sold, then the smaller track id on a tie), with its revenue. -#}
{{ config(materialized='view') }}

with song_sales as (
  select
    facts.artist_key,
    facts.track_id,
    count(*) as items_sold,
    sum(facts.price) as revenue
  from {{ ref('fact_session_items') }} as facts
  group by facts.artist_key, facts.track_id
),

ranked as (
  select
    song_sales.*,
    row_number() over (partition by song_sales.artist_key order by song_sales.items_sold desc, song_sales.track_id)
      as song_rank
  from song_sales
)

select
  ranked.artist_key,
  artists.artist_id,
  artists.artist_name,
  artists.genre,
  ranked.track_id,
  songs.title as song_title,
  ranked.items_sold,
  ranked.revenue
from ranked
left join {{ ref('dim_artists') }} as artists on artists.artist_key = ranked.artist_key
left join {{ ref('dim_songs') }} as songs on songs.track_id = ranked.track_id
where ranked.song_rank = 1
