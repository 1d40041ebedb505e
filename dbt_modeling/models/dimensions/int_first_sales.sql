{#- One row per (track, artist) pair ever sold: its first sale (first_sale_order()). dim_songs and dim_artists take the tracks and
    artists missing from the catalog from here, so a day's run reads its own sessions partition, not every
    partition of the history (issue 17). Keyed by the pair, not the track: a track sold under two artist ids
    gives each artist its row. -#}
{%- set sale_order = first_sale_order() -%}
{{ config(materialized='first_row_per_key', unique_key='track_artist_key', order_by=sale_order) }}

with sales as (
  select
    {{ surrogate_key(['sessions.song_id', 'sessions.artist_id']) }} as track_artist_key,
    sessions.song_id as track_id,
    sessions.song_name,
    sessions.artist_id,
    sessions.artist_name,
    sessions.session_start_time,
    sessions.session_id,
    sessions.item_index,
    sessions.ingest_on,
    row_number() over (
      partition by sessions.song_id, sessions.artist_id
      order by {% for entry in sale_order %}sessions.{{ entry }}{{ ', ' if not loop.last }}{% endfor %}
    ) as sale_rank
  from {{ source('deftunes_transform', 'sessions') }} as sessions
  where sessions.ingest_on >= {{ first_row_reads_from() }}
    and (sessions.song_id is not null or sessions.artist_id is not null)
    {#- Never null after the transform (it quarantines such sessions); the merge's order needs them. #}
    and sessions.session_start_time is not null
    and sessions.session_id is not null
    and sessions.item_index is not null
)

select
  track_artist_key,
  track_id,
  song_name,
  artist_id,
  artist_name,
  session_start_time,
  session_id,
  item_index,
  ingest_on
from sales
where sale_rank = 1
