/**
 * Executes the serving plan for one run date: every model of the plan, in dependency order, in ONE
 * transaction on the warehouse (DuckDB and Redshift both have transactional DDL; on Redshift the
 * transaction is one BatchExecuteStatement). Either the whole run takes effect, or the serving layer stays
 * exactly as it was.
 *
 * Each materialization has its file in materializations/, with the same semantics as the dbt
 * materialization it mirrors (dbt_modeling/macros/materializations/; view and table are dbt's built-ins),
 * which the parity test checks: view.ts, table.ts, incremental-run-date.ts, snapshot-type2.ts,
 * first-row-per-key.ts. Before COMMIT, the plan's error-severity serving tests run inside the same
 * transaction as guards (guards.ts). This file orders the statements, runs them in one transaction and
 * reports the result.
 */
import { parseEvent } from '../shared/contracts';
import type { GuardMeasure } from '../shared/guard-measures';
import { RunDateEventSchema } from '../shared/run-date';
import type { PlanModel, PlanTarget, ServingPlan } from '../shared/serving-plan';
import type { Statement, Warehouse } from '../shared/warehouse';
import { inspect, replayFromOf, type Existing } from './existing';
import { guardedTests, guardMeasuresOf, guardStatements } from './guards';
import { firstRowStatements } from './materializations/first-row-per-key';
import { incrementalStatements } from './materializations/incremental-run-date';
import { snapshotStatements } from './materializations/snapshot-type2';
import { tableDrops, tableStatements } from './materializations/table';
import { viewDrops, viewStatements } from './materializations/view';
import { dialectOf, quote } from './sql';

export type { Existing } from './existing';
export { runsTableOf } from './existing';
export {
  GUARD_STATEMENT_BYTES,
  guardedTests,
  guardMeasuresOf,
  guardSelect,
  guardStatements,
  thresholdCondition,
} from './guards';

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
  /**
   * Rows in the relation after the run; null for a view (not counted: counting a BI view computes it over
   * every date, a cost that grows with history).
   */
  readonly rows: number | null;
  /** Type-2 snapshots: the first snapshot date the run replayed (null for other materializations). */
  readonly replayed_from: string | null;
}

export interface ServingLoadResult {
  readonly run_date: string;
  readonly target: PlanTarget;
  readonly models: ModelLoadResult[];
  readonly statements: number;
  /**
   * Error-severity serving tests checked inside the transaction before it committed, with their measures
   * (what CheckServingQuality reports for them).
   */
  readonly guard_measures: GuardMeasure[];
}

const silentLogger: LoadLogger = { info: () => undefined, warn: () => undefined };

/** The statements of one run, in order; the guards last. */
export function planStatements(plan: ServingPlan, runDate: string, existing: Existing): Statement[] {
  const { models, guards } = runStatements(plan, runDate, existing);
  return [...models, ...guards];
}

/** One run's statements: the models' in dependency order, and the guards that end the transaction. */
function runStatements(
  plan: ServingPlan,
  runDate: string,
  existing: Existing,
): { models: Statement[]; guards: Statement[] } {
  return { models: modelStatements(plan, runDate, existing), guards: guardStatements(plan, runDate) };
}

function modelStatements(plan: ServingPlan, runDate: string, existing: Existing): Statement[] {
  const dialect = dialectOf(plan.target);
  // A schema holding one of the plan's relations exists: no statement for it (one of the Data API's 40
  // per batch saved on every run after the first).
  const existingSchemas = new Set(
    plan.models.filter((model) => existing.tables.has(model.name)).map((model) => model.schema),
  );
  const statements: Statement[] = [...new Set(plan.models.map((model) => model.schema))]
    .filter((schema) => !existingSchemas.has(schema))
    .map((schema) => ({
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
      case 'first_row_per_key':
        statements.push(...firstRowStatements(model, existing, runDate));
        break;
    }
  }
  return statements;
}

/** Loads the serving layer for `event.run_date` by executing the plan. */
export async function runServingLoad(event: unknown, deps: ServingLoadDeps): Promise<ServingLoadResult> {
  const runDate = parseEvent(RunDateEventSchema, event, 'serving-load').run_date;
  const { warehouse, plan } = deps;
  const logger = deps.logger ?? silentLogger;

  const existing = await inspect(warehouse, plan, runDate);
  const run = runStatements(plan, runDate, existing);
  const statements = [...run.models, ...run.guards];
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
  const returned = await warehouse.transaction(statements);
  const measures = guardMeasuresOf(returned.slice(run.models.length).flat());
  const unmeasured = guarded.filter((name) => !measures.some((measure) => measure.test === name));
  // The run has committed: a missing measure only means the gate runs that test itself.
  if (unmeasured.length > 0)
    logger.warn('serving load: guards returned no measure for some tests', { tests: unmeasured });

  const rowsByModel = await countTables(warehouse, plan);
  const models = plan.models.map((model) => ({
    name: model.name,
    materialization: model.materialization,
    rows: model.materialization === 'view' ? null : (rowsByModel.get(model.name) ?? 0),
    replayed_from: replayedFrom.get(model.name) ?? null,
  }));
  logger.info('serving load: done', { run_date: runDate, rows: Object.fromEntries(rowsByModel) });
  return {
    run_date: runDate,
    target: plan.target,
    models,
    statements: statements.length,
    guard_measures: measures,
  };
}

/** Row counts of the plan's tables after the run, in one query (views are not counted). */
async function countTables(warehouse: Warehouse, plan: ServingPlan): Promise<Map<string, number>> {
  const tables = plan.models.filter((model) => model.materialization !== 'view');
  if (tables.length === 0) return new Map();
  const counts = await warehouse.query<{ model: string; row_count: unknown }>(
    tables
      .map((model) => `select '${model.name}' as model, count(*) as row_count from ${model.relation}`)
      .join('\nunion all\n'),
  );
  return new Map(counts.map((row) => [row.model, Number(row.row_count)]));
}
