{#- kpi_hourly with the top artist's name (names are joined here only; the KPIs are computed by ids). -#}
{{ config(materialized='view') }}

select
  kpis.listen_date,
  kpis.listen_hour,
  kpis.unique_listeners,
  kpis.total_plays,
  kpis.unique_tracks,
  kpis.track_diversity_index,
  kpis.top_artist_id,
  artists.artist_name as top_artist_name,
  kpis.top_artist_plays,
  kpis.date_key
from {{ ref('kpi_hourly') }} as kpis
left join {{ ref('dim_artists') }} as artists on artists.artist_key = kpis.top_artist_key
