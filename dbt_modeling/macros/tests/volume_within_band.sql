{#
  Volume: one row when the run date's row count is more than `tolerance_percent` away from the mean row
  count of the partitions of the `lookback_days` days before it (days without a partition are not
  counted). No history, no row: the first run passes.
#}
{% test volume_within_band(model, partition_column='ingest_on', lookback_days=7, tolerance_percent=50) %}
{{ daily_volume_ctes(model, partition_column, lookback_days) }}
select run_day.row_count, history.mean_row_count, history.history_days
from run_day cross join history
where history.history_days > 0
  and abs(run_day.row_count - history.mean_row_count) > history.mean_row_count * {{ tolerance_percent }} / 100.0
{% endtest %}
