{#- A BI view sells exactly what fact_session_items sold: the sum of the view's `revenue_column` against the
    fact's prices, no item lost to a join, none counted twice. Compared from the `period` ('day', 'month' or
    'year', the view's grain: session_date, session_year and session_month, session_year) that holds
    sale_dates_checked_from() on, so the check does not grow with history (a yearly view's still grows
    within its year). One row when the totals differ by more than a cent. -#}
{% macro view_sales_match_fact(view, revenue_column, period) -%}
  {%- set first_date = sale_dates_checked_from() -%}
  {%- if period == 'day' -%}
    {%- set view_from = 'session_date >= ' ~ first_date -%}
  {%- elif period == 'month' -%}
    {%- set view_from = 'session_year * 100 + session_month >= extract(year from ' ~ first_date ~ ') * 100 + extract(month from ' ~ first_date ~ ')' -%}
  {%- elif period == 'year' -%}
    {%- set view_from = 'session_year >= extract(year from ' ~ first_date ~ ')' -%}
  {%- else -%}
    {{ exceptions.raise_compiler_error("view_sales_match_fact: period must be day, month or year, got '" ~ period ~ "'") }}
  {%- endif -%}
with view_total as (
  select coalesce(sum({{ revenue_column }}), 0) as total
  from {{ view }}
  where {{ view_from }}
),

fact_total as (
  select coalesce(sum(price), 0) as total
  from {{ ref('fact_session_items') }}
  where session_date >= {% if period == 'day' %}{{ first_date }}{% else %}date_trunc('{{ period }}', {{ first_date }}){% endif %}
)

select view_total.total as view_total, fact_total.total as fact_total
from view_total cross join fact_total
where abs(view_total.total - fact_total.total) > 0.01
{%- endmacro %}
