{#
  dbt's `where` test config cannot call project macros, so a rule that must only see the run date's
  partition says `where: "ingest_on = __run_date__"` and this override of dbt's get_where_subquery puts the
  run date there: the bound parameter :run_date in the serving plan, or the --vars value in a real dbt run
  (both come from run_date()). A rule on a BI view over every sale date says
  `where: "session_date >= __sale_dates_checked_from__"` (sale_dates_checked_from()).
#}
{% macro get_where_subquery(relation) -%}
  {%- set where = config.get('where') -%}
  {%- if where -%}
    {%- set where = where | replace('__run_date__', run_date()) -%}
    {%- set where = where | replace('__sale_dates_checked_from__', sale_dates_checked_from()) -%}
    {%- set filtered -%}
      (select * from {{ relation }} where {{ where }}) dbt_subquery
    {%- endset -%}
    {%- do return(filtered) -%}
  {%- else -%}
    {%- do return(relation) -%}
  {%- endif -%}
{%- endmacro %}
