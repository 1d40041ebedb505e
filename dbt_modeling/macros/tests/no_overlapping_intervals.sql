{#
  Type-2 validity: for each `column_name` (the entity), its versions ordered by `valid_from` must not
  overlap: a version ends (valid_to; null = open) no later than the next one starts, only the last one is
  open, and no version ends before it starts. Returns the offending versions.
#}
{% test no_overlapping_intervals(model, column_name, valid_from='valid_from', valid_to='valid_to') %}
with ordered as (
    select
        {{ column_name }},
        {{ valid_from }} as version_from,
        {{ valid_to }} as version_to,
        lead({{ valid_from }}) over (partition by {{ column_name }} order by {{ valid_from }}) as next_from
    from {{ model }}
)
select * from ordered
where version_to < version_from
   or (next_from is not null and (version_to is null or version_to > next_from))
   or version_from = next_from
{% endtest %}
