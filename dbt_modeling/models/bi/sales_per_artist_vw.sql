{#- Sales per artist and year. Grouped by the artist's id, not its name: two artists may share a name.
    artist_id follows the public columns (session_year, artist_name, total_sales) so readers by position
    keep working. -#}
{{ config(materialized='view') }}

select
  cast(extract(year from facts.session_start_time) as integer) as session_year,
  artists.artist_name,
  sum(facts.price) as total_sales,
  artists.artist_id
from {{ ref('fact_session_items') }} as facts
inner join {{ ref('dim_artists') }} as artists on artists.artist_key = facts.artist_key
group by cast(extract(year from facts.session_start_time) as integer), artists.artist_id, artists.artist_name
