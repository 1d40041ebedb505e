{#- The BI view artist_sales_vs_concerts_vw holds every item sold (and its revenue) and every upcoming
    concert of a matched artist, each once. Returns one row when a total differs. -#}
with view_totals as (
  select
    coalesce(sum(items_sold), 0) as items_sold,
    coalesce(sum(revenue), 0) as revenue,
    coalesce(sum(upcoming_concerts), 0) as upcoming_concerts
  from {{ ref('artist_sales_vs_concerts_vw') }}
),

sales_totals as (
  select count(*) as items_sold, coalesce(sum(price), 0) as revenue from {{ ref('fact_session_items') }}
),

concert_totals as (
  select count(*) as upcoming_concerts
  from (
    select distinct artist_key, venue_country_code, event_id
    from {{ ref('fact_concerts') }}
    where artist_key is not null and event_date > ingest_on
  ) as upcoming
)

select
  view_totals.items_sold as view_items_sold,
  sales_totals.items_sold as fact_items_sold,
  view_totals.revenue as view_revenue,
  sales_totals.revenue as fact_revenue,
  view_totals.upcoming_concerts as view_upcoming_concerts,
  concert_totals.upcoming_concerts as fact_upcoming_concerts
from view_totals cross join sales_totals cross join concert_totals
where view_totals.items_sold <> sales_totals.items_sold
  or abs(view_totals.revenue - sales_totals.revenue) > 0.01
  or view_totals.upcoming_concerts <> concert_totals.upcoming_concerts
