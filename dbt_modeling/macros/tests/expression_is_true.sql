{#
  Rows where `expression` is false. A null result is not a failure (SQL's three-valued logic), so pair the
  rule with not_null where nulls matter.
#}
{% test expression_is_true(model, expression, column_name=none) %}
select * from {{ model }}
where not ({{ expression }})
{% endtest %}
