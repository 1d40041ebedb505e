{#- The buyer's country at purchase time: the user version the fact row points to. -#}
{{ config(materialized='view') }}

select
  cast(extract(month from facts.session_start_time) as integer) as session_month,
  cast(extract(year from facts.session_start_time) as integer) as session_year,
  users.country_code,
  sum(facts.price) as total_sales
from {{ ref('fact_session_items') }} as facts
left join {{ ref('dim_users') }} as users on users.user_key = facts.user_key
group by 1, 2, 3
