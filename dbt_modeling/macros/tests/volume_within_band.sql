{#
  Volume: one row when the run date's row count is more than `tolerance_percent` away from the mean row
  count of the partitions of the `lookback_days` days before it (days without a partition are not
  counted). No history, no row: the first run passes.
#}
{% test volume_within_band(model, partition_column='ingest_on', lookback_days=7, tolerance_percent=50) %}
with daily as (
    select {{ partition_column }} as partition_date, count(*) as row_count
    from {{ model }}
    where {{ partition_column }} >= {{ dbt.dateadd('day', -1 * lookback_days, run_date()) }}
      and {{ partition_column }} <= {{ run_date() }}
    group by {{ partition_column }}
),
today as (
    select coalesce(sum(row_count), 0) as row_count from daily where partition_date = {{ run_date() }}
),
history as (
    select avg(1.0 * row_count) as mean_row_count, count(*) as history_days
    from daily where partition_date < {{ run_date() }}
)
select today.row_count, history.mean_row_count, history.history_days
from today cross join history
where history.history_days > 0
  and abs(today.row_count - history.mean_row_count) > history.mean_row_count * {{ tolerance_percent }} / 100.0
{% endtest %}
