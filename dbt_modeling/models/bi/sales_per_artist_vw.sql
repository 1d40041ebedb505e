{{ config(materialized='view') }}

select
  cast(extract(year from facts.session_start_time) as integer) as session_year,
  artists.artist_name,
  sum(facts.price) as total_sales
from {{ ref('fact_session_items') }} as facts
inner join {{ ref('dim_artists') }} as artists on artists.artist_key = facts.artist_key
group by 1, 2
