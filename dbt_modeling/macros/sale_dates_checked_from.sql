{#- The first sale date the BI-view checks read: the run date minus the sessions look-back (var
    sessions_lookback_days, the API extraction's SESSIONS_LOOKBACK_DAYS), the earliest session date a run
    loads. A BI view aggregates every date; its checks read only the dates from here on (and on a backfill
    every later date, which the run re-keys), so they cost the same on day 365 as on day 2 (issue 17). A
    constant bound, not a subquery: DuckDB pushes it through the views' aggregates, not an IN (select ...).
    bi_checks_cover_run_sale_dates fails a run that loaded sales from before it. -#}
{% macro sale_dates_checked_from() -%}
  {%- set days = var('sessions_lookback_days') -%}
  {%- if days is not number or days < 0 or days > 31 or days != days | int -%}
    {{ exceptions.raise_compiler_error("var sessions_lookback_days must be a whole number of days 0 to 31, got '" ~ days ~ "'") }}
  {%- endif -%}
  ({{ run_date() }} - {{ days | int }})
{%- endmacro %}
