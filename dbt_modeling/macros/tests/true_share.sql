{#
  Rows where the boolean `column_name` is true, each carrying true_percent, the share (0..100) of the tested
  rows for which it is. The test's measure (fail_calc) is that percentage, so warn_if / error_if are
  percentages (as not_null_share): use it where some flagged rows are expected and only a larger share is a
  problem (plays that arrived after their day).
#}
{% test true_share(model, column_name) %}
{{ config(fail_calc = 'coalesce(max(true_percent), 0)') }}
with tested as (
    select * from {{ model }}
),
true_rows as (
    select * from tested where {{ column_name }}
)
select
    true_rows.*,
    100.0 * (select count(*) from true_rows) / nullif((select count(*) from tested), 0) as true_percent
from true_rows
{% endtest %}
