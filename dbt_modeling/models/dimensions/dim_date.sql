{#- One row per day over the whole calendar years the loaded sales and the current concerts span, whatever
    the run date: a re-run of an old date must not drop the days that later dates' facts point at. Read from
    the facts (one date column of the warehouse's own tables), not from every sessions and concerts
    partition of the transform zone (issue 17). -#}
{{ config(materialized='table', unique_key='date_key') }}

with ranges as (
  select min(session_date) as first_day, max(session_date) as last_day
  from {{ ref('fact_session_items') }}
  union all
  select min(event_date) as first_day, max(event_date) as last_day
  from {{ ref('fact_concerts') }}
),

day_range as (
  select min(first_day) as first_day, max(last_day) as last_day from ranges
),

days as (
  {{ date_spine(
      "(select cast(" ~ dbt.date_trunc('year', 'first_day') ~ " as date) from day_range)",
      "(select cast(" ~ dbt.dateadd('day', '-1', dbt.dateadd('year', '1', dbt.date_trunc('year', 'last_day'))) ~ " as date) from day_range)"
  ) }}
)

select
  cast(extract(year from date_day) * 10000 + extract(month from date_day) * 100 + extract(day from date_day) as integer)
    as date_key,
  date_day,
  cast(extract(year from date_day) as integer) as year,
  cast(extract(quarter from date_day) as integer) as quarter,
  cast(extract(month from date_day) as integer) as month,
  case cast(extract(month from date_day) as integer)
    when 1 then 'January' when 2 then 'February' when 3 then 'March' when 4 then 'April'
    when 5 then 'May' when 6 then 'June' when 7 then 'July' when 8 then 'August'
    when 9 then 'September' when 10 then 'October' when 11 then 'November' else 'December'
  end as month_name,
  cast(extract(day from date_day) as integer) as day_of_month,
  cast(extract(dow from date_day) as integer) as day_of_week,
  cast(extract(week from date_day) as integer) as iso_week,
  extract(dow from date_day) in (0, 6) as is_weekend
from days
