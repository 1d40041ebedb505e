{#
  Referential coverage: the rows whose `column_name` is not found in `to`.`field`, each carrying
  missing_percent, the share (0..100) of the tested rows that do not resolve. The test's measure
  (fail_calc) is that percentage, so warn_if / error_if are percentages: `warn_if: "> 1"` warns when
  fewer than 99% resolve. `to_partition_column` restricts `to` to the run date's partition (a snapshot
  of the same day). Null keys are not_null's business and are not counted.
#}
{% test relationships_coverage(model, column_name, to, field, to_partition_column=none) %}
{{ config(fail_calc = 'coalesce(max(missing_percent), 0)') }}
with tested as (
    select * from {{ model }} where {{ column_name }} is not null
),
parent as (
    select distinct {{ field }} as parent_key from {{ to }}
    {%- if to_partition_column %}
    where {{ to_partition_column }} = {{ run_date() }}
    {%- endif %}
),
unresolved as (
    select tested.* from tested
    left join parent on tested.{{ column_name }} = parent.parent_key
    where parent.parent_key is null
)
select
    unresolved.*,
    100.0 * (select count(*) from unresolved) / nullif((select count(*) from tested), 0) as missing_percent
from unresolved
{% endtest %}
