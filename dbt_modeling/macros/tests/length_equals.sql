{# Rows whose non-null `column_name` is not exactly `length` characters long. #}
{% test length_equals(model, column_name, length) %}
select * from {{ model }}
where {{ column_name }} is not null and length({{ column_name }}) != {{ length }}
{% endtest %}
