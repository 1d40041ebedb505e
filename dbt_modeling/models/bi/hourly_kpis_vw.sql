{#- Per session hour: buyers, items, revenue, the artist with the highest revenue (ties: name, then id), and
    the track diversity index = distinct tracks / items sold. Revenue is summed per artist id, not name: two
    artists may share a name. -#}
{{ config(materialized='view') }}

with hourly as (
  select
    session_date,
    session_hour,
    count(distinct user_id) as unique_buyers,
    count(*) as items_sold,
    sum(price) as revenue,
    cast(count(distinct track_id) as double precision) / count(*) as track_diversity_index
  from {{ ref('fact_session_items') }}
  group by 1, 2
),

artist_revenue as (
  select
    facts.session_date,
    facts.session_hour,
    artists.artist_id,
    artists.artist_name,
    row_number() over (
      partition by facts.session_date, facts.session_hour
      order by sum(facts.price) desc, artists.artist_name, artists.artist_id
    ) as revenue_rank
  from {{ ref('fact_session_items') }} as facts
  inner join {{ ref('dim_artists') }} as artists on artists.artist_key = facts.artist_key
  group by facts.session_date, facts.session_hour, artists.artist_id, artists.artist_name
)

select
  hourly.session_date,
  hourly.session_hour,
  hourly.unique_buyers,
  hourly.items_sold,
  hourly.revenue,
  artist_revenue.artist_name as top_artist,
  hourly.track_diversity_index
from hourly
left join artist_revenue
  on artist_revenue.session_date = hourly.session_date
  and artist_revenue.session_hour = hourly.session_hour
  and artist_revenue.revenue_rank = 1
