{#- Relations render as schema.name, without the database: the compiled plan then runs in whatever
    database the warehouse connection opens (the DuckDB file's catalog, the Redshift database). -#}
{% macro ref() -%}
  {%- set relation = builtins.ref(*varargs, **kwargs) -%}
  {{ return(relation.include(database=false)) }}
{%- endmacro %}

{% macro source() -%}
  {%- set relation = builtins.source(*varargs, **kwargs) -%}
  {{ return(relation.include(database=false)) }}
{%- endmacro %}
