{#
  Rows where `column_name` is null, each carrying null_percent, the share (0..100) of the tested rows that
  are null. The test's measure (fail_calc) is that percentage, so warn_if / error_if are percentages: use it
  where a few nulls are an expected consequence of quarantined records and only a larger share is an error.
#}
{% test not_null_share(model, column_name) %}
{{ config(fail_calc = 'coalesce(max(null_percent), 0)') }}
with tested as (
    select * from {{ model }}
),
null_rows as (
    select * from tested where {{ column_name }} is null
)
select
    null_rows.*,
    100.0 * (select count(*) from null_rows) / nullif((select count(*) from tested), 0) as null_percent
from null_rows
{% endtest %}
