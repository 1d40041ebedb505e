{#- Users as of the run date's daily snapshot. The snapshot_type2 materialization keeps one row per
    version: a change of place_name, country_code or timezone closes the current version (valid_to = the
    run date) and opens a new one; other attributes are corrected in place. -#}
{{ config(
    materialized='snapshot_type2',
    unique_key='user_id',
    check_cols=['place_name', 'country_code', 'timezone'],
    update_cols=['user_name', 'user_lastname', 'latitude', 'longitude', 'user_since'],
    surrogate_key='user_key'
) }}

{#- The CTE is not called `snapshot`: SNAPSHOT is a Redshift reserved word. -#}
with ranked_users as (
  select
    users.*,
    row_number() over (partition by users.user_id order by users.processing_timestamp desc) as duplicate_rank
  from {{ source('deftunes_transform', 'users') }} as users
  where users.ingest_on = {{ run_date() }}
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
  user_since
from ranked_users
where duplicate_rank = 1
