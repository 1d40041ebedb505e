{#- A BI view sells exactly what fact_session_items sold: the sum of the view's `revenue_column` against the
    fact's prices, no item lost to a join, none counted twice. One row when the totals differ by more than a
    cent. -#}
{% macro view_sales_match_fact(view, revenue_column) -%}
with view_total as (
  select coalesce(sum({{ revenue_column }}), 0) as total from {{ view }}
),

fact_total as (
  select coalesce(sum(price), 0) as total from {{ ref('fact_session_items') }}
)

select view_total.total as view_total, fact_total.total as fact_total
from view_total cross join fact_total
where abs(view_total.total - fact_total.total) > 0.01
{%- endmacro %}
