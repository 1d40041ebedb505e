{#- What the fact models share: the dim_date key of a date or timestamp, and the user version valid at a
    time (type 2: valid_from <= time < valid_to, the current version open-ended). -#}

{#- The dim_date key (yyyymmdd) of `expression`. -#}
{% macro date_key_of(expression) -%}
cast(
    extract(year from {{ expression }}) * 10000
    + extract(month from {{ expression }}) * 100
    + extract(day from {{ expression }}) as integer
  )
{%- endmacro %}

{#- Joins dim_users as `users`: the version of `user_id` valid at `at`; none when the user has no version
    then (a listener in no users snapshot). -#}
{% macro user_version_join(user_id, at) -%}
left join {{ ref('dim_users') }} as users
  on users.user_id = {{ user_id }}
  and users.valid_from <= {{ at }}
  and {{ at }} < coalesce(users.valid_to, cast('9999-12-31' as timestamp))
{%- endmacro %}
