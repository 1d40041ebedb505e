{#- The BI view concert_locations_vw counts every concert of the fact table once (an event has one venue).
    Returns one row when the totals differ. -#}
with view_total as (
  select coalesce(sum(concerts), 0) as total from {{ ref('concert_locations_vw') }}
),

fact_total as (
  select count(distinct event_id) as total from {{ ref('fact_concerts') }}
)

select view_total.total as view_total, fact_total.total as fact_total
from view_total cross join fact_total
where view_total.total <> fact_total.total
