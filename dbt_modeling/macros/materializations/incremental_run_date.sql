{#- incremental_strategy='run_date': replace the run date's rows, and those of any other date the model
    returns (a model may rebuild later dates too). Deletes the rows whose run_date_column is the run date or
    a date of the new rows, and the rows sharing a unique key with the new ones, then inserts the new rows:
    the same statements serving-load runs for incremental models.

    With config run_date_only=true the model selects the run date's rows only (every row's run_date_column
    is the run date): the run deletes the run date's rows and inserts the new rows of the run date (a row of
    another date is not kept). serving-load then needs two statements and no batch table, which keeps a
    Redshift run within the Data API's 40 statements per batch. -#}
{% macro get_incremental_run_date_sql(arg_dict) %}
  {%- set target = arg_dict['target_relation'] -%}
  {%- set temp = arg_dict['temp_relation'] -%}
  {%- set keys = arg_dict['unique_key'] -%}
  {%- set keys = [keys] if keys is string else keys -%}
  {%- set columns = get_quoted_csv(arg_dict['dest_columns'] | map(attribute='name')) -%}
  {%- set run_date_column = adapter.quote(config.require('run_date_column')) %}
  {%- if config.get('run_date_only', false) %}
  delete from {{ target }} where {{ run_date_column }} = {{ run_date() }};
  insert into {{ target }} ({{ columns }}) select {{ columns }} from {{ temp }} where {{ run_date_column }} = {{ run_date() }}
  {%- else %}
  delete from {{ target }} where {{ run_date_column }} = {{ run_date() }} or {{ run_date_column }} in (select {{ run_date_column }} from {{ temp }});
  delete from {{ target }} using {{ temp }}
  where {% for key in keys %}{{ adapter.quote(target.identifier) }}.{{ adapter.quote(key) }} = {{ adapter.quote(temp.identifier) }}.{{ adapter.quote(key) }}{{ ' and ' if not loop.last }}{% endfor %};
  insert into {{ target }} ({{ columns }}) select {{ columns }} from {{ temp }}
  {%- endif %}
{% endmacro %}
