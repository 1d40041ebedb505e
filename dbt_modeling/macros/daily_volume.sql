{#- The CTEs the volume tests compare: `run_day` (row_count of the run date's partition) and `history`
    (mean_row_count and history_days over the partitions of the `lookback_days` days before it; days without
    a partition are not counted). `row_filter`, when given, keeps only the rows that count (e.g. the rows of
    the partition's own day). -#}
{% macro daily_volume_ctes(model, partition_column, lookback_days, row_filter=none) -%}
with daily as (
    select {{ partition_column }} as partition_date, count(*) as row_count
    from {{ model }}
    where {{ partition_column }} >= {{ dbt.dateadd('day', -1 * lookback_days, run_date()) }}
      and {{ partition_column }} <= {{ run_date() }}
      {%- if row_filter %}
      and ({{ row_filter }})
      {%- endif %}
    group by {{ partition_column }}
),
run_day as (
    select coalesce(sum(row_count), 0) as row_count from daily where partition_date = {{ run_date() }}
),
history as (
    select avg(1.0 * row_count) as mean_row_count, count(*) as history_days
    from daily where partition_date < {{ run_date() }}
)
{%- endmacro %}
