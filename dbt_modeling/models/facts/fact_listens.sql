{#- Grain: one play (natural key event_id). The `listens` partition listen_date = D holds D's plays, one
    copy per event_id (kept again here, the earliest arrival, as a guard against a partition written twice).
    The user key is the user's version valid when the play started (null when the user has none then);
    song_key and artist_key are null when the track is not in dim_songs (genre `unknown` in
    kpi_genre_daily, counted by fact_listens_track_coverage). Ids only: names are joined in the BI views.

    A run selects the plays of the run date and of the applied dates after it (dim_users__runs), as
    fact_session_items does: loading an old date can change the user versions that later plays fall in, so
    those rows are re-keyed. A run in date order reads its own date only. -#}
{{ config(
    materialized='incremental',
    incremental_strategy='run_date',
    unique_key='event_id',
    run_date_column='listen_date'
) }}

with plays as (
  select
    listens.*,
    row_number() over (
      partition by listens.event_id order by listens.arrival_hour, listens.source_from
    ) as duplicate_rank
  from {{ source('deftunes_transform', 'listens') }} as listens
  where listens.listen_date >= {{ run_date() }}
    and listens.listen_date in (select run_date from {{ snapshot_runs_relation(ref('dim_users')) }})
    and listens.event_id is not null
)

select
  {{ surrogate_key(['plays.event_id']) }} as listen_key,
  plays.event_id,
  users.user_key,
  songs.song_key,
  artists.artist_key,
  {{ date_key_of('plays.listen_date') }} as date_key,
  plays.user_id,
  plays.track_id,
  songs.artist_id,
  plays.listened_at,
  plays.listen_date,
  plays.listen_hour,
  plays.ms_played,
  plays.device,
  plays.arrived_late
from plays
{{ user_version_join('plays.user_id', 'plays.listened_at') }}
left join {{ ref('dim_songs') }} as songs on songs.track_id = plays.track_id
left join {{ ref('dim_artists') }} as artists on artists.artist_id = songs.artist_id
where plays.duplicate_rank = 1
