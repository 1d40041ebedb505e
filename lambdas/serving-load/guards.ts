/**
 * Before COMMIT, the plan's error-severity serving tests run inside the run's transaction as guards: a test
 * whose measure meets its `error_if` makes a statement fail (a cast of a text naming the test to integer),
 * so the whole run rolls back and the error names the test. Each guard also returns its test's measure
 * (test_name, failures, failing_rows): the load hands them to the CheckServingQuality gate, which reports
 * those tests from them instead of running them again. Warn-severity tests are left to the gate.
 */
import type { GuardMeasure } from '../shared/guard-measures';
import { ZONES } from '../shared/platform-names';
import type { PlanTest, ServingPlan } from '../shared/serving-plan';
import type { Row, Statement } from '../shared/warehouse';
import { dialectOf, sqlText } from './sql';

/**
 * Guards are packed into statements of at most this many bytes (the Data API takes 100 KB per statement;
 * the margin covers the inlined run date).
 */
export const GUARD_STATEMENT_BYTES = 64 * 1024;

/** A dbt threshold (`!=0`, `> 5`) as a SQL condition on `value`. */
export function thresholdCondition(threshold: string, value: string): string {
  const match = /^\s*(==|=|!=|<>|>=|<=|>|<)\s*(-?\d+(?:\.\d+)?)\s*$/.exec(threshold);
  if (!match) throw new Error(`invalid dbt threshold "${threshold}"`);
  const operator = match[1] === '==' ? '=' : match[1] === '!=' ? '<>' : match[1];
  return `${value} ${operator} ${match[2]}`;
}

/**
 * One test as a guard SELECT, one row: the test's name, its measure (`fail_calc`, as double precision so
 * every guard of a UNION ALL has the same types) and its failing rows, as the gate measures them. When the
 * measure meets the test's error_if, the cast of `serving test failed: <name> ...` to integer fails the
 * statement (DuckDB and Postgres quote the text in their errors; the statement's label also lists the tests
 * it checks, for an engine that quotes less). The text concatenates the measure: Postgres folds a constant
 * `cast('text' as integer)` at planning time, which would fail every run.
 */
export function guardSelect(test: PlanTest, dialect: { readonly textType: string }): string {
  const failCalc = test.fail_calc ?? 'count(*)';
  const message = `serving test failed: ${test.name} (${failCalc} = `;
  return (
    `select cast(${sqlText(test.name)} as ${dialect.textType}) as test_name,` +
    ` cast(measured.failures as double precision) as failures, measured.failing_rows,` +
    ` case when ${thresholdCondition(test.error_if, 'measured.failures')} then cast(` +
    `${sqlText(message)} || cast(measured.failures as ${dialect.textType}) || ${sqlText(`, error_if ${test.error_if.trim()})`)}` +
    ` as integer) end as guard\n` +
    `from (select ${failCalc} as failures, count(*) as failing_rows from (\n${test.sql.replace(/[\s;]+$/, '')}\n) as dbt_internal_test) as measured`
  );
}

/**
 * The measures the guard statements returned (their rows, in order), as the gate takes them. A row that
 * does not read as one is left out: the gate then measures that test itself.
 */
export function guardMeasuresOf(rows: readonly Row[]): GuardMeasure[] {
  return rows.flatMap((row) => {
    const failures = row.failures === null || row.failures === undefined ? null : Number(row.failures);
    const failingRows = Number(row.failing_rows);
    if (
      typeof row.test_name !== 'string' ||
      Number.isNaN(failures) ||
      !Number.isInteger(failingRows) ||
      failingRows < 0
    )
      return [];
    return [{ test: row.test_name, failures, failing_rows: failingRows }];
  });
}

/** The tests serving-load checks inside its transaction: error severity, serving stage. */
export function guardedTests(plan: ServingPlan): PlanTest[] {
  return plan.tests.filter((test) => test.stage === ZONES.serving && test.severity === 'error');
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
