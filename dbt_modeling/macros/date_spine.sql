{#- A query returning one row per day (column date_day) from start_date to end_date inclusive, both SQL
    date expressions. Numbers come from cross-joined digits (up to 100 000 days): no generate_series, no
    nested WITH, so it runs on every engine (Redshift included). -#}
{% macro date_spine(start_date, end_date) -%}
  {%- set digits = "(select 0 as d union all select 1 union all select 2 union all select 3 union all select 4 union all select 5 union all select 6 union all select 7 union all select 8 union all select 9)" -%}
  select cast({{ dbt.dateadd('day', 'numbers.n', 'bounds.start_date') }} as date) as date_day
  from (
    select d0.d + 10 * d1.d + 100 * d2.d + 1000 * d3.d + 10000 * d4.d as n
    from {{ digits }} as d0
    cross join {{ digits }} as d1
    cross join {{ digits }} as d2
    cross join {{ digits }} as d3
    cross join {{ digits }} as d4
  ) as numbers
  cross join (select {{ start_date }} as start_date, {{ end_date }} as end_date) as bounds
  where numbers.n <= {{ dbt.datediff('bounds.start_date', 'bounds.end_date', 'day') }}
{%- endmacro %}
