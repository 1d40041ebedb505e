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
{{ daily_volume_ctes(model, partition_column, lookback_days, row_filter) }}
select run_day.row_count, history.mean_row_count, history.history_days
from run_day cross join history
where run_day.row_count = 0
   or (history.history_days > 0
       and run_day.row_count < history.mean_row_count * {{ min_share_percent }} / 100.0)
{% endtest %}
