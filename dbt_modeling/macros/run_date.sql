{#- The run date as a SQL date expression. Compiling the serving plan (no run_date var) renders the bound
    parameter :run_date; a real dbt run renders the literal passed with --vars '{run_date: YYYY-MM-DD}'. -#}
{% macro run_date() -%}
  {%- set value = var('run_date', none) -%}
  {%- if value is none -%}
    cast(:run_date as date)
  {%- else -%}
    {%- set text = value | string -%}
    {%- if not modules.re.match('^[0-9]{4}-[0-9]{2}-[0-9]{2}$', text) -%}
      {{ exceptions.raise_compiler_error("run_date must be YYYY-MM-DD, got '" ~ text ~ "'") }}
    {%- endif -%}
    cast('{{ text }}' as date)
  {%- endif -%}
{%- endmacro %}
