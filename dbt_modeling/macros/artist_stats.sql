{#- Each artist's newest statistics found (any run date: an artist is looked up every few days, its slice of
    the catalog), one row per artist_id: top_tag, listeners, playcount, ingest_on. Lookups that found
    nothing never replace statistics found before. -#}
{% macro artist_stats_newest_cte() -%}
artist_stats_ranked as (
  select
    stats.artist_id,
    stats.top_tag,
    stats.listeners,
    stats.playcount,
    stats.ingest_on,
    row_number() over (
      partition by stats.artist_id order by stats.ingest_on desc, stats.processing_timestamp desc
    ) as stats_rank
  from {{ source('deftunes_transform', 'artist_stats') }} as stats
  where stats.found and stats.artist_id is not null
),

artist_stats_newest as (
  select artist_id, top_tag, listeners, playcount, ingest_on
  from artist_stats_ranked
  where stats_rank = 1
)
{%- endmacro %}
