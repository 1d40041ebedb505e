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

{#- The order of sales a first sale is taken in: start time, session, item; of a sale the look-back
    extracted on two dates, the newest extraction. -#}
{% macro first_sale_order() -%}
  {{ return(['session_start_time', 'session_id', 'item_index', 'ingest_on desc']) }}
{%- endmacro %}

{#- key: track_id (dim_songs) or artist_id (dim_artists), the column matching the catalog's; columns: the
    int_first_sales columns kept (SQL over `first_sales`). sale_rank 1 is the key's first sale. Reads
    int_first_sales (one row per track and artist pair sold), never the sessions' history. -#}
{% macro sold_outside_catalog_cte(key, columns) -%}
sold_outside_catalog as (
  select
    {{ columns | join(',\n    ') }},
    row_number() over (
      partition by first_sales.{{ key }}
      order by {% for entry in first_sale_order() %}first_sales.{{ entry }}{{ ', ' if not loop.last }}{% endfor %}
    ) as sale_rank
  from {{ ref('int_first_sales') }} as first_sales
  where first_sales.{{ key }} is not null
    and not exists (select 1 from catalog where catalog.{{ key }} = first_sales.{{ key }})
)
{%- endmacro %}
