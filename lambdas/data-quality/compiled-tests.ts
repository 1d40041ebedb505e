/**
 * Runs one compiled dbt test through the Warehouse interface, the way `dbt test` does: its SQL returns the
 * failing rows; `fail_calc` over them (default `count(*)`) is compared with `warn_if` / `error_if`.
 * A test whose query fails is a failed rule naming the test and the engine's message, never a pass.
 * Given the measure serving-load took of the same test inside its transaction, the test is not run again:
 * that measure is judged. Only a test that warned or failed reads its sample of failing rows.
 */
import type { GuardMeasure } from '../shared/guard-measures';
import type { PlanTest } from '../shared/serving-plan';
import type { Row, SqlParameters, Warehouse } from '../shared/warehouse';
import { isTransientWarehouseError } from '../shared/warehouse-errors';
import type { RuleResult } from './result-document';
import { describeThresholds, judge } from './thresholds';

/** How many failing rows a result keeps as a sample. */
export const SAMPLE_SIZE = 5;

/** Columns that identify a row: kept in samples, the other columns dropped. */
const KEY_COLUMN =
  /(^|_)(id|key|index)$|^ingest_on$|^valid_from$|^valid_to$|^unique_field$|^value_field$|^from_field$/;

const MAX_SAMPLE_TEXT = 200;

/** The measure compared with the thresholds: the test's own `fail_calc` (from its macro's config), as dbt does. */
export function failCalcOf(test: PlanTest): string {
  return test.fail_calc ?? 'count(*)';
}

/** The tested relation, e.g. `deftunes_transform.sessions` (the plan resolves it from the test's model argument). */
export function testedTable(test: PlanTest): string {
  return `${test.tested.schema}.${test.tested.table}`;
}

export async function runCompiledTest(
  warehouse: Warehouse,
  test: PlanTest,
  runDate: string,
  loadMeasure?: GuardMeasure,
): Promise<RuleResult> {
  const started = Date.now();
  const failCalc = failCalcOf(test);
  const base = {
    rule: test.name,
    kind: 'dbt_test' as const,
    table: testedTable(test),
    ...(test.tested.column ? { column: test.tested.column } : {}),
    severity: test.severity,
    threshold: describeThresholds(
      { severity: test.severity, warnIf: test.warn_if, errorIf: test.error_if },
      failCalc,
    ),
  };
  try {
    const parameters = bindParameters(test, runDate);
    const body = stripTrailingSemicolons(test.sql);
    const { failingRows, observed } =
      loadMeasure !== undefined
        ? { failingRows: loadMeasure.failing_rows, observed: loadMeasure.failures }
        : await measure(warehouse, failCalc, body, parameters);
    // dbt compares a null fail_calc with the thresholds in SQL: null never meets one, so the test passes.
    const status =
      observed === null
        ? 'passed'
        : judge({ severity: test.severity, warnIf: test.warn_if, errorIf: test.error_if }, observed);
    // A passed test returns rows too when its measure is a share (one row holding the percent): no sample.
    const sample =
      status !== 'passed' && failingRows > 0
        ? await warehouse.query(
            `select * from (\n${body}\n) dbt_internal_test limit ${SAMPLE_SIZE}`,
            parameters,
          )
        : [];
    return {
      ...base,
      status,
      failing_rows: failingRows,
      observed,
      sample_failing_keys: sample.map((row) => sampleKeys(row, test.tested.column)),
      ...(loadMeasure !== undefined ? { measured_by: 'serving-load' as const } : {}),
      elapsed_ms: Date.now() - started,
    };
  } catch (error: unknown) {
    // A busy or paused warehouse says nothing about the data: fail the invocation so the state machine
    // retries the whole check, instead of failing the gate on a rule that never ran.
    if (isTransientWarehouseError(error)) throw error;
    return {
      ...base,
      status: 'failed',
      failing_rows: 0,
      observed: null,
      sample_failing_keys: [],
      error: `test ${test.name} on ${base.table} could not run: ${error instanceof Error ? error.message : String(error)}`,
      elapsed_ms: Date.now() - started,
    };
  }
}

/** The test's measure (`fail_calc`) and failing rows, as dbt computes them. */
async function measure(
  warehouse: Warehouse,
  failCalc: string,
  body: string,
  parameters: SqlParameters | undefined,
): Promise<{ failingRows: number; observed: number | null }> {
  const [summary] = await warehouse.query(
    `select ${failCalc} as failures, count(*) as failing_rows from (\n${body}\n) dbt_internal_test`,
    parameters,
  );
  if (!summary) throw new Error('the failure count query returned no row');
  return { failingRows: toNumber(summary.failing_rows) ?? 0, observed: toNumber(summary.failures) };
}

function bindParameters(test: PlanTest, runDate: string): SqlParameters | undefined {
  if (test.parameters.length === 0) return undefined;
  const unknown = test.parameters.filter((name) => name !== 'run_date');
  if (unknown.length > 0)
    throw new Error(`the test uses parameters the gate cannot bind: ${unknown.join(', ')}`);
  return { run_date: runDate };
}

function stripTrailingSemicolons(sql: string): string {
  return sql.replace(/[\s;]+$/, '');
}

/** A failing row reduced to its identifying columns (all columns when it has none), JSON-safe. */
export function sampleKeys(row: Row, testedColumn: string | null): Record<string, unknown> {
  const names = Object.keys(row);
  const keys = names.filter((name) => KEY_COLUMN.test(name) || name === testedColumn);
  const kept = keys.length > 0 ? keys : names;
  return Object.fromEntries(kept.map((name) => [name, jsonSafe(row[name])]));
}

function jsonSafe(value: unknown): unknown {
  if (value === null || value === undefined) return null;
  if (typeof value === 'bigint')
    return Number.isSafeInteger(Number(value)) ? Number(value) : value.toString();
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'number' || typeof value === 'boolean') return value;
  const text = typeof value === 'string' ? value : String(value);
  return text.length > MAX_SAMPLE_TEXT ? `${text.slice(0, MAX_SAMPLE_TEXT)}…` : text;
}

/** Numbers as engines return them: number, bigint, numeric string or decimal object; null stays null. */
export function toNumber(value: unknown): number | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'number') return value;
  if (typeof value === 'bigint') return Number(value);
  const parsed = Number(String(value));
  if (Number.isNaN(parsed)) throw new Error(`expected a number, got ${String(value)}`);
  return parsed;
}
