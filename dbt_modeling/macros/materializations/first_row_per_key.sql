{#- first_row_per_key: the table keeps, per unique_key, the first row in config order_by ("column" or
    "column desc") among every row any run's model returned. The model reads only what the run brings
    (the partitions from first_row_reads_from() on) and returns at most one row per key, its first; the
    run deletes the kept rows a new row precedes and inserts the new rows whose key has no row left. So a
    run costs what it reads, not the history, and the result does not depend on the order the dates are
    loaded in; a re-run of a date changes nothing. The same statements serving-load runs
    (lambdas/serving-load/materializations/first-row-per-key.ts).

    A new table is built from every partition: first_row_reads_from() then reads from 1900-01-01.
    The order_by columns must not be null (a null never precedes, and the engines sort nulls apart). -#}
{% materialization first_row_per_key, default %}
  {%- set target_relation = this.incorporate(type='table') -%}
  {%- set existing_relation = load_cached_relation(this) -%}
  {%- set key = config.require('unique_key') -%}
  {%- if key is not string -%}
    {{ exceptions.raise_compiler_error(model.name ~ ": first_row_per_key takes one unique_key column") }}
  {%- endif -%}
  {%- set order_by = config.require('order_by') -%}
  {%- set key_column = adapter.quote(key) -%}

  {{ run_hooks(pre_hooks, inside_transaction=False) }}
  {{ run_hooks(pre_hooks, inside_transaction=True) }}

  {% call statement('main') -%}
    {% if existing_relation is not none and not existing_relation.is_table -%}
    drop view {{ existing_relation }};
    {% endif -%}
    {% if existing_relation is none or not existing_relation.is_table -%}
    create table {{ target_relation }} as
{{ sql }}
    {%- else -%}
    delete from {{ target_relation }} where {{ key_column }} in (
      select selected.{{ key_column }} from (
{{ sql }}
      ) as selected
      inner join {{ target_relation }} as kept on selected.{{ key_column }} = kept.{{ key_column }}
      where {{ first_row_precedes(order_by, 'selected', 'kept') }}
    );
    insert into {{ target_relation }}
    select selected.* from (
{{ sql }}
    ) as selected
    left join {{ target_relation }} as kept on selected.{{ key_column }} = kept.{{ key_column }}
    where kept.{{ key_column }} is null
    {%- endif %}
  {%- endcall %}

  {{ run_hooks(post_hooks, inside_transaction=True) }}
  {{ adapter.commit() }}
  {{ run_hooks(post_hooks, inside_transaction=False) }}

  {{ return({'relations': [target_relation]}) }}
{% endmaterialization %}

{#- Whether `left`'s row comes before `right`'s in order_by: the first column where they differ decides
    (< for ascending, > for "desc"); equal rows do not precede each other. -#}
{% macro first_row_precedes(order_by, left, right) -%}
  {%- set terms = [] -%}
  {%- for entry in order_by -%}
    {%- set parts = entry.split() -%}
    {%- if parts | length > 2 or (parts | length == 2 and parts[1] | lower not in ['asc', 'desc']) -%}
      {{ exceptions.raise_compiler_error("order_by entry '" ~ entry ~ "' is not 'column' or 'column desc'") }}
    {%- endif -%}
    {%- do terms.append((adapter.quote(parts[0]), '>' if (parts | length == 2 and parts[1] | lower == 'desc') else '<')) -%}
  {%- endfor -%}
  {%- set ns = namespace(sql='') -%}
  {%- for column, operator in terms | reverse -%}
    {%- set before = left ~ '.' ~ column ~ ' ' ~ operator ~ ' ' ~ right ~ '.' ~ column -%}
    {%- if loop.first -%}
      {%- set ns.sql = before -%}
    {%- else -%}
      {%- set ns.sql = '(' ~ before ~ ' or (' ~ left ~ '.' ~ column ~ ' = ' ~ right ~ '.' ~ column ~ ' and ' ~ ns.sql ~ '))' -%}
    {%- endif -%}
  {%- endfor -%}
  {{ ns.sql }}
{%- endmacro %}

{#- The first ingest_on partition a first_row_per_key model reads: the run date, or 1900-01-01 when its
    table does not exist yet (a new table starts from every partition). In the serving plan the bound
    parameter :reads_from, which serving-load sets the same way. -#}
{% macro first_row_reads_from() -%}
  {%- if var('run_date', none) is none -%}
    cast(:reads_from as date)
  {%- else -%}
    {%- set reads_from = '1900-01-01' -%}
    {%- if execute -%}
      {%- set existing = adapter.get_relation(database=this.database, schema=this.schema, identifier=this.identifier) -%}
      {%- if existing is not none and existing.is_table -%}{%- set reads_from = var('run_date') | string -%}{%- endif -%}
    {%- endif -%}
    cast('{{ reads_from }}' as date)
  {%- endif -%}
{%- endmacro %}
