/**
 * What the warehouse holds before a run: the relations of the plan's models, the snapshot models' runs
 * tables and where each snapshot's replay starts. {@link inspect} reads it once, before the run's
 * transaction; every materialization's statements depend on it.
 */
import type { PlanModel, ServingPlan } from '../shared/serving-plan';
import type { Statement, Warehouse } from '../shared/warehouse';
import { quote, relationOf } from './sql';

/** The relations the plan's models find before the run. */
export interface Existing {
  /** Each model's relation, by model name, when one exists. */
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

/** The first snapshot date a run of a snapshot model replays (see materializations/snapshot-type2.ts). */
export function replayFromOf(model: PlanModel, existing: Existing, runDate: string): string {
  return existing.previousRuns.get(model.name) ?? runDate;
}

/** Drops the model's relation, whatever its kind, when one exists. */
export function dropExisting(model: PlanModel, existing: Existing): Statement[] {
  const kind = existing.tables.get(model.name);
  if (kind === undefined) return [];
  return [{ sql: `drop ${kind} ${model.relation}`, label: `model ${model.name}: drop the previous ${kind}` }];
}

/** Reads what the warehouse holds for the plan's models before the run of `runDate`. */
export async function inspect(warehouse: Warehouse, plan: ServingPlan, runDate: string): Promise<Existing> {
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
