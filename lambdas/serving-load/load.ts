/**
 * Executes the serving plan for one run date: every model of the plan, in dependency order, in ONE
 * transaction on the warehouse (DuckDB and Redshift both have transactional DDL; on Redshift the
 * transaction is one BatchExecuteStatement). Either the whole run takes effect, or the serving layer stays
 * exactly as it was.
 *
 * Materializations (same semantics as the dbt materializations in dbt_modeling/macros, which the parity
 * test checks):
 * - view: dropped and created again (Redshift: late-binding, so swapping tables never needs CASCADE).
 * - table: built aside as `<name>__new`, then the old table is dropped and the new one renamed.
 * - incremental: the run date's rows go to a temp table; rows of the run date and rows sharing a unique
 *   key with the new ones are deleted; the new rows are inserted.
 * - snapshot_type2: the model gives each entity's state on the run date. A previous run of the same date
 *   is undone first (its versions deleted, the versions it closed reopened); then versions whose tracked
 *   columns changed are closed (valid_to = run date), other attributes are updated in place, new versions
 *   are inserted (valid_from = run date, or first_valid_from for an entity's first version). Re-running the
 *   latest date, even with corrected data, gives the history a first run would; a date older than the
 *   newest run applied is skipped (the history already holds later states). The newest run is read from
 *   `<model>__runs(run_date)`, written in the same transaction: `loaded_on` alone is not enough, since it
 *   only moves when a run inserts a version, and a run that only corrects attributes in place must still
 *   stop an older date from rolling them back.
 *
 * Before COMMIT, the plan's error-severity serving tests run inside the same transaction as guards: a test
 * whose measure meets its `error_if` makes a statement fail (a cast of a text naming the test to integer),
 * so the whole run rolls back and the error names the test. Warn-severity tests are left to the
 * CheckServingQuality gate, which reports every test afterwards.
 */
import { describeIssues } from '../shared/contracts';
import { z } from 'zod';
import type { PlanModel, PlanTarget, PlanTest, ServingPlan } from '../shared/serving-plan';
import type { SqlParameters, Statement, Warehouse } from '../shared/warehouse';

export const ServingLoadEventSchema = z.object({
  run_date: z
    .string()
    .regex(/^\d{4}-\d{2}-\d{2}$/, 'run_date must be YYYY-MM-DD')
    .refine(
      (value) =>
        !Number.isNaN(Date.parse(`${value}T00:00:00Z`)) &&
        new Date(`${value}T00:00:00Z`).toISOString().startsWith(value),
      {
        message: 'run_date is not a calendar date',
      },
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
  /** False when a type-2 snapshot skipped a run date older than its history. */
  readonly applied: boolean;
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
}

function dialectOf(target: PlanTarget): Dialect {
  return target === 'redshift'
    ? { target, textType: 'varchar(max)', viewSuffix: '\nwith no schema binding' }
    : { target, textType: 'varchar', viewSuffix: '' };
}

/** md5 of the columns' text joined by '|', null-safe: the same expression as the surrogate_key() macro. */
function surrogateKey(expressions: readonly string[], dialect: Dialect): string {
  return `md5(${expressions.map((expression) => `coalesce(cast(${expression} as ${dialect.textType}), '_null_')`).join(" || '|' || ")})`;
}

interface ModelStatements {
  readonly statements: Statement[];
  readonly applied: boolean;
}

export interface Existing {
  readonly tables: Map<string, 'table' | 'view'>;
  /** Snapshot models whose `<model>__runs` table exists. */
  readonly runTables: Set<string>;
  /** Newest run date applied to each existing snapshot model (its watermark). */
  readonly snapshotLatest: Map<string, string | null>;
}

/** The table holding the run dates applied to a snapshot model (its watermark). */
export function runsTableOf(model: Pick<PlanModel, 'name'>): string {
  return `${model.name}__runs`;
}

function bound(model: PlanModel, runDate: string): SqlParameters | undefined {
  if (model.parameters.length === 0) return undefined;
  const parameters: Record<string, string> = {};
  for (const name of model.parameters) {
    if (name !== 'run_date')
      throw new Error(`model ${model.name}: unknown parameter :${name} in its compiled SQL`);
    parameters[name] = runDate;
  }
  return parameters;
}

function viewStatements(model: PlanModel, existing: Existing, dialect: Dialect): Statement[] {
  if (model.parameters.length > 0) {
    throw new Error(
      `model ${model.name}: a view cannot hold bound parameters (${model.parameters.join(', ')})`,
    );
  }
  // Drop and create rather than CREATE OR REPLACE: Redshift replaces a view only when its columns stay
  // the same, and a model's columns may change between releases.
  return [
    existing.tables.get(model.name) === 'table'
      ? { sql: `drop table ${model.relation}`, label: `model ${model.name}: drop the table it replaces` }
      : {
          sql: `drop view if exists ${model.relation}`,
          label: `model ${model.name}: drop the previous view`,
        },
    {
      sql: `create view ${model.relation} as\n${model.sql}${dialect.viewSuffix}`,
      label: `model ${model.name}: create view`,
    },
  ];
}

function dropExisting(model: PlanModel, existing: Existing): Statement[] {
  const kind = existing.tables.get(model.name);
  if (kind === undefined) return [];
  return [{ sql: `drop ${kind} ${model.relation}`, label: `model ${model.name}: drop the previous ${kind}` }];
}

function tableStatements(model: PlanModel, existing: Existing, runDate: string): Statement[] {
  const staged = `${model.name}__new`;
  return [
    {
      sql: `drop table if exists ${relationOf(model.schema, staged)}`,
      label: `model ${model.name}: clear ${staged}`,
    },
    {
      sql: `create table ${relationOf(model.schema, staged)} as\n${model.sql}`,
      parameters: bound(model, runDate),
      label: `model ${model.name}: build ${staged}`,
    },
    ...dropExisting(model, existing),
    {
      sql: `alter table ${relationOf(model.schema, staged)} rename to ${quote(model.name)}`,
      label: `model ${model.name}: swap ${staged} in`,
    },
  ];
}

function keyMatch(left: string, right: string, keys: readonly string[]): string {
  return keys.map((key) => `${quote(left)}.${quote(key)} = ${quote(right)}.${quote(key)}`).join(' and ');
}

function incrementalStatements(model: PlanModel, existing: Existing, runDate: string): Statement[] {
  const batch = `${model.name}__batch`;
  const runDateColumn = model.incremental!.run_date_column;
  const statements: Statement[] = [
    {
      sql: `create temp table ${quote(batch)} as\n${model.sql}`,
      parameters: bound(model, runDate),
      label: `model ${model.name}: select the run date's rows`,
    },
  ];
  if (existing.tables.get(model.name) === 'view') statements.push(...dropExisting(model, existing));
  if (existing.tables.get(model.name) !== 'table') {
    statements.push({
      sql: `create table ${model.relation} as select * from ${quote(batch)} where 1 = 0`,
      label: `model ${model.name}: create the table`,
    });
  }
  statements.push(
    {
      sql: `delete from ${model.relation} where ${quote(runDateColumn)} = cast(:run_date as date)`,
      parameters: { run_date: runDate },
      label: `model ${model.name}: delete the run date's rows`,
    },
    {
      sql: `delete from ${model.relation} using ${quote(batch)} where ${keyMatch(model.name, batch, model.unique_key)}`,
      label: `model ${model.name}: delete rows replaced by unique key`,
    },
    {
      sql: `insert into ${model.relation} select * from ${quote(batch)}`,
      label: `model ${model.name}: insert the run date's rows`,
    },
    { sql: `drop table ${quote(batch)}`, label: `model ${model.name}: drop ${batch}` },
  );
  return statements;
}

function snapshotStatements(
  model: PlanModel,
  existing: Existing,
  runDate: string,
  dialect: Dialect,
): ModelStatements {
  const snapshot = model.snapshot!;
  const latest = existing.snapshotLatest.get(model.name);
  if (latest && runDate < latest) return { statements: [], applied: false };

  const stage = `${model.name}__snapshot`;
  const runs = relationOf(model.schema, runsTableOf(model));
  const keys = model.unique_key;
  const target = model.name;
  const trackedHash = (table: string): string =>
    surrogateKey(
      snapshot.check_cols.map((column) => `${quote(table)}.${quote(column)}`),
      dialect,
    );
  const updated = [...snapshot.check_cols, ...snapshot.update_cols];
  const runTimestamp = 'cast(cast(:run_date as date) as timestamp)';
  const parameters = { run_date: runDate };
  const statements: Statement[] = [
    {
      sql: `create temp table ${quote(stage)} as\n${model.sql}`,
      parameters: bound(model, runDate),
      label: `model ${model.name}: select the run date's snapshot`,
    },
  ];
  if (existing.tables.get(model.name) === 'view') statements.push(...dropExisting(model, existing));
  if (existing.tables.get(model.name) !== 'table') {
    statements.push({
      sql:
        `create table ${model.relation} as select cast(null as ${dialect.textType === 'varchar' ? 'varchar' : 'varchar(32)'}) as ${quote(snapshot.surrogate_key)}, ${quote(stage)}.*, ` +
        `cast(null as timestamp) as ${quote(snapshot.valid_from)}, cast(null as timestamp) as ${quote(snapshot.valid_to)}, ` +
        `cast(null as boolean) as ${quote(snapshot.is_current)}, cast(null as date) as ${quote(snapshot.loaded_on)} ` +
        `from ${quote(stage)} where 1 = 0`,
      label: `model ${model.name}: create the table`,
    });
  }
  if (!existing.runTables.has(model.name)) {
    statements.push({
      sql: `create table if not exists ${runs} (run_date date)`,
      label: `model ${model.name}: create ${runsTableOf(model)}`,
    });
  } else if (existing.tables.get(model.name) !== 'table') {
    // A history built from scratch starts without a watermark (runs left by a dropped table would skip dates).
    statements.push({
      sql: `delete from ${runs}`,
      label: `model ${model.name}: clear ${runsTableOf(model)} (new history)`,
    });
  }
  statements.push(
    // Undo a previous run of this date (it is the newest one, see the guard above): its versions go, the
    // versions it closed reopen. Applying the date again then gives the same history as a first run.
    {
      sql: `delete from ${model.relation} where ${quote(snapshot.loaded_on)} = cast(:run_date as date)`,
      parameters,
      label: `model ${model.name}: undo a previous run of the date (its versions)`,
    },
    {
      sql:
        `update ${model.relation} set ${quote(snapshot.valid_to)} = null, ${quote(snapshot.is_current)} = true ` +
        `where ${quote(snapshot.valid_to)} = ${runTimestamp}`,
      parameters,
      label: `model ${model.name}: undo a previous run of the date (reopen what it closed)`,
    },
    {
      sql:
        `update ${model.relation} set ${quote(snapshot.valid_to)} = ${runTimestamp}, ${quote(snapshot.is_current)} = false ` +
        `from ${quote(stage)} where ${keyMatch(target, stage, keys)} and ${quote(target)}.${quote(snapshot.is_current)} ` +
        `and ${trackedHash(target)} <> ${trackedHash(stage)}`,
      parameters,
      label: `model ${model.name}: close changed versions`,
    },
    {
      sql:
        `update ${model.relation} set ${updated.map((column) => `${quote(column)} = ${quote(stage)}.${quote(column)}`).join(', ')} ` +
        `from ${quote(stage)} where ${keyMatch(target, stage, keys)} and ${quote(target)}.${quote(snapshot.is_current)} ` +
        `and ${trackedHash(target)} = ${trackedHash(stage)}`,
      label: `model ${model.name}: update current versions in place`,
    },
    {
      sql:
        `insert into ${model.relation}\n` +
        `select ${surrogateKey([...keys.map((key) => `versions.${quote(key)}`), `versions.${quote(snapshot.valid_from)}`], dialect)}, versions.*, ` +
        `cast(null as timestamp), true, cast(:run_date as date)\nfrom (\n` +
        `  select ${quote(stage)}.*, case when history.has_current is null then cast('${snapshot.first_valid_from}' as timestamp) else ${runTimestamp} end as ${quote(snapshot.valid_from)}\n` +
        `  from ${quote(stage)}\n` +
        `  left join (select ${keys.map(quote).join(', ')}, max(case when ${quote(snapshot.is_current)} then 1 else 0 end) as has_current from ${model.relation} group by ${keys.map(quote).join(', ')}) as history\n` +
        `    on ${keys.map((key) => `history.${quote(key)} = ${quote(stage)}.${quote(key)}`).join(' and ')}\n` +
        `  where history.has_current is null or history.has_current = 0\n` +
        `) as versions`,
      parameters,
      label: `model ${model.name}: insert new versions`,
    },
    { sql: `drop table ${quote(stage)}`, label: `model ${model.name}: drop ${stage}` },
    {
      sql: `delete from ${runs} where run_date = cast(:run_date as date)`,
      parameters,
      label: `model ${model.name}: record the run date (clear a previous run of it)`,
    },
    {
      sql: `insert into ${runs} (run_date) values (cast(:run_date as date))`,
      parameters,
      label: `model ${model.name}: record the run date`,
    },
  );
  return { statements, applied: true };
}

async function inspect(warehouse: Warehouse, plan: ServingPlan): Promise<Existing> {
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
  const snapshotLatest = new Map<string, string | null>();
  for (const model of plan.models) {
    if (model.materialization !== 'snapshot_type2') continue;
    const runs = runsTableOf(model);
    if (rows.some((row) => row.table_schema === model.schema && row.table_name === runs))
      runTables.add(model.name);
    if (tables.get(model.name) !== 'table') continue;
    // loaded_on too: a history written before the runs table existed keeps its watermark.
    const marks = [`select max(${quote(model.snapshot!.loaded_on)}) as mark from ${model.relation}`];
    if (runTables.has(model.name))
      marks.push(`select max(run_date) as mark from ${relationOf(model.schema, runs)}`);
    const [latest] = await warehouse.query<{ latest: unknown }>(
      `select cast(max(mark) as varchar(10)) as latest from (${marks.join(' union all ')}) as marks`,
    );
    snapshotLatest.set(
      model.name,
      latest?.latest === null || latest?.latest === undefined ? null : String(latest.latest),
    );
  }
  return { tables, runTables, snapshotLatest };
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

/** The statements of one run, in order, and which snapshot models apply the date. */
export function planStatements(
  plan: ServingPlan,
  runDate: string,
  existing: Existing,
): { statements: Statement[]; applied: Map<string, boolean> } {
  const dialect = dialectOf(plan.target);
  const applied = new Map<string, boolean>();
  const statements: Statement[] = [...new Set(plan.models.map((model) => model.schema))].map((schema) => ({
    sql: `create schema if not exists ${quote(schema)}`,
    label: `schema ${schema}`,
  }));
  for (const model of plan.models) {
    let modelStatements: ModelStatements;
    switch (model.materialization) {
      case 'view':
        modelStatements = { statements: viewStatements(model, existing, dialect), applied: true };
        break;
      case 'table':
        modelStatements = { statements: tableStatements(model, existing, runDate), applied: true };
        break;
      case 'incremental':
        modelStatements = { statements: incrementalStatements(model, existing, runDate), applied: true };
        break;
      case 'snapshot_type2':
        modelStatements = snapshotStatements(model, existing, runDate, dialect);
        break;
    }
    applied.set(model.name, modelStatements.applied);
    statements.push(...modelStatements.statements);
  }
  statements.push(...guardStatements(plan, runDate));
  return { statements, applied };
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

  const existing = await inspect(warehouse, plan);
  const { statements, applied } = planStatements(plan, runDate, existing);
  for (const [name, done] of applied) {
    if (!done)
      logger.warn(
        `model ${name}: run date ${runDate} is older than its newest applied run (${existing.snapshotLatest.get(name)}); history kept as is`,
      );
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
    applied: applied.get(model.name) ?? true,
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
