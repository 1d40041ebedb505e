{#- The run date's plays a KPI table counts (sum of `measure`) against the run date's rows of `facts`: one
    row when they differ (a play lost to a join, or counted twice). Scoped to the run date, so the rule's
    cost does not grow with history. -#}
{% macro kpi_total_matches_fact(kpi, measure, facts) -%}
with kpi_total as (
  select coalesce(sum({{ measure }}), 0) as total
  from {{ kpi }}
  where listen_date = {{ run_date() }}
),

fact_total as (
  select count(*) as total
  from {{ facts }}
  where listen_date = {{ run_date() }}
)

select kpi_total.total as kpi_total, fact_total.total as fact_total
from kpi_total cross join fact_total
where kpi_total.total <> fact_total.total
{%- endmacro %}
