{#- Type-2 snapshot; the same statements serving-load runs (lambdas/serving-load/materializations/snapshot-type2.ts), so `dbt build`
    and the executor give identical tables (test/serving/parity.test.ts).

    Any date can be loaded in any order, and the history ends as if the dates had been loaded in order.
    <model>__runs(run_date) holds the dates applied. The model returns each entity's state on every
    snapshot date from the replay date onwards (snapshot_replay_from(): the newest applied date before the
    run date, or the run date when there is none), with the date in snapshot_date_column. A run:
    1. records the run date in <model>__runs (before the model's SELECT, so later models see it too);
    2. stages the model's rows and keeps those of applied dates;
    3. cuts the history back to what it was before the replay date: versions loaded on or after it are
       deleted, versions closed on or after it reopen;
    4. replays the staged dates in order (set-based: a row whose check_cols differ from the entity's
       previous row, or from its current version for its first row, starts a version): the current
       version takes the latest values of the rows that continue it (update_cols are type 1) and is
       closed where a new version starts; new versions get valid_from = the date their rows start
       (first_valid_from for an entity's first version), valid_to = the next one's start, loaded_on =
       valid_from's date.
    Why from the newest applied date before the run date, not from the run date: update_cols are
    overwritten in place, so the current version may hold values of a later date; replaying that older
    snapshot first restores the values it had then. A run in date order therefore reads two partitions
    (the previous applied date and its own); loading or re-running an old date reads the partitions from
    it to the newest: the cost follows how far back the date is, never the whole history.
    Limit: an entity missing from that previous snapshot (its record quarantined that day) keeps the
    values of its current version as they are, possibly corrected by a later date.
    The table's columns: the surrogate key, unique_key, check_cols, update_cols, valid_from, valid_to,
    is_current, loaded_on; the model returns exactly those of them it owns plus the snapshot date. -#}
{% materialization snapshot_type2, default %}
  {%- set target_relation = this.incorporate(type='table') -%}
  {%- set existing_relation = load_cached_relation(this) -%}
  {%- set keys = config.get('unique_key') -%}
  {%- set keys = [keys] if keys is string else keys -%}
  {%- set check_cols = config.require('check_cols') -%}
  {%- set update_cols = config.get('update_cols', []) -%}
  {%- set snapshot_date = adapter.quote(config.require('snapshot_date_column')) -%}
  {%- set surrogate_key_column = config.get('surrogate_key', model.name ~ '_key') -%}
  {%- set first_valid_from = config.get('first_valid_from', '1900-01-01') -%}
  {%- set stage = adapter.quote(model.name ~ '__snapshot') -%}
  {%- set versions = adapter.quote(model.name ~ '__versions') -%}
  {%- set target = adapter.quote(model.name) -%}
  {%- set run_day = run_date() -%}
  {%- set replay_from = snapshot_replay_from() -%}
  {%- set text_type = deftunes_text_type() | trim -%}
  {%- set columns = [] -%}
  {%- for column in keys + check_cols + update_cols -%}{%- do columns.append(adapter.quote(column)) -%}{%- endfor -%}
  {%- set runs_relation = snapshot_runs_relation(this) -%}
  {%- set existing_runs = adapter.get_relation(database=this.database, schema=this.schema, identifier=this.identifier ~ '__runs') -%}
  {%- set has_history = existing_relation is not none and existing_relation.is_table -%}

  {{ run_hooks(pre_hooks, inside_transaction=False) }}
  {{ run_hooks(pre_hooks, inside_transaction=True) }}

  {% call statement('main') -%}
    {% if existing_runs is none -%}
    create table if not exists {{ runs_relation }} (run_date date);
    {% if has_history -%}
    insert into {{ runs_relation }} (run_date) select distinct "loaded_on" from {{ target_relation }} where "loaded_on" is not null;
    {% endif -%}
    {% elif not has_history -%}
    delete from {{ runs_relation }};
    {% endif -%}
    insert into {{ runs_relation }} (run_date) select {{ run_day }} from (select count(*) as applied from {{ runs_relation }} where run_date = {{ run_day }}) as previous where previous.applied = 0;
    create temp table {{ stage }} as
{{ sql }};
    {% if existing_relation is none -%}
    create table {{ target_relation }} as select cast(null as {{ 'varchar' if text_type == 'varchar' else 'varchar(32)' }}) as {{ adapter.quote(surrogate_key_column) }}, {% for column in columns %}{{ stage }}.{{ column }}, {% endfor %}cast(null as timestamp) as "valid_from", cast(null as timestamp) as "valid_to", cast(null as boolean) as "is_current", cast(null as date) as "loaded_on" from {{ stage }} where 1 = 0;
    {% endif -%}
    delete from {{ target_relation }} where "loaded_on" >= {{ replay_from }};
    update {{ target_relation }} set "valid_to" = null, "is_current" = true where "valid_to" >= cast({{ replay_from }} as timestamp);
    create temp table {{ versions }} as
    {{ snapshot_type2_versions_sql(keys, check_cols, update_cols, snapshot_date, stage, target_relation, runs_relation, first_valid_from, text_type, config.get('inferred_flag')) }};
    update {{ target_relation }} set "valid_to" = {{ versions }}."valid_to", "is_current" = case when {{ versions }}."valid_to" is null then true else false end,
      {%- for column in check_cols + update_cols %} {{ adapter.quote(column) }} = {{ versions }}.{{ adapter.quote(column) }}{{ ',' if not loop.last }}{% endfor %}
    from {{ versions }} where {{ deftunes_key_match(keys, target, versions) }} and {{ target }}."is_current" and {{ versions }}."version_number" = 0;
    update {{ target_relation }} set "valid_to" = {{ versions }}."valid_from", "is_current" = false
    from {{ versions }} where {{ deftunes_key_match(keys, target, versions) }} and {{ target }}."is_current" and {{ versions }}."version_number" = 1;
    insert into {{ target_relation }} ({{ adapter.quote(surrogate_key_column) }}, {{ columns | join(', ') }}, "valid_from", "valid_to", "is_current", "loaded_on")
    select md5({%- for key in keys -%}coalesce(cast({{ versions }}.{{ adapter.quote(key) }} as {{ text_type }}), '_null_') || '|' || {% endfor -%}coalesce(cast({{ versions }}."valid_from" as {{ text_type }}), '_null_')),
      {% for column in columns %}{{ versions }}.{{ column }}, {% endfor %}{{ versions }}."valid_from", {{ versions }}."valid_to", case when {{ versions }}."valid_to" is null then true else false end, {{ versions }}."loaded_on"
    from {{ versions }} where {{ versions }}."version_number" >= 1;
    drop table {{ stage }};
    drop table {{ versions }}
  {%- endcall %}

  {{ run_hooks(post_hooks, inside_transaction=True) }}
  {{ adapter.commit() }}
  {{ run_hooks(post_hooks, inside_transaction=False) }}

  {{ return({'relations': [target_relation]}) }}
{% endmaterialization %}

{#- The replay (step 4): one row per version the staged rows make, numbered per entity in date order;
    version_number 0 continues the entity's current version (its latest values; valid_to = where the next
    version starts, null if none), 1 and up are new versions. Inferred members (config inferred_flag, an
    update_cols column): an inferred row is kept only for an entity with no version left after the cut and
    no real row on or before its date, so it can only open the entity's first version; a row following an
    inferred state (the previous staged row, else the current version) continues that version and
    completes it in place: its key (natural key + first_valid_from) never changes. -#}
{% macro snapshot_type2_versions_sql(keys, check_cols, update_cols, snapshot_date, stage, target_relation, runs_relation, first_valid_from, text_type, inferred_flag=none) -%}
  {%- set key_list = deftunes_quoted_list(keys) -%}
  {%- set attributes = deftunes_quoted_list(check_cols + update_cols) -%}
  {%- set staged_keys = [] -%}{%- for key in keys -%}{%- do staged_keys.append('staged_rows.' ~ adapter.quote(key)) -%}{%- endfor -%}
with staged_rows as (
  select {{ key_list }}, {{ attributes }}, {{ snapshot_date }} as snapshot_date, {{ (stage ~ '.' ~ adapter.quote(inferred_flag)) if inferred_flag else 'false' }} as inferred_row
  from {{ stage }}
  where {{ snapshot_date }} in (select run_date from {{ runs_relation }})
),
known_entities as (
  select distinct {{ key_list }} from {{ target_relation }}
),
first_real_rows as (
  select {{ key_list }}, min(snapshot_date) as first_real_on from staged_rows where not staged_rows.inferred_row group by {{ key_list }}
),
staged_states as (
  select staged_rows.*,
    {{ deftunes_columns_hash(check_cols, 'staged_rows', text_type) }} as tracked_hash,
    lag({{ deftunes_columns_hash(check_cols, 'staged_rows', text_type) }}) over (partition by {{ staged_keys | join(', ') }} order by staged_rows.snapshot_date) as previous_hash,
    lag(staged_rows.inferred_row) over (partition by {{ staged_keys | join(', ') }} order by staged_rows.snapshot_date) as previous_inferred
  from staged_rows
  left join known_entities on {{ deftunes_key_match(keys, 'staged_rows', 'known_entities') }}
  left join first_real_rows on {{ deftunes_key_match(keys, 'staged_rows', 'first_real_rows') }}
  where case when staged_rows.inferred_row and (known_entities.{{ adapter.quote(keys[0]) }} is not null or first_real_rows.first_real_on <= staged_rows.snapshot_date) then 0 else 1 end = 1
),
current_versions as (
  select {{ key_list }}, {{ deftunes_columns_hash(check_cols, 'history', text_type) }} as tracked_hash, {{ ('history.' ~ adapter.quote(inferred_flag)) if inferred_flag else 'false' }} as inferred_version
  from {{ target_relation }} as history
  where history."is_current"
),
version_starts as (
  select staged_states.*,
    case when coalesce(staged_states.previous_inferred, current_versions.inferred_version) then 0
      when coalesce(staged_states.previous_hash, current_versions.tracked_hash) = staged_states.tracked_hash then 0 else 1 end as starts_version,
    case when known_entities.{{ adapter.quote(keys[0]) }} is null then 0 else 1 end as has_history
  from staged_states
  left join current_versions on {{ deftunes_key_match(keys, 'staged_states', 'current_versions') }}
  left join known_entities on {{ deftunes_key_match(keys, 'staged_states', 'known_entities') }}
),
numbered as (
  select version_starts.*,
    sum(starts_version) over (partition by {{ key_list }} order by snapshot_date rows between unbounded preceding and current row) as version_number
  from version_starts
),
version_rows as (
  select numbered.*,
    min(snapshot_date) over (partition by {{ key_list }}, version_number) as starts_on,
    row_number() over (partition by {{ key_list }}, version_number order by snapshot_date desc) as recency
  from numbered
),
latest_rows as (
  select version_rows.*,
    lead(starts_on) over (partition by {{ key_list }} order by version_number) as ends_on
  from version_rows
  where recency = 1
)
select {{ key_list }}, {{ attributes }}, version_number,
  case when version_number = 1 and has_history = 0 then cast('{{ first_valid_from }}' as timestamp) else cast(starts_on as timestamp) end as "valid_from",
  cast(ends_on as timestamp) as "valid_to",
  starts_on as "loaded_on"
from latest_rows
{%- endmacro %}

{#- The first date a run replays (see the materialization): in the serving plan the bound parameter
    :replay_from, which serving-load computes the same way; in a real dbt run a literal read from
    <model>__runs (or loaded_on, for a history older than that table). Called from the model's SQL. -#}
{% macro snapshot_replay_from() -%}
  {%- if var('run_date', none) is none -%}
    cast(:replay_from as date)
  {%- else -%}
    {%- set run_day = var('run_date') | string -%}
    {%- set replay_from = run_day -%}
    {%- if execute -%}
      {%- set history = adapter.get_relation(database=this.database, schema=this.schema, identifier=this.identifier) -%}
      {%- set runs = adapter.get_relation(database=this.database, schema=this.schema, identifier=this.identifier ~ '__runs') -%}
      {%- if history is not none and history.is_table -%}
        {%- set applied = ('select run_date as applied_on from ' ~ runs) if runs is not none else ('select "loaded_on" as applied_on from ' ~ history) -%}
        {%- set previous = run_query("select cast(max(applied_on) as varchar(10)) from (" ~ applied ~ ") as applied where applied_on < cast('" ~ run_day ~ "' as date)").columns[0].values()[0] -%}
        {%- if previous is not none -%}{%- set replay_from = previous | string -%}{%- endif -%}
      {%- endif -%}
    {%- endif -%}
    cast('{{ replay_from }}' as date)
  {%- endif -%}
{%- endmacro %}

{#- The table of the run dates applied to a snapshot_type2 model: `<model>__runs(run_date)`. -#}
{% macro snapshot_runs_relation(snapshot_relation) -%}
  {{ return(snapshot_relation.incorporate(path={'identifier': snapshot_relation.identifier ~ '__runs'}, type='table')) }}
{%- endmacro %}

{#- md5 of a table's columns as text joined by '|', null-safe (the surrogate_key expression). -#}
{% macro deftunes_columns_hash(columns, table, text_type) -%}
  md5({%- for column in columns -%}coalesce(cast({{ table }}.{{ adapter.quote(column) }} as {{ text_type }}), '_null_'){{ " || '|' || " if not loop.last }}{%- endfor -%})
{%- endmacro %}

{% macro deftunes_key_match(keys, left, right) -%}
  {%- for key in keys -%}{{ left }}.{{ adapter.quote(key) }} = {{ right }}.{{ adapter.quote(key) }}{{ ' and ' if not loop.last }}{%- endfor -%}
{%- endmacro %}

{% macro deftunes_quoted_list(columns) -%}
  {%- for column in columns -%}{{ adapter.quote(column) }}{{ ', ' if not loop.last }}{%- endfor -%}
{%- endmacro %}
