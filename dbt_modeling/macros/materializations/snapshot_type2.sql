{#- Type-2 snapshot for the run date; the same statements serving-load runs (lambdas/serving-load/load.ts),
    so `dbt build` and the executor give identical tables (test/serving/parity.test.ts).
    The model's SELECT is each entity's state on the run date. A previous run of the same date is undone
    first (its versions deleted, the versions it closed reopened). Then versions whose check_cols changed
    are closed (valid_to = run date), update_cols are corrected in place on the current version, new
    versions are inserted (valid_from = run date; first_valid_from for an entity's first version). A run
    date older than the newest run applied is skipped: the history already holds later states. The newest
    run is kept in <model>__runs(run_date), written with the history: loaded_on only moves when a version
    is inserted, so a run that only corrected attributes in place would not stop an older date otherwise. -#}
{% materialization snapshot_type2, default %}
  {%- set target_relation = this.incorporate(type='table') -%}
  {%- set existing_relation = load_cached_relation(this) -%}
  {%- set keys = config.get('unique_key') -%}
  {%- set keys = [keys] if keys is string else keys -%}
  {%- set check_cols = config.require('check_cols') -%}
  {%- set update_cols = config.get('update_cols', []) -%}
  {%- set surrogate_key_column = config.get('surrogate_key', model.name ~ '_key') -%}
  {%- set first_valid_from = config.get('first_valid_from', '1900-01-01') -%}
  {%- set stage = adapter.quote(model.name ~ '__snapshot') -%}
  {%- set target = adapter.quote(model.name) -%}
  {%- set run_day = run_date() -%}
  {%- set run_timestamp = 'cast(' ~ run_day ~ ' as timestamp)' -%}
  {%- set text_type = deftunes_text_type() | trim -%}

  {%- set runs_relation = api.Relation.create(database=this.database, schema=this.schema, identifier=this.identifier ~ '__runs', type='table') -%}
  {%- set existing_runs = adapter.get_relation(database=this.database, schema=this.schema, identifier=this.identifier ~ '__runs') -%}

  {%- set skip = false -%}
  {%- if existing_relation is not none and existing_relation.is_table -%}
    {#- loaded_on too: a history written before the runs table existed keeps its watermark. -#}
    {%- set marks = ['select max("loaded_on") as mark from ' ~ target_relation] -%}
    {%- if existing_runs is not none -%}
      {%- do marks.append('select max(run_date) as mark from ' ~ runs_relation) -%}
    {%- endif -%}
    {%- set latest = run_query('select cast(max(mark) as varchar(10)) from (' ~ marks | join(' union all ') ~ ') as marks').columns[0].values()[0] -%}
    {%- if latest is not none and (var('run_date') | string) < (latest | string) -%}
      {%- set skip = true -%}
    {%- endif -%}
  {%- endif -%}

  {{ run_hooks(pre_hooks, inside_transaction=False) }}
  {{ run_hooks(pre_hooks, inside_transaction=True) }}

  {% call statement('main') -%}
    {%- if skip -%}
      select 1
    {%- else -%}
    create temp table {{ stage }} as
{{ sql }};
    {% if existing_relation is none -%}
    create table {{ target_relation }} as select cast(null as {{ 'varchar' if text_type == 'varchar' else 'varchar(32)' }}) as {{ adapter.quote(surrogate_key_column) }}, {{ stage }}.*, cast(null as timestamp) as "valid_from", cast(null as timestamp) as "valid_to", cast(null as boolean) as "is_current", cast(null as date) as "loaded_on" from {{ stage }} where 1 = 0;
    {% endif -%}
    {% if existing_runs is none -%}
    create table if not exists {{ runs_relation }} (run_date date);
    {% elif existing_relation is none -%}
    delete from {{ runs_relation }};
    {% endif -%}
    delete from {{ target_relation }} where "loaded_on" = {{ run_day }};
    update {{ target_relation }} set "valid_to" = null, "is_current" = true where "valid_to" = {{ run_timestamp }};
    update {{ target_relation }} set "valid_to" = {{ run_timestamp }}, "is_current" = false
    from {{ stage }} where {{ deftunes_key_match(keys, target, stage) }} and {{ target }}."is_current"
      and {{ deftunes_columns_hash(check_cols, target, text_type) }} <> {{ deftunes_columns_hash(check_cols, stage, text_type) }};
    update {{ target_relation }} set
      {%- for column in check_cols + update_cols %} {{ adapter.quote(column) }} = {{ stage }}.{{ adapter.quote(column) }}{{ ',' if not loop.last }}{% endfor %}
    from {{ stage }} where {{ deftunes_key_match(keys, target, stage) }} and {{ target }}."is_current"
      and {{ deftunes_columns_hash(check_cols, target, text_type) }} = {{ deftunes_columns_hash(check_cols, stage, text_type) }};
    insert into {{ target_relation }}
    select md5({%- for key in keys -%}coalesce(cast(versions.{{ adapter.quote(key) }} as {{ text_type }}), '_null_') || '|' || {% endfor -%}coalesce(cast(versions."valid_from" as {{ text_type }}), '_null_')), versions.*, cast(null as timestamp), true, {{ run_day }}
    from (
      select {{ stage }}.*, case when history.has_current is null then cast('{{ first_valid_from }}' as timestamp) else {{ run_timestamp }} end as "valid_from"
      from {{ stage }}
      left join (
        select {% for key in keys %}{{ adapter.quote(key) }}{{ ', ' if not loop.last }}{% endfor %}, max(case when "is_current" then 1 else 0 end) as has_current
        from {{ target_relation }}
        group by {% for key in keys %}{{ adapter.quote(key) }}{{ ', ' if not loop.last }}{% endfor %}
      ) as history
        on {% for key in keys %}history.{{ adapter.quote(key) }} = {{ stage }}.{{ adapter.quote(key) }}{{ ' and ' if not loop.last }}{% endfor %}
      where history.has_current is null or history.has_current = 0
    ) as versions;
    drop table {{ stage }};
    delete from {{ runs_relation }} where run_date = {{ run_day }};
    insert into {{ runs_relation }} (run_date) values ({{ run_day }})
    {%- endif -%}
  {%- endcall %}

  {{ run_hooks(post_hooks, inside_transaction=True) }}
  {{ adapter.commit() }}
  {{ run_hooks(post_hooks, inside_transaction=False) }}

  {{ return({'relations': [target_relation]}) }}
{% endmaterialization %}

{#- md5 of a table's columns as text joined by '|', null-safe (the surrogate_key expression). -#}
{% macro deftunes_columns_hash(columns, table, text_type) -%}
  md5({%- for column in columns -%}coalesce(cast({{ table }}.{{ adapter.quote(column) }} as {{ text_type }}), '_null_'){{ " || '|' || " if not loop.last }}{%- endfor -%})
{%- endmacro %}

{% macro deftunes_key_match(keys, left, right) -%}
  {%- for key in keys -%}{{ left }}.{{ adapter.quote(key) }} = {{ right }}.{{ adapter.quote(key) }}{{ ' and ' if not loop.last }}{%- endfor -%}
{%- endmacro %}
