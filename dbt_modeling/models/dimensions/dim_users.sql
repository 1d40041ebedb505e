{#- Users' daily states from the replay date onwards, one row per user and snapshot date (the transform
    `users` table keeps one partition per run date: a full daily snapshot). The snapshot_type2
    materialization keeps the applied dates among them and replays them in date order over the history
    before the replay date: a change of place_name, country_code or timezone closes the current version
    and opens one (valid_from = the snapshot date); other attributes are corrected in place. -#}
{{ config(
    materialized='snapshot_type2',
    unique_key='user_id',
    check_cols=['place_name', 'country_code', 'timezone'],
    update_cols=['user_name', 'user_lastname', 'latitude', 'longitude', 'user_since'],
    snapshot_date_column='snapshot_date',
    surrogate_key='user_key'
) }}

{#- The CTE is not called `snapshot`: SNAPSHOT is a Redshift reserved word. -#}
with ranked_users as (
  select
    users.*,
    row_number() over (
      partition by users.user_id, users.ingest_on order by users.processing_timestamp desc
    ) as duplicate_rank
  from {{ source('deftunes_transform', 'users') }} as users
  where users.ingest_on >= {{ snapshot_replay_from() }}
    and users.user_id is not null
)

select
  user_id,
  user_name,
  user_lastname,
  latitude,
  longitude,
  place_name,
  country_code,
  timezone,
  user_since,
  ingest_on as snapshot_date
from ranked_users
where duplicate_rank = 1
