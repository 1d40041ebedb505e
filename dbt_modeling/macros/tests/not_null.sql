{#
  dbt's not_null selects only the null column, which makes a useless sample of failing rows (all null).
  Selecting the whole row lets the quality gate report the failing rows' keys; the count is the same.
#}
{% macro default__test_not_null(model, column_name) %}
select * from {{ model }} where {{ column_name }} is null
{% endmacro %}
