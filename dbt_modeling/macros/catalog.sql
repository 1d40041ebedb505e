{#- The two CTEs dim_songs and dim_artists share: the catalog is the newest songs extract (`catalog_day`);
    what was sold on any date but is missing from that catalog (`sold_outside_catalog`) still gets a row,
    from its first sale, so every fact row has its dimension row. Neither depends on the run date: a re-run
    of an old date must not narrow the catalog to that date and orphan later dates' facts. The model
    defines `catalog` (joined to catalog_day) between the two. -#}

{% macro catalog_day_cte() -%}
catalog_day as (
  select max(ingest_on) as ingest_on
  from {{ source('deftunes_transform', 'songs') }}
)
{%- endmacro %}

{#- sessions_key: the sessions column identifying the row (song_id, a track id; artist_id); catalog_key: the
    catalog column it matches; columns: the sessions columns kept (SQL expressions over `sessions`);
    sale_rank 1 is the first sale, or with newest_first the latest one (the API serves one artist id under
    several name spellings: dim_artists keeps the latest). -#}
{% macro sold_outside_catalog_cte(sessions_key, catalog_key, columns, newest_first=false) -%}
sold_outside_catalog as (
  select
    {{ columns | join(',\n    ') }},
    row_number() over (
      partition by sessions.{{ sessions_key }}
      {%- if newest_first %} order by sessions.session_start_time desc, sessions.session_id desc, sessions.item_index desc
      {%- else %} order by sessions.session_start_time, sessions.session_id, sessions.item_index{% endif %}
    ) as sale_rank
  from {{ source('deftunes_transform', 'sessions') }} as sessions
  where sessions.{{ sessions_key }} is not null
    and not exists (select 1 from catalog where catalog.{{ catalog_key }} = sessions.{{ sessions_key }})
)
{%- endmacro %}
