{#- md5 of the columns' text joined by '|', null-safe (null becomes '_null_'), same result on every engine. -#}
{% macro surrogate_key(columns) -%}
  md5(
  {%- for column in columns %}
    coalesce(cast({{ column }} as {{ deftunes_text_type() }}), '_null_'){% if not loop.last %} || '|' ||{% endif %}
  {%- endfor %}
  )
{%- endmacro %}

{% macro deftunes_text_type() -%}
  {{ return(adapter.dispatch('deftunes_text_type')()) }}
{%- endmacro %}

{% macro default__deftunes_text_type() -%}varchar{%- endmacro %}

{#- Redshift's bare varchar is varchar(256): a longer value would be cut before hashing. -#}
{% macro redshift__deftunes_text_type() -%}varchar(max){%- endmacro %}
