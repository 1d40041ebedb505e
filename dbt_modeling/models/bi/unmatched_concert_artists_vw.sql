{#- The attractions of the newest concerts snapshot that no artist matched (neither by MusicBrainz id nor by
    normalized name), with how many concerts they play: listed, never dropped. -#}
{{ config(materialized='view') }}

select
  attraction_id,
  min(attraction_name) as attraction_name,
  min(attraction_mbid) as attraction_mbid,
  count(distinct event_id) as concerts,
  min(event_date) as first_event_date,
  max(event_date) as last_event_date
from {{ ref('fact_concerts') }}
where artist_key is null
group by attraction_id
