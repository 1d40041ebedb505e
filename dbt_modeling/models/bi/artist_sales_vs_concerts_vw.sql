{#- Per artist and country: the items of the artist sold to users of that country (their country at
    purchase time) and the revenue, beside the artist's upcoming concerts there (concerts of the newest
    snapshot dated after it, matched artists only). An artist with sales and no concert in a country, or
    concerts and no sales, has a row with zeros on the other side. -#}
{{ config(materialized='view') }}

with sales as (
  select
    facts.artist_key,
    users.country_code,
    count(*) as items_sold,
    sum(facts.price) as revenue,
    0 as upcoming_concerts
  from {{ ref('fact_session_items') }} as facts
  left join {{ ref('dim_users') }} as users on users.user_key = facts.user_key
  group by facts.artist_key, users.country_code
),

upcoming as (
  select
    concerts.artist_key,
    concerts.venue_country_code as country_code,
    0 as items_sold,
    cast(0 as decimal(38, 2)) as revenue,
    count(distinct concerts.event_id) as upcoming_concerts
  from {{ ref('fact_concerts') }} as concerts
  where concerts.artist_key is not null and concerts.event_date > concerts.ingest_on
  group by concerts.artist_key, concerts.venue_country_code
),

both_sides as (
  select * from sales
  union all
  select * from upcoming
)

select
  both_sides.artist_key,
  artists.artist_id,
  artists.artist_name,
  both_sides.country_code,
  sum(both_sides.items_sold) as items_sold,
  sum(both_sides.revenue) as revenue,
  sum(both_sides.upcoming_concerts) as upcoming_concerts
from both_sides
left join {{ ref('dim_artists') }} as artists on artists.artist_key = both_sides.artist_key
group by both_sides.artist_key, artists.artist_id, artists.artist_name, both_sides.country_code
