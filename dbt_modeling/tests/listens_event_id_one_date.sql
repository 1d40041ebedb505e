{#- A play has one listen_date (its listened_at's UTC date), so a run date's event_id also found under
    another date is an id the app used twice. fact_listens keeps one play per event_id (of the date loaded
    last) and the other date's KPIs silently lose the play, so this warns with both dates. Bounded to the
    7 dates on each side of the run date: the check costs the same every day, whatever the history. -#}
{{ config(severity='warn') }}
select
  run_day.event_id,
  run_day.listen_date,
  other_day.listen_date as other_listen_date
from {{ source('deftunes_transform', 'listens') }} as run_day
inner join {{ source('deftunes_transform', 'listens') }} as other_day
  on other_day.event_id = run_day.event_id
where run_day.listen_date = {{ run_date() }}
  and other_day.listen_date <> run_day.listen_date
  and other_day.listen_date >= {{ dbt.dateadd('day', -7, run_date()) }}
  and other_day.listen_date <= {{ dbt.dateadd('day', 7, run_date()) }}
