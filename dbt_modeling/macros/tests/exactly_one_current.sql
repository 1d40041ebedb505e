{# Entities (`column_name`) that do not have exactly one version flagged current. #}
{% test exactly_one_current(model, column_name, current_flag='is_current') %}
select {{ column_name }}, sum(case when {{ current_flag }} then 1 else 0 end) as current_versions
from {{ model }}
group by {{ column_name }}
having sum(case when {{ current_flag }} then 1 else 0 end) != 1
{% endtest %}
