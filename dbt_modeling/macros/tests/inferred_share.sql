{#
  Inferred-member share: the rows whose `column_name` points to an inferred member of `to` (a dimension row
  whose `flag` column is true: a key made for a referenced entity that has no attributes yet), each carrying
  inferred_percent, the share (0..100) of the tested rows that do. The test's measure (fail_calc) is that
  percentage, so warn_if / error_if are percentages. Null keys are not_null's business and are not counted.
#}
{% test inferred_share(model, column_name, to, field, flag) %}
{{ config(fail_calc = 'coalesce(max(inferred_percent), 0)') }}
with tested as (
    select * from {{ model }} where {{ column_name }} is not null
),
inferred_members as (
    select distinct {{ field }} as member_key from {{ to }} where {{ flag }}
),
inferred_rows as (
    select tested.* from tested
    inner join inferred_members on tested.{{ column_name }} = inferred_members.member_key
)
select
    inferred_rows.*,
    100.0 * (select count(*) from inferred_rows) / nullif((select count(*) from tested), 0) as inferred_percent
from inferred_rows
{% endtest %}
