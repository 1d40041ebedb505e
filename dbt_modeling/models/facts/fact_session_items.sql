{#- Grain: one purchased session item (natural key session_id + item_index). A run selects the sessions of
    the run date and of the applied dates after it (dim_users__runs, which dim_users has just updated):
    loading an old date can change the user versions that later sessions fall in, so those rows are
    rebuilt with their new user keys. A run in date order reads its own date only. The user key is the
    user's version valid at the session's start time. -#}
{{ config(
    materialized='incremental',
    incremental_strategy='run_date',
    unique_key=['session_id', 'item_index'],
    run_date_column='ingest_on'
) }}

with items as (
  select
    sessions.*,
    {#- The look-back extracts a session on two dates: its row belongs to the newer one, as a run in date
        order leaves it. -#}
    row_number() over (
      partition by sessions.session_id, sessions.item_index
      order by sessions.ingest_on desc, sessions.processing_timestamp desc
    ) as duplicate_rank
  from {{ source('deftunes_transform', 'sessions') }} as sessions
  where sessions.ingest_on >= {{ run_date() }}
    and sessions.ingest_on in (select run_date from {{ snapshot_runs_relation(ref('dim_users')) }})
    and sessions.session_id is not null
    and sessions.item_index is not null
)

select
  {{ surrogate_key(['items.session_id', 'items.item_index']) }} as session_item_key,
  items.session_id,
  items.item_index,
  users.user_key,
  {{ surrogate_key(['items.song_id']) }} as song_key,
  {{ surrogate_key(['items.artist_id']) }} as artist_key,
  {{ date_key_of('items.session_start_time') }} as date_key,
  items.user_id,
  items.song_id as track_id,
  items.artist_id,
  items.session_start_time,
  cast(items.session_start_time as date) as session_date,
  cast(extract(hour from items.session_start_time) as integer) as session_hour,
  items.price,
  items.currency,
  items.liked,
  items.liked_since,
  items.user_agent,
  items.ingest_on
from items
{{ user_version_join('items.user_id', 'items.session_start_time') }}
where items.duplicate_rank = 1
