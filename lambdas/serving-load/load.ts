/**
 * Executes the serving plan for one run date: every model of the plan, in dependency order, in ONE
 * transaction on the warehouse (DuckDB and Redshift both have transactional DDL; on Redshift the
 * transaction is one BatchExecuteStatement). Either the whole run takes effect, or the serving layer stays
 * exactly as it was.
 *
 * Materializations (same semantics as the dbt materializations in dbt_modeling/macros, which the parity
 * test checks):
 * - view: dropped and created again (Redshift: late-binding, so swapping tables never needs CASCADE; the
 *   views are all dropped in one statement).
 * - table: the old table is dropped and the new one created from the model's query. Inside the run's one
 *   transaction that is as atomic as building aside and renaming, and takes two statements instead of
 *   four: the Data API runs at most 40 statements in one BatchExecuteStatement. Redshift drops every
 *   table model in one statement (as the views), before the first one is created.
 * - incremental: the model's rows go to a temp table; rows of the run date or of a date among the new
 *   rows, and rows sharing a unique key with the new ones, are deleted; the new rows are inserted (a new
 *   table is created from the model's rows, with nothing to delete). A model
 *   that selects the run date's rows only (`run_date_only`) takes two statements and no temp table: the run
 *   date's rows are deleted, the model's rows of the run date inserted.
 * - snapshot_type2: any date can be loaded in any order, and the history ends as if the dates had been
 *   loaded in order. `<model>__runs(run_date)` holds the dates applied; the run records its date there
 *   first. The model gives each entity's state on every snapshot date from `:replay_from` onwards: the
 *   newest applied date before the run date (the run date when there is none). The history is cut back
 *   to what it was before `:replay_from` (versions loaded on or after it deleted, versions closed on or
 *   after it reopened) and the applied dates among the model's rows are replayed in date order, set-based:
 *   a row whose tracked columns differ from the entity's previous row (or from its current version, for
 *   its first row) starts a version (valid_from = its date, first_valid_from for an entity's first
 *   version); the current version takes the latest values of the rows that continue it (other attributes
 *   are type 1) and is closed where a new version starts. Replaying from the previous applied date, not
 *   from the run date, restores the attributes that a later date corrected in place. A run in date order
 *   reads two snapshot partitions; an old date reads the partitions from it to the newest: the cost follows
 *   how far back the date is, never the whole history. The fact model re-selects the applied dates after
 *   the run date too (their sessions may now fall in other user versions), which a run in order does not
 *   pay either.
 *
 * Before COMMIT, the plan's error-severity serving tests run inside the same transaction as guards: a test
 * whose measure meets its `error_if` makes a statement fail (a cast of a text naming the test to integer),
 * so the whole run rolls back and the error names the test. Warn-severity tests are left to the
 * CheckServingQuality gate, which reports every test afterwards.
 */
import { describeIssues } from '../shared/contracts';
import * as z from '../shared/zod';
import type { PlanModel, PlanTarget, PlanTest, ServingPlan } from '../shared/serving-plan';
import type { SqlParameters, Statement, Warehouse } from '../shared/warehouse';

export const ServingLoadEventSchema = z.object({
  run_date: z.string().check(
    z.regex(/^\d{4}-\d{2}-\d{2}$/, 'run_date must be YYYY-MM-DD'),
    z.refine(
      (value: string) =>
        !Number.isNaN(Date.parse(`${value}T00:00:00Z`)) &&
        new Date(`${value}T00:00:00Z`).toISOString().startsWith(value),
      { message: 'run_date is not a calendar date' },
    ),
  ),
});
export type ServingLoadEvent = z.infer<typeof ServingLoadEventSchema>;

/** The subset of a logger serving-load uses (Powertools' Logger fits; so does a console wrapper). */
export interface LoadLogger {
  info(message: string, ...attributes: Record<string, unknown>[]): void;
  warn(message: string, ...attributes: Record<string, unknown>[]): void;
}

export interface ServingLoadDeps {
  readonly warehouse: Warehouse;
  readonly plan: ServingPlan;
  readonly logger?: LoadLogger;
}

export interface ModelLoadResult {
  readonly name: string;
  readonly materialization: PlanModel['materialization'];
  /** Rows in the relation after the run. */
  readonly rows: number;
  /** Type-2 snapshots: the first snapshot date the run replayed (null for other materializations). */
  readonly replayed_from: string | null;
}

export interface ServingLoadResult {
  readonly run_date: string;
  readonly target: PlanTarget;
  readonly models: ModelLoadResult[];
  readonly statements: number;
  /** Error-severity serving tests checked inside the transaction before it committed. */
  readonly guarded_tests: string[];
}

/**
 * Guards are packed into statements of at most this many bytes (the Data API takes 100 KB per statement;
 * the margin covers the inlined run date).
 */
export const GUARD_STATEMENT_BYTES = 64 * 1024;

const silentLogger: LoadLogger = { info: () => undefined, warn: () => undefined };

function quote(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

function relationOf(schema: string, name: string): string {
  return `${quote(schema)}.${quote(name)}`;
}

/** SQL text dialect details the statements depend on. */
interface Dialect {
  readonly target: PlanTarget;
  /** Type that holds any text without truncation (Redshift's bare varchar is varchar(256)). */
  readonly textType: string;
  /** Suffix of CREATE VIEW (Redshift: late binding, so dropping a table never needs CASCADE). */
  readonly viewSuffix: string;
  /**
   * Whether the run's temp tables must be dropped. Not on Redshift: the Data API runs a batch in its own
   * session, whose temp tables go with it, and a drop would cost one of the batch's 40 statements.
   */
  readonly dropsTempTables: boolean;
}

function dialectOf(target: PlanTarget): Dialect {
  return target === 'redshift'
    ? { target, textType: 'varchar(max)', viewSuffix: '\nwith no schema binding', dropsTempTables: false }
    : { target, textType: 'varchar', viewSuffix: '', dropsTempTables: true };
}

/** md5 of the columns' text joined by '|', null-safe: the same expression as the surrogate_key() macro. */
function surrogateKey(expressions: readonly string[], dialect: Dialect): string {
  return `md5(${expressions.map((expression) => `coalesce(cast(${expression} as ${dialect.textType}), '_null_')`).join(" || '|' || ")})`;
}

export interface Existing {
  readonly tables: Map<string, 'table' | 'view'>;
  /** Snapshot models whose `<model>__runs` table exists. */
  readonly runTables: Set<string>;
  /**
   * The newest date applied to each snapshot model before the run date (`<model>__runs`, or `loaded_on`
   * for a history older than that table): where the run's replay starts. Absent: the run date.
   */
  readonly previousRuns: Map<string, string>;
}

/** The table holding the run dates applied to a snapshot model (its watermark). */
export function runsTableOf(model: Pick<PlanModel, 'name'>): string {
  return `${model.name}__runs`;
}

/** The first snapshot date a run of a snapshot model replays (see the header). */
function replayFromOf(model: PlanModel, existing: Existing, runDate: string): string {
  return existing.previousRuns.get(model.name) ?? runDate;
}

function bound(model: PlanModel, runDate: string, replayFrom?: string): SqlParameters | undefined {
  if (model.parameters.length === 0) return undefined;
  const parameters: Record<string, string> = {};
  for (const name of model.parameters) {
    if (name === 'run_date') parameters[name] = runDate;
    else if (name === 'replay_from' && replayFrom !== undefined) parameters[name] = replayFrom;
    else throw new Error(`model ${model.name}: unknown parameter :${name} in its compiled SQL`);
  }
  return parameters;
}

/**
 * Drop and create rather than CREATE OR REPLACE: Redshift replaces a view only when its columns stay the
 * same, and a model's columns may change between releases. Redshift drops every view model in ONE
 * statement (`drop view if exists a, b, ...`, before the first view is created; a statement per view
 * would take the run past the Data API's 40 statements per batch); DuckDB drops one object per statement.
 */
function viewDrops(plan: ServingPlan, existing: Existing, dialect: Dialect): Statement[] {
  const views = plan.models.filter(
    (model) => model.materialization === 'view' && existing.tables.get(model.name) !== 'table',
  );
  if (dialect.target !== 'redshift' || views.length === 0) return [];
  return [
    {
      sql: `drop view if exists ${views.map((model) => model.relation).join(', ')}`,
      label: `models ${views.map((model) => model.name).join(', ')}: drop the previous views`,
    },
  ];
}

function viewStatements(model: PlanModel, existing: Existing, dialect: Dialect): Statement[] {
  if (model.parameters.length > 0) {
    throw new Error(
      `model ${model.name}: a view cannot hold bound parameters (${model.parameters.join(', ')})`,
    );
  }
  const drop: Statement[] =
    existing.tables.get(model.name) === 'table'
      ? [{ sql: `drop table ${model.relation}`, label: `model ${model.name}: drop the table it replaces` }]
      : dialect.target === 'redshift'
        ? [] // in viewDrops
        : [
            {
              sql: `drop view if exists ${model.relation}`,
              label: `model ${model.name}: drop the previous view`,
            },
          ];
  return [
    ...drop,
    {
      sql: `create view ${model.relation} as\n${model.sql}${dialect.viewSuffix}`,
      label: `model ${model.name}: create view`,
    },
  ];
}

/**
 * Redshift drops every existing table model in ONE statement (`drop table a, b, ...`), before the first
 * one is created (as viewDrops; models are in dependency order, so each is created again before a model
 * reads it); DuckDB drops each table before creating it.
 */
function tableDrops(plan: ServingPlan, existing: Existing, dialect: Dialect): Statement[] {
  const tables = plan.models.filter(
    (model) => model.materialization === 'table' && existing.tables.get(model.name) === 'table',
  );
  if (dialect.target !== 'redshift' || tables.length === 0) return [];
  return [
    {
      sql: `drop table ${tables.map((model) => model.relation).join(', ')}`,
      label: `models ${tables.map((model) => model.name).join(', ')}: drop the previous tables`,
    },
  ];
}

function dropExisting(model: PlanModel, existing: Existing): Statement[] {
  const kind = existing.tables.get(model.name);
  if (kind === undefined) return [];
  return [{ sql: `drop ${kind} ${model.relation}`, label: `model ${model.name}: drop the previous ${kind}` }];
}

function tableStatements(
  model: PlanModel,
  existing: Existing,
  runDate: string,
  dialect: Dialect,
): Statement[] {
  const droppedWithTheOthers = dialect.target === 'redshift' && existing.tables.get(model.name) === 'table';
  return [
    ...(droppedWithTheOthers ? [] : dropExisting(model, existing)),
    {
      sql: `create table ${model.relation} as\n${model.sql}`,
      parameters: bound(model, runDate),
      label: `model ${model.name}: create the table`,
    },
  ];
}

function keyMatch(left: string, right: string, keys: readonly string[]): string {
  return keys.map((key) => `${quote(left)}.${quote(key)} = ${quote(right)}.${quote(key)}`).join(' and ');
}

/**
 * A `run_date_only` model: the run date's rows are deleted and the model's rows of the run date inserted
 * (a row of another date is not kept, as the dbt strategy does); a new table is created from them.
 */
function runDateOnlyStatements(model: PlanModel, existing: Existing, runDate: string): Statement[] {
  const runDateOf = quote(model.incremental!.run_date_column);
  const selected = `select * from (\n${model.sql}\n) as selected where ${runDateOf} = cast(:run_date as date)`;
  const parameters = { ...bound(model, runDate), run_date: runDate };
  if (existing.tables.get(model.name) !== 'table') {
    return [
      ...dropExisting(model, existing),
      {
        sql: `create table ${model.relation} as\n${selected}`,
        parameters,
        label: `model ${model.name}: create the table with the run date's rows`,
      },
    ];
  }
  return [
    {
      sql: `delete from ${model.relation} where ${runDateOf} = cast(:run_date as date)`,
      parameters: { run_date: runDate },
      label: `model ${model.name}: delete the rows of the run date`,
    },
    {
      sql: `insert into ${model.relation}\n${selected}`,
      parameters,
      label: `model ${model.name}: insert the run date's rows`,
    },
  ];
}

function incrementalStatements(
  model: PlanModel,
  existing: Existing,
  runDate: string,
  dialect: Dialect,
): Statement[] {
  if (model.incremental!.run_date_only) return runDateOnlyStatements(model, existing, runDate);
  if (existing.tables.get(model.name) !== 'table') {
    // A new table holds the model's rows: nothing to delete, no batch table (as dbt's first run).
    return [
      ...dropExisting(model, existing),
      {
        sql: `create table ${model.relation} as\n${model.sql}`,
        parameters: bound(model, runDate),
        label: `model ${model.name}: create the table with the selected rows`,
      },
    ];
  }
  const batch = `${model.name}__batch`;
  const runDateOf = quote(model.incremental!.run_date_column);
  const statements: Statement[] = [
    {
      sql: `create temp table ${quote(batch)} as\n${model.sql}`,
      parameters: bound(model, runDate),
      label: `model ${model.name}: select the run date's rows`,
    },
  ];
  statements.push(
    {
      sql: `delete from ${model.relation} where ${runDateOf} = cast(:run_date as date) or ${runDateOf} in (select ${runDateOf} from ${quote(batch)})`,
      parameters: { run_date: runDate },
      label: `model ${model.name}: delete the rows of the run date and of the dates selected`,
    },
    {
      sql: `delete from ${model.relation} using ${quote(batch)} where ${keyMatch(model.name, batch, model.unique_key)}`,
      label: `model ${model.name}: delete rows replaced by unique key`,
    },
    {
      sql: `insert into ${model.relation} select * from ${quote(batch)}`,
      label: `model ${model.name}: insert the run date's rows`,
    },
  );
  if (dialect.dropsTempTables)
    statements.push({ sql: `drop table ${quote(batch)}`, label: `model ${model.name}: drop ${batch}` });
  return statements;
}

/**
 * The replay (see the header): one row per version the staged rows make, numbered per entity in date
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

function snapshotStatements(
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
      sql: `delete from ${runs} where run_date = cast(:run_date as date)`,
      parameters: { run_date: runDate },
      label: `model ${model.name}: record the run date (clear a previous run of it)`,
    },
    {
      sql: `insert into ${runs} (run_date) values (cast(:run_date as date))`,
      parameters: { run_date: runDate },
      label: `model ${model.name}: record the run date`,
    },
    {
      sql: `create temp table ${quote(stage)} as\n${model.sql}`,
      parameters: bound(model, runDate, replayFrom),
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

async function inspect(warehouse: Warehouse, plan: ServingPlan, runDate: string): Promise<Existing> {
  const schemas = [...new Set(plan.models.map((model) => model.schema))];
  const rows = await warehouse.query<{ table_schema: string; table_name: string; table_type: string }>(
    `select table_schema, table_name, table_type from information_schema.tables where table_catalog = current_database() and table_schema in (${schemas.map((schema) => `'${schema}'`).join(', ')})`,
  );
  const tables = new Map<string, 'table' | 'view'>();
  for (const model of plan.models) {
    const row = rows.find(
      (candidate) => candidate.table_schema === model.schema && candidate.table_name === model.name,
    );
    if (row) tables.set(model.name, /view/i.test(row.table_type) ? 'view' : 'table');
  }
  const runTables = new Set<string>();
  const previousRuns = new Map<string, string>();
  for (const model of plan.models) {
    if (model.materialization !== 'snapshot_type2') continue;
    const runs = runsTableOf(model);
    if (rows.some((row) => row.table_schema === model.schema && row.table_name === runs))
      runTables.add(model.name);
    if (tables.get(model.name) !== 'table') continue;
    // A history written before the runs table existed: its applied dates are its loaded_on dates.
    const applied = runTables.has(model.name)
      ? `select run_date as applied_on from ${relationOf(model.schema, runs)}`
      : `select ${quote(model.snapshot!.loaded_on)} as applied_on from ${model.relation}`;
    const [previous] = await warehouse.query<{ previous_run: unknown }>(
      `select cast(max(applied_on) as varchar(10)) as previous_run from (${applied}) as applied where applied_on < cast(:run_date as date)`,
      { run_date: runDate },
    );
    if (previous?.previous_run !== null && previous?.previous_run !== undefined)
      previousRuns.set(model.name, String(previous.previous_run));
  }
  return { tables, runTables, previousRuns };
}

/** A dbt threshold (`!=0`, `> 5`) as a SQL condition on `value`. */
export function thresholdCondition(threshold: string, value: string): string {
  const match = /^\s*(==|=|!=|<>|>=|<=|>|<)\s*(-?\d+(?:\.\d+)?)\s*$/.exec(threshold);
  if (!match) throw new Error(`invalid dbt threshold "${threshold}"`);
  const operator = match[1] === '==' ? '=' : match[1] === '!=' ? '<>' : match[1];
  return `${value} ${operator} ${match[2]}`;
}

function sqlText(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

/**
 * One test as a guard SELECT: no row fails unless the test's measure meets its error_if, and then the cast
 * of `serving test failed: <name> ...` to integer fails the statement (DuckDB and Postgres quote the text
 * in their errors; the statement's label also lists the tests it checks, for an engine that quotes less).
 * The text concatenates the measure: Postgres folds a constant `cast('text' as integer)` at planning time,
 * which would fail every run.
 */
export function guardSelect(test: PlanTest, dialect: { readonly textType: string }): string {
  const failCalc = test.fail_calc ?? 'count(*)';
  const message = `serving test failed: ${test.name} (${failCalc} = `;
  return (
    `select case when ${thresholdCondition(test.error_if, 'measured.failures')} then cast(` +
    `${sqlText(message)} || cast(measured.failures as ${dialect.textType}) || ${sqlText(`, error_if ${test.error_if.trim()})`)}` +
    ` as integer) end as guard\n` +
    `from (select ${failCalc} as failures from (\n${test.sql.replace(/[\s;]+$/, '')}\n) as dbt_internal_test) as measured`
  );
}

/** The tests serving-load checks inside its transaction: error severity, serving stage. */
export function guardedTests(plan: ServingPlan): PlanTest[] {
  return plan.tests.filter((test) => test.stage === 'serving' && test.severity === 'error');
}

/**
 * The guards of the run's serving tests, packed (UNION ALL) into as few statements as fit
 * GUARD_STATEMENT_BYTES each, so the run stays within the Data API's 40 statements per batch.
 */
export function guardStatements(
  plan: ServingPlan,
  runDate: string,
  maxBytes = GUARD_STATEMENT_BYTES,
): Statement[] {
  const dialect = dialectOf(plan.target);
  const groups: { tests: PlanTest[]; selects: string[]; bytes: number }[] = [];
  for (const test of guardedTests(plan)) {
    for (const name of test.parameters) {
      if (name !== 'run_date')
        throw new Error(`serving test ${test.name}: unknown parameter :${name} in its compiled SQL`);
    }
    const select = guardSelect(test, dialect);
    const bytes = Buffer.byteLength(select) + '\nunion all\n'.length;
    if (bytes > maxBytes)
      throw new Error(
        `serving test ${test.name}: its guard is ${bytes} bytes, over ${maxBytes} per statement`,
      );
    const last = groups.at(-1);
    if (last && last.bytes + bytes <= maxBytes) {
      last.tests.push(test);
      last.selects.push(select);
      last.bytes += bytes;
    } else {
      groups.push({ tests: [test], selects: [select], bytes });
    }
  }
  return groups.map((group, index) => ({
    sql: group.selects.join('\nunion all\n'),
    parameters: group.tests.some((test) => test.parameters.length > 0) ? { run_date: runDate } : undefined,
    label: `serving tests (guard ${index + 1} of ${groups.length}): ${group.tests.map((test) => test.name).join(', ')}`,
  }));
}

/** The statements of one run, in order. */
export function planStatements(plan: ServingPlan, runDate: string, existing: Existing): Statement[] {
  const dialect = dialectOf(plan.target);
  const statements: Statement[] = [...new Set(plan.models.map((model) => model.schema))].map((schema) => ({
    sql: `create schema if not exists ${quote(schema)}`,
    label: `schema ${schema}`,
  }));
  let viewsDropped = false;
  let tablesDropped = false;
  for (const model of plan.models) {
    switch (model.materialization) {
      case 'view':
        if (!viewsDropped) statements.push(...viewDrops(plan, existing, dialect));
        viewsDropped = true;
        statements.push(...viewStatements(model, existing, dialect));
        break;
      case 'table':
        if (!tablesDropped) statements.push(...tableDrops(plan, existing, dialect));
        tablesDropped = true;
        statements.push(...tableStatements(model, existing, runDate, dialect));
        break;
      case 'incremental':
        statements.push(...incrementalStatements(model, existing, runDate, dialect));
        break;
      case 'snapshot_type2':
        statements.push(...snapshotStatements(model, existing, runDate, dialect));
        break;
    }
  }
  statements.push(...guardStatements(plan, runDate));
  return statements;
}

/** Loads the serving layer for `event.run_date` by executing the plan. */
export async function runServingLoad(event: unknown, deps: ServingLoadDeps): Promise<ServingLoadResult> {
  const parsed = ServingLoadEventSchema.safeParse(event);
  if (!parsed.success) {
    throw new Error(`invalid serving-load event: ${describeIssues(parsed.error)}`);
  }
  const runDate = parsed.data.run_date;
  const { warehouse, plan } = deps;
  const logger = deps.logger ?? silentLogger;

  const existing = await inspect(warehouse, plan, runDate);
  const statements = planStatements(plan, runDate, existing);
  const replayedFrom = new Map(
    plan.models
      .filter((model) => model.materialization === 'snapshot_type2')
      .map((model) => [model.name, replayFromOf(model, existing, runDate)]),
  );
  for (const [name, from] of replayedFrom) {
    logger.info(`model ${name}: replaying the applied snapshots from ${from}`, { run_date: runDate });
  }
  const guarded = guardedTests(plan).map((test) => test.name);
  logger.info('serving load: executing the plan in one transaction', {
    run_date: runDate,
    target: plan.target,
    models: plan.models.length,
    guarded_tests: guarded.length,
    statements: statements.length,
  });
  await warehouse.transaction(statements);

  const counts = await warehouse.query<{ model: string; row_count: unknown }>(
    plan.models
      .map((model) => `select '${model.name}' as model, count(*) as row_count from ${model.relation}`)
      .join('\nunion all\n'),
  );
  const rowsByModel = new Map(counts.map((row) => [row.model, Number(row.row_count)]));
  const models = plan.models.map((model) => ({
    name: model.name,
    materialization: model.materialization,
    rows: rowsByModel.get(model.name) ?? 0,
    replayed_from: replayedFrom.get(model.name) ?? null,
  }));
  logger.info('serving load: done', { run_date: runDate, rows: Object.fromEntries(rowsByModel) });
  return {
    run_date: runDate,
    target: plan.target,
    models,
    statements: statements.length,
    guarded_tests: guarded,
  };
}
