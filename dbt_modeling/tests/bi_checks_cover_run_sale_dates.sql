{#- The BI-view checks read sale dates from sale_dates_checked_from() on. A run that loaded older sales (a
    sessions look-back longer than var sessions_lookback_days) leaves them unchecked: one row per such date.
    A warning, not an error: the data is right, only the checks' coverage is short, which is no reason to
    roll the day back. Raise the var with SESSIONS_LOOKBACK_DAYS and rebuild the plans (npm run build). -#}
{{ config(severity='warn') }}
select session_date, count(*) as items
from {{ ref('fact_session_items') }}
where ingest_on >= {{ run_date() }}
  and session_date < {{ sale_dates_checked_from() }}
group by session_date
