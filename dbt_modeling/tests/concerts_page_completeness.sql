{#- Page completeness of the run date's concerts extract: the distinct events landed in the concerts table
    plus the events the transform quarantined must equal what the API announced (the sum of the windows'
    totalElements, from the manifest). A page skipped or read twice, or a window cut short, shows here.
    Returns one row when they differ. -#}
with landed as (
  select count(distinct event_id) as events
  from {{ source('deftunes_transform', 'concerts') }}
  where ingest_on = {{ run_date() }}
),

quarantined as (
  select count(*) as events
  from {{ source('deftunes_transform', 'quarantine') }}
  where ingest_on = {{ run_date() }} and source = 'concerts'
),

announced as (
  select coalesce(sum(total_elements), 0) as events
  from {{ source('deftunes_transform', 'concert_windows') }}
  where ingest_on = {{ run_date() }}
)

select
  landed.events as landed_events,
  quarantined.events as quarantined_events,
  announced.events as announced_events
from landed cross join quarantined cross join announced
where landed.events + quarantined.events <> announced.events
