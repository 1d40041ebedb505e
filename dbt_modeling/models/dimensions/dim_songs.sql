{#- One row per track: the latest catalog (its newest full extract), plus tracks sold on any date that the
    catalog lacks, so every fact row has its song. Sessions' song_id is a track id. -#}
{{ config(materialized='table', unique_key='track_id') }}

with {{ catalog_day_cte() }},

catalog as (
  select
    songs.*,
    row_number() over (partition by songs.track_id order by songs.song_id, songs.title) as duplicate_rank
  from {{ source('deftunes_transform', 'songs') }} as songs
  inner join catalog_day on songs.ingest_on = catalog_day.ingest_on
  where songs.track_id is not null
),

{{ sold_outside_catalog_cte('track_id', ['first_sales.track_id', 'first_sales.song_name', 'first_sales.artist_id', 'first_sales.artist_name']) }}

select
  {{ surrogate_key(['track_id']) }} as song_key,
  track_id,
  song_id,
  title,
  release,
  artist_id,
  artist_name,
  duration,
  case when year > 0 then year end as release_year,
  track_7digitalid,
  shs_perf,
  shs_work,
  true as in_catalog
from catalog
where duplicate_rank = 1

union all

select
  {{ surrogate_key(['track_id']) }} as song_key,
  track_id,
  cast(null as {{ deftunes_text_type() }}) as song_id,
  song_name as title,
  cast(null as {{ deftunes_text_type() }}) as release,
  artist_id,
  artist_name,
  cast(null as double precision) as duration,
  cast(null as integer) as release_year,
  cast(null as integer) as track_7digitalid,
  cast(null as integer) as shs_perf,
  cast(null as integer) as shs_work,
  false as in_catalog
from sold_outside_catalog
where sale_rank = 1
