{#- Users' daily states from the replay date onwards, one row per user and snapshot date (the transform
    `users` table keeps one partition per run date: a full daily snapshot). The snapshot_type2
    materialization keeps the applied dates among them and replays them in date order over the history
    before the replay date: a change of place_name, country_code or timezone closes the current version
    and opens one (valid_from = the snapshot date); other attributes are corrected in place.

    Late-arriving users (inferred members): a buyer of a run date's sessions who is not in that date's
    snapshot (the real API records a profile days after the first purchases, or never) gets a row with
    is_inferred = true and every attribute null, so the fact row has a user version to point to. The
    materialization keeps it only for a user with no version yet (no earlier profile): it opens the
    user's first version, key md5(user_id, 1900-01-01). When the profile arrives, that version is
    completed IN PLACE (attributes filled, is_inferred = false), not closed and followed by another: the
    inferred values were unknown, not history. So the fact rows keep their user_key, and it shows the
    completed attributes (the buyer's country for sales before the profile is the first one known); a user
    who never gets a profile stays an inferred member. A first version built from a profile has the same
    key, so loading the dates in any order, or re-running them, gives the same keys. -#}
{{ config(
    materialized='snapshot_type2',
    unique_key='user_id',
    check_cols=['place_name', 'country_code', 'timezone'],
    update_cols=['user_name', 'user_lastname', 'latitude', 'longitude', 'user_since', 'is_inferred'],
    inferred_flag='is_inferred',
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
),

buyers as (
  select distinct sessions.user_id, sessions.ingest_on
  from {{ source('deftunes_transform', 'sessions') }} as sessions
  where sessions.ingest_on >= {{ snapshot_replay_from() }}
    and sessions.user_id is not null
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
  false as is_inferred,
  ingest_on as snapshot_date
from ranked_users
where duplicate_rank = 1

union all

select
  buyers.user_id,
  cast(null as {{ deftunes_text_type() }}) as user_name,
  cast(null as {{ deftunes_text_type() }}) as user_lastname,
  cast(null as double precision) as latitude,
  cast(null as double precision) as longitude,
  cast(null as {{ deftunes_text_type() }}) as place_name,
  cast(null as {{ deftunes_text_type() }}) as country_code,
  cast(null as {{ deftunes_text_type() }}) as timezone,
  cast(null as timestamp) as user_since,
  true as is_inferred,
  buyers.ingest_on as snapshot_date
from buyers
left join ranked_users
  on ranked_users.user_id = buyers.user_id
  and ranked_users.ingest_on = buyers.ingest_on
where ranked_users.user_id is null
