{#- The most popular concert locations: per venue country and city, the concerts of the newest snapshot,
    the attractions playing them (matched to an artist or not), first and last date. -#}
{{ config(materialized='view') }}

select
  venue_country_code,
  venue_city,
  count(distinct event_id) as concerts,
  count(distinct attraction_id) as artists,
  min(event_date) as first_event_date,
  max(event_date) as last_event_date
from {{ ref('fact_concerts') }}
group by venue_country_code, venue_city
