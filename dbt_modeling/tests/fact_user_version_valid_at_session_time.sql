{#- Each purchase points at the buyer's version that was valid when the session started (the country
    reported per sale depends on it). Returns the items whose user version does not cover their time, among
    the rows the run wrote (its date and the later dates it re-keys), so the cost does not grow with history. -#}
select
  facts.session_item_key,
  facts.session_id,
  facts.item_index,
  facts.user_key,
  facts.session_start_time,
  users.valid_from,
  users.valid_to
from {{ ref('fact_session_items') }} as facts
inner join {{ ref('dim_users') }} as users on users.user_key = facts.user_key
where facts.ingest_on >= {{ run_date() }}
  and not (
    users.valid_from <= facts.session_start_time
    and (users.valid_to is null or facts.session_start_time < users.valid_to)
  )
