{#- kpi_genre_daily with the top track's title and its artist's name (names are joined here only; the KPIs
    are computed by ids). -#}
{{ config(materialized='view') }}

select
  kpis.listen_date,
  kpis.genre,
  kpis.listen_count,
  kpis.avg_track_duration_s,
  kpis.avg_popularity,
  kpis.popularity_index,
  kpis.top_track_id,
  songs.title as top_track_title,
  artists.artist_name as top_track_artist_name,
  kpis.top_track_plays,
  kpis.date_key
from {{ ref('kpi_genre_daily') }} as kpis
left join {{ ref('dim_songs') }} as songs on songs.song_key = kpis.top_song_key
left join {{ ref('dim_artists') }} as artists on artists.artist_id = songs.artist_id
