{# Rows whose non-null `column_name` does not match the regular expression `pattern` as a whole. #}
{% test matches_pattern(model, column_name, pattern) %}
select * from {{ model }}
where {{ column_name }} is not null
  and not ({{ adapter.dispatch('full_regex_match')(column_name, pattern) }})
{% endtest %}

{% macro default__full_regex_match(column, pattern) -%}
{{ column }} ~ '^({{ pattern }})$'
{%- endmacro %}

{% macro duckdb__full_regex_match(column, pattern) -%}
regexp_full_match({{ column }}, '{{ pattern }}')
{%- endmacro %}
