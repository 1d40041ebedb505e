{#- One row per artist: the latest catalog's artists, plus artists sold on any date that the catalog
    lacks (named by their first sale); with the newest statistics found for each artist (genre,
    popularity), whatever the run date. -#}
{{ config(materialized='table', unique_key='artist_id') }}

with {{ catalog_day_cte() }},

catalog as (
  select
    songs.artist_id,
    songs.artist_name,
    songs.artist_mbid,
    songs.artist_familiarity,
    songs.artist_hotttnesss,
    row_number() over (partition by songs.artist_id order by songs.track_id) as artist_rank
  from {{ source('deftunes_transform', 'songs') }} as songs
  inner join catalog_day on songs.ingest_on = catalog_day.ingest_on
  where songs.artist_id is not null
),

{#- One row per artist id whatever its spellings (the API serves several): the catalog's name, else the
    name of the artist's first sale, which later sales never change. -#}
{{ sold_outside_catalog_cte('artist_id', ['first_sales.artist_id', 'first_sales.artist_name']) }},

{{ artist_stats_newest_cte() }},

artists as (
select
  {{ surrogate_key(['artist_id']) }} as artist_key,
  artist_id,
  artist_name,
  artist_mbid,
  artist_familiarity,
  artist_hotttnesss,
  true as in_catalog
from catalog
where artist_rank = 1

union all

select
  {{ surrogate_key(['artist_id']) }} as artist_key,
  artist_id,
  artist_name,
  cast(null as {{ deftunes_text_type() }}) as artist_mbid,
  cast(null as double precision) as artist_familiarity,
  cast(null as double precision) as artist_hotttnesss,
  false as in_catalog
from sold_outside_catalog
where sale_rank = 1
)

select
  artists.*,
  coalesce(lower(stats.top_tag), 'unknown') as genre,
  stats.listeners,
  stats.playcount,
  stats.ingest_on as stats_as_of
from artists
left join artist_stats_newest as stats on stats.artist_id = artists.artist_id
