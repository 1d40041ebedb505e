{#- The BI view hourly_kpis_vw sells exactly what the fact table sold: no item lost to a join, none counted twice.
    Returns one row when the totals differ by more than a cent. -#}
with view_total as (
  select coalesce(sum(revenue), 0) as total from {{ ref('hourly_kpis_vw') }}
),

fact_total as (
  select coalesce(sum(price), 0) as total from {{ ref('fact_session_items') }}
)

select view_total.total as view_total, fact_total.total as fact_total
from view_total cross join fact_total
where abs(view_total.total - fact_total.total) > 0.01
