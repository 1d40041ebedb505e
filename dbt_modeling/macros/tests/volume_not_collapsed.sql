{#
  Collapse: one row when the run date's partition holds no row, or fewer than `min_share_percent` of the
  mean row count of the partitions of the `lookback_days` days before it (days without a partition are not
  counted). volume_within_band warns on any large move; this one is meant as an error, so that an empty or
  truncated source day (an API answering `200 []`) cannot load as a quiet zero-sales day. A day that is
  really empty is declared so in the execution input (`declared_empty`), which turns this failure into a
  warning in the data-quality gate. No history: only an empty partition fails.
  `row_filter` keeps the rows that belong to the partition's own day: each run also lands the day before
  (the sessions look-back), so an empty day's partition is not empty, only its own day is.
#}
{% test volume_not_collapsed(model, partition_column='ingest_on', lookback_days=7, min_share_percent=20, row_filter=none) %}
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
select run_day.row_count, history.mean_row_count, history.history_days
from run_day cross join history
where run_day.row_count = 0
   or (history.history_days > 0
       and run_day.row_count < history.mean_row_count * {{ min_share_percent }} / 100.0)
{% endtest %}
