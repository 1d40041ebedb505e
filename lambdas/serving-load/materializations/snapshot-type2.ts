/**
 * Materialization `snapshot_type2` (dbt_modeling/macros/materializations/snapshot_type2.sql): any date can
 * be loaded in any order, and the history ends as if the dates had been loaded in order.
 * `<model>__runs(run_date)` holds the dates applied; the run records its date there first. The model gives
 * each entity's state on every snapshot date from `:replay_from` onwards: the newest applied date before
 * the run date (the run date when there is none). The history is cut back to what it was before
 * `:replay_from` (versions loaded on or after it deleted, versions closed on or after it reopened) and the
 * applied dates among the model's rows are replayed in date order, set-based: a row whose tracked columns
 * differ from the entity's previous row (or from its current version, for its first row) starts a version
 * (valid_from = its date, first_valid_from for an entity's first version); the current version takes the
 * latest values of the rows that continue it (other attributes are type 1) and is closed where a new
 * version starts. Replaying from the previous applied date, not from the run date, restores the attributes
 * that a later date corrected in place. A run in date order reads two snapshot partitions; an old date
 * reads the partitions from it to the newest: the cost follows how far back the date is, never the whole
 * history. The fact model re-selects the applied dates after the run date too (their sessions may now fall
 * in other user versions), which a run in order does not pay either.
 */
import type { PlanModel } from '../../shared/serving-plan';
import type { Statement } from '../../shared/warehouse';
import { dropExisting, replayFromOf, runsTableOf, type Existing } from '../existing';
import { bound, keyMatch, quote, relationOf, surrogateKey, type Dialect } from '../sql';

/**
 * The replay (see above): one row per version the staged rows make, numbered per entity in date
 * order; version_number 0 continues the entity's current version (its latest values; valid_to = where the
 * next version starts, null if none), 1 and up are new versions. Inferred members (`inferred_flag`): an
 * inferred row is kept only for an entity with no version left after the cut and no real row on or
 * before its date, so it can only open the entity's first version; a row following an inferred state
 * (the previous staged row, else the current version) continues that version and completes it in place.
 * The same SELECT as the dbt macro snapshot_type2_versions_sql.
 */
function versionsSql(model: PlanModel, stage: string, runs: string, dialect: Dialect): string {
  const snapshot = model.snapshot!;
  const keys = model.unique_key.map(quote).join(', ');
  const attributes = [...snapshot.check_cols, ...snapshot.update_cols].map(quote).join(', ');
  const match = (left: string, right: string): string =>
    model.unique_key.map((key) => `${left}.${quote(key)} = ${right}.${quote(key)}`).join(' and ');
  const trackedHash = (table: string): string =>
    surrogateKey(
      snapshot.check_cols.map((column) => `${table}.${quote(column)}`),
      dialect,
    );
  const inferred = (table: string): string =>
    snapshot.inferred_flag ? `${table}.${quote(snapshot.inferred_flag)}` : 'false';
  const snapshotDate = quote(snapshot.snapshot_date);
  const firstKey = quote(model.unique_key[0]);
  return [
    `with staged_rows as (`,
    `  select ${keys}, ${attributes}, ${snapshotDate} as snapshot_date, ${inferred(quote(stage))} as inferred_row`,
    `  from ${quote(stage)}`,
    `  where ${snapshotDate} in (select run_date from ${runs})`,
    `),`,
    `known_entities as (`,
    `  select distinct ${keys} from ${model.relation}`,
    `),`,
    `first_real_rows as (`,
    `  select ${keys}, min(snapshot_date) as first_real_on from staged_rows where not staged_rows.inferred_row group by ${keys}`,
    `),`,
    `staged_states as (`,
    `  select staged_rows.*,`,
    `    ${trackedHash('staged_rows')} as tracked_hash,`,
    `    lag(${trackedHash('staged_rows')}) over (partition by ${model.unique_key.map((key) => `staged_rows.${quote(key)}`).join(', ')} order by staged_rows.snapshot_date) as previous_hash,`,
    `    lag(staged_rows.inferred_row) over (partition by ${model.unique_key.map((key) => `staged_rows.${quote(key)}`).join(', ')} order by staged_rows.snapshot_date) as previous_inferred`,
    `  from staged_rows`,
    `  left join known_entities on ${match('staged_rows', 'known_entities')}`,
    `  left join first_real_rows on ${match('staged_rows', 'first_real_rows')}`,
    `  where case when staged_rows.inferred_row and (known_entities.${firstKey} is not null or first_real_rows.first_real_on <= staged_rows.snapshot_date) then 0 else 1 end = 1`,
    `),`,
    `current_versions as (`,
    `  select ${keys}, ${trackedHash('history')} as tracked_hash, ${inferred('history')} as inferred_version`,
    `  from ${model.relation} as history`,
    `  where history.${quote(snapshot.is_current)}`,
    `),`,
    `version_starts as (`,
    `  select staged_states.*,`,
    `    case when coalesce(staged_states.previous_inferred, current_versions.inferred_version) then 0`,
    `      when coalesce(staged_states.previous_hash, current_versions.tracked_hash) = staged_states.tracked_hash then 0 else 1 end as starts_version,`,
    `    case when known_entities.${firstKey} is null then 0 else 1 end as has_history`,
    `  from staged_states`,
    `  left join current_versions on ${match('staged_states', 'current_versions')}`,
    `  left join known_entities on ${match('staged_states', 'known_entities')}`,
    `),`,
    `numbered as (`,
    `  select version_starts.*,`,
    `    sum(starts_version) over (partition by ${keys} order by snapshot_date rows between unbounded preceding and current row) as version_number`,
    `  from version_starts`,
    `),`,
    `version_rows as (`,
    `  select numbered.*,`,
    `    min(snapshot_date) over (partition by ${keys}, version_number) as starts_on,`,
    `    row_number() over (partition by ${keys}, version_number order by snapshot_date desc) as recency`,
    `  from numbered`,
    `),`,
    `latest_rows as (`,
    `  select version_rows.*,`,
    `    lead(starts_on) over (partition by ${keys} order by version_number) as ends_on`,
    `  from version_rows`,
    `  where recency = 1`,
    `)`,
    `select ${keys}, ${attributes}, version_number,`,
    `  case when version_number = 1 and has_history = 0 then cast('${snapshot.first_valid_from}' as timestamp) else cast(starts_on as timestamp) end as ${quote(snapshot.valid_from)},`,
    `  cast(ends_on as timestamp) as ${quote(snapshot.valid_to)},`,
    `  starts_on as ${quote(snapshot.loaded_on)}`,
    `from latest_rows`,
  ].join('\n');
}

export function snapshotStatements(
  model: PlanModel,
  existing: Existing,
  runDate: string,
  dialect: Dialect,
): Statement[] {
  const snapshot = model.snapshot!;
  const stage = `${model.name}__snapshot`;
  const versions = `${model.name}__versions`;
  const runs = relationOf(model.schema, runsTableOf(model));
  const target = quote(model.name);
  const hasHistory = existing.tables.get(model.name) === 'table';
  const replayFrom = replayFromOf(model, existing, runDate);
  const columns = [...model.unique_key, ...snapshot.check_cols, ...snapshot.update_cols].map(quote);
  const attributes = [...snapshot.check_cols, ...snapshot.update_cols];
  const keyMatches = `${keyMatch(model.name, versions, model.unique_key)} and ${target}.${quote(snapshot.is_current)}`;
  const isCurrent = `case when ${quote(versions)}.${quote(snapshot.valid_to)} is null then true else false end`;
  const statements: Statement[] = [];
  if (!existing.runTables.has(model.name)) {
    statements.push({
      sql: `create table if not exists ${runs} (run_date date)`,
      label: `model ${model.name}: create ${runsTableOf(model)}`,
    });
    if (hasHistory) {
      // A history written before the runs table existed: its applied dates are its loaded_on dates.
      statements.push({
        sql: `insert into ${runs} (run_date) select distinct ${quote(snapshot.loaded_on)} from ${model.relation} where ${quote(snapshot.loaded_on)} is not null`,
        label: `model ${model.name}: fill ${runsTableOf(model)} from loaded_on`,
      });
    }
  } else if (!hasHistory) {
    // A history built from scratch starts with no applied date (runs left by a dropped table would replay
    // snapshots the new history never had).
    statements.push({
      sql: `delete from ${runs}`,
      label: `model ${model.name}: clear ${runsTableOf(model)} (new history)`,
    });
  }
  statements.push(
    {
      // Once per date, in one statement (a delete and an insert would take two of the Data API's 40).
      sql: `insert into ${runs} (run_date) select cast(:run_date as date) from (select count(*) as applied from ${runs} where run_date = cast(:run_date as date)) as previous where previous.applied = 0`,
      parameters: { run_date: runDate },
      label: `model ${model.name}: record the run date (once)`,
    },
    {
      sql: `create temp table ${quote(stage)} as\n${model.sql}`,
      parameters: bound(model, runDate, { replay_from: replayFrom }),
      label: `model ${model.name}: select the snapshots from ${replayFrom}`,
    },
  );
  if (existing.tables.get(model.name) === 'view') statements.push(...dropExisting(model, existing));
  if (!hasHistory) {
    statements.push({
      sql:
        `create table ${model.relation} as select cast(null as ${dialect.textType === 'varchar' ? 'varchar' : 'varchar(32)'}) as ${quote(snapshot.surrogate_key)}, ` +
        `${columns.map((column) => `${quote(stage)}.${column}`).join(', ')}, ` +
        `cast(null as timestamp) as ${quote(snapshot.valid_from)}, cast(null as timestamp) as ${quote(snapshot.valid_to)}, ` +
        `cast(null as boolean) as ${quote(snapshot.is_current)}, cast(null as date) as ${quote(snapshot.loaded_on)} ` +
        `from ${quote(stage)} where 1 = 0`,
      label: `model ${model.name}: create the table`,
    });
  }
  statements.push(
    {
      sql: `delete from ${model.relation} where ${quote(snapshot.loaded_on)} >= cast(:replay_from as date)`,
      parameters: { replay_from: replayFrom },
      label: `model ${model.name}: cut the history back to ${replayFrom} (versions loaded since)`,
    },
    {
      sql:
        `update ${model.relation} set ${quote(snapshot.valid_to)} = null, ${quote(snapshot.is_current)} = true ` +
        `where ${quote(snapshot.valid_to)} >= cast(cast(:replay_from as date) as timestamp)`,
      parameters: { replay_from: replayFrom },
      label: `model ${model.name}: cut the history back to ${replayFrom} (reopen versions closed since)`,
    },
    {
      sql: `create temp table ${quote(versions)} as\n${versionsSql(model, stage, runs, dialect)}`,
      label: `model ${model.name}: replay the applied snapshots in date order`,
    },
    {
      sql:
        `update ${model.relation} set ${quote(snapshot.valid_to)} = ${quote(versions)}.${quote(snapshot.valid_to)}, ${quote(snapshot.is_current)} = ${isCurrent}, ` +
        `${attributes.map((column) => `${quote(column)} = ${quote(versions)}.${quote(column)}`).join(', ')} ` +
        `from ${quote(versions)} where ${keyMatches} and ${quote(versions)}.version_number = 0`,
      label: `model ${model.name}: update the current versions the snapshots continue`,
    },
    {
      sql:
        `update ${model.relation} set ${quote(snapshot.valid_to)} = ${quote(versions)}.${quote(snapshot.valid_from)}, ${quote(snapshot.is_current)} = false ` +
        `from ${quote(versions)} where ${keyMatches} and ${quote(versions)}.version_number = 1`,
      label: `model ${model.name}: close the current versions a new version follows`,
    },
    {
      sql:
        `insert into ${model.relation} (${quote(snapshot.surrogate_key)}, ${columns.join(', ')}, ${quote(snapshot.valid_from)}, ${quote(snapshot.valid_to)}, ${quote(snapshot.is_current)}, ${quote(snapshot.loaded_on)})\n` +
        `select ${surrogateKey([...model.unique_key.map((key) => `${quote(versions)}.${quote(key)}`), `${quote(versions)}.${quote(snapshot.valid_from)}`], dialect)}, ` +
        `${columns.map((column) => `${quote(versions)}.${column}`).join(', ')}, ${quote(versions)}.${quote(snapshot.valid_from)}, ` +
        `${quote(versions)}.${quote(snapshot.valid_to)}, ${isCurrent}, ${quote(versions)}.${quote(snapshot.loaded_on)}\n` +
        `from ${quote(versions)} where ${quote(versions)}.version_number >= 1`,
      label: `model ${model.name}: insert new versions`,
    },
  );
  if (dialect.dropsTempTables) {
    statements.push(
      { sql: `drop table ${quote(stage)}`, label: `model ${model.name}: drop ${stage}` },
      { sql: `drop table ${quote(versions)}`, label: `model ${model.name}: drop ${versions}` },
    );
  }
  return statements;
}
