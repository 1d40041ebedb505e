/**
 * The redshift serving plan and the data-quality tests, executed by the production code
 * (`runServingLoad`, `runCompiledTest`) through `RedshiftDataWarehouse` on the Data API fake (real
 * Postgres; Redshift-only SQL translated only as redshift-dialect.ts lists), against the DuckDB executor
 * on the duckdb plan over the same fixture data: same rows in every model, same test outcomes, date after
 * date, out of order and on re-runs; and a failing guard rolls the whole batch back.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { buildServingPlan, planPath } from '../../bin/build-serving-plan';
import { runCompiledTest } from '../../lambdas/data-quality/compiled-tests';
import { DuckDbWarehouse } from '../../lib/local/adapters/duckdb-warehouse';
import type { RedshiftDataWarehouse } from '../../lambdas/shared/redshift-data-warehouse';
import { loadServingPlan, type ServingPlan } from '../../lambdas/shared/serving-plan';
import type { Row, Warehouse } from '../../lambdas/shared/warehouse';
import { runServingLoad, runsTableOf } from '../../lambdas/serving-load/load';
import {
  DAY_1,
  DAY_2,
  DAY_3,
  DAY_4,
  DAYS,
  type Fixture,
  filesOfDays,
  strayBuyerSessionsDay2,
  transformRowsOf,
  writeFixture,
} from '../serving/fixtures';
import { pointSpectrum } from '../fixtures/warehouse';
import { FakeRedshiftData } from './fake/data-api-fake';
import { replaceTransformTables } from './fake/spectrum-tables';

/**
 * A date loaded for the first time after a later one (DAY_2 after DAY_3), re-runs of the latest and of an
 * older date, a date of a later year, then an older re-run. The transform zone holds the days run so far.
 */
const RUN_DATES = [DAY_1, DAY_3, DAY_2, DAY_2, DAY_1, DAY_4, DAY_3];

let fixture: Fixture;
let scratch: string;
let duckdbPlan: ServingPlan;
let redshiftPlan: ServingPlan;
let fake: FakeRedshiftData;
let redshift: RedshiftDataWarehouse;

beforeAll(async () => {
  // Plans up to date with the dbt project (a no-op when `npm run build` already made them).
  buildServingPlan('duckdb');
  buildServingPlan('redshift');
  duckdbPlan = loadServingPlan(planPath('duckdb'));
  redshiftPlan = loadServingPlan(planPath('redshift'));
  fixture = await writeFixture('deftunes-redshift-fake-');
  scratch = mkdtempSync(path.join(tmpdir(), 'deftunes-redshift-fake-duckdb-'));
  // A small page size: every result of more than 7 rows is read over several GetStatementResult calls.
  fake = await FakeRedshiftData.start({ pageSize: 7 });
  redshift = fake.warehouse();
}, 300_000);

afterAll(async () => {
  await fake?.close();
  for (const dir of [fixture?.dir, scratch]) if (dir) rmSync(dir, { recursive: true, force: true });
});

/** The relations both engines must agree on: every model and the snapshot watermark tables. */
function relationsOf(plan: ServingPlan): string[] {
  return [
    ...plan.models.map((model) => model.name),
    ...plan.models.filter((model) => model.materialization === 'snapshot_type2').map(runsTableOf),
  ];
}

/**
 * A value in a form both engines' rows share: numbers (from bigint, decimal text or float, to 12
 * significant digits: float sums may differ in the last bits), timestamps as ISO text without a zero
 * fraction, booleans and other text as they are.
 */
function comparable(value: unknown): unknown {
  if (value === null || value === undefined) return null;
  if (typeof value === 'boolean') return value;
  if (typeof value === 'number' || typeof value === 'bigint') return Number(Number(value).toPrecision(12));
  const text = String(value);
  if (/^-?\d+(?:\.\d+)?$/.test(text)) return Number(Number(text).toPrecision(12));
  const timestamp = /^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}:\d{2})(?:\.0+)?$/.exec(text);
  return timestamp ? `${timestamp[1]}T${timestamp[2]}` : text;
}

interface TableContent {
  readonly columns: string[];
  readonly rows: string[];
}

async function contentOf(warehouse: Warehouse, relation: string): Promise<TableContent> {
  const rows: Row[] = await warehouse.query(`select * from "deftunes_serving"."${relation}"`);
  const columns = rows.length > 0 ? Object.keys(rows[0]) : [];
  return {
    columns,
    rows: rows.map((row) => JSON.stringify(columns.map((column) => comparable(row[column])))).sort(),
  };
}

async function contentsOf(
  warehouse: Warehouse,
  relations: readonly string[],
): Promise<Record<string, TableContent>> {
  const contents: Record<string, TableContent> = {};
  for (const relation of relations) contents[relation] = await contentOf(warehouse, relation);
  return contents;
}

/** Each test's outcome as the data-quality gate reports it (status, measure, failing rows, could it run). */
async function testOutcomes(
  warehouse: Warehouse,
  plan: ServingPlan,
  runDate: string,
): Promise<Record<string, unknown>> {
  const outcomes: Record<string, unknown> = {};
  for (const test of plan.tests) {
    const result = await runCompiledTest(warehouse, test, runDate);
    outcomes[test.name] = {
      stage: test.stage,
      status: result.status,
      observed: result.observed === null ? null : comparable(result.observed),
      failing_rows: result.failing_rows,
      error: result.error ?? null,
    };
  }
  return outcomes;
}

async function onDuckDb<T>(use: (warehouse: DuckDbWarehouse) => Promise<T>): Promise<T> {
  const warehouse = await DuckDbWarehouse.open(path.join(scratch, 'deftunes.duckdb'));
  try {
    return await use(warehouse);
  } finally {
    await warehouse.close();
  }
}

test('the redshift plan on the Data API fake builds the same tables and test outcomes as the duckdb plan on DuckDB', async () => {
  expect(redshiftPlan.target).toBe('redshift');
  expect(redshiftPlan.tests.map((test) => test.name).sort()).toEqual(
    duckdbPlan.tests.map((test) => test.name).sort(),
  );
  const relations = relationsOf(redshiftPlan);
  expect(relations).toEqual(relationsOf(duckdbPlan));
  const statusesSeen = new Set<unknown>();

  for (const [step, runDate] of RUN_DATES.entries()) {
    const extracted = RUN_DATES.slice(0, step + 1);
    await pointSpectrum(path.join(scratch, 'deftunes.duckdb'), filesOfDays(fixture, extracted));
    await replaceTransformTables(fake, transformRowsOf([...new Set(extracted)]));

    const [viaDuckDb, viaFake] = [
      await onDuckDb((warehouse) => runServingLoad({ run_date: runDate }, { warehouse, plan: duckdbPlan })),
      await runServingLoad({ run_date: runDate }, { warehouse: redshift, plan: redshiftPlan }),
    ];
    expect({ step, runDate, models: viaFake.models }).toEqual({ step, runDate, models: viaDuckDb.models });
    // The guards' measures, read from the batch's sub-statement result on the Data API, are DuckDB's.
    const byTest = (measures: typeof viaFake.guard_measures) =>
      [...measures].sort((a, b) => a.test.localeCompare(b.test));
    expect(viaFake.guard_measures.length).toBeGreaterThan(30);
    expect({ step, runDate, measures: byTest(viaFake.guard_measures) }).toEqual({
      step,
      runDate,
      measures: byTest(viaDuckDb.guard_measures),
    });
    expect({ step, runDate, tables: await contentsOf(redshift, relations) }).toEqual({
      step,
      runDate,
      tables: await onDuckDb((warehouse) => contentsOf(warehouse, relations)),
    });

    const outcomes = await testOutcomes(redshift, redshiftPlan, runDate);
    expect({ step, runDate, outcomes }).toEqual({
      step,
      runDate,
      outcomes: await onDuckDb((warehouse) => testOutcomes(warehouse, duckdbPlan, runDate)),
    });
    for (const outcome of Object.values(outcomes) as { status: string; error: string | null }[]) {
      expect(outcome.error).toBeNull();
      statusesSeen.add(outcome.status);
    }
  }

  // Not vacuous: the tables hold the fixture's story, and tests passed, warned and failed.
  const [counts] = await redshift.query(
    'select (select count(*) from deftunes_serving.fact_session_items) as items, (select count(*) from deftunes_serving.dim_users) as user_versions',
  );
  expect(counts).toEqual({ items: 11, user_versions: 6 });
  expect(statusesSeen).toEqual(new Set(['passed', 'warned', 'failed']));
}, 300_000);

test('a failing guard rolls the whole batch back on the fake and names the test', async () => {
  const relations = relationsOf(redshiftPlan);
  await replaceTransformTables(fake, transformRowsOf(DAYS));
  await runServingLoad({ run_date: DAY_2 }, { warehouse: redshift, plan: redshiftPlan });
  const before = await contentsOf(redshift, relations);
  expect(before.fact_session_items.rows).toHaveLength(11);
  const servingRelations = (): Promise<Row[]> =>
    redshift.query(
      "select table_name, table_type from information_schema.tables where table_schema = 'deftunes_serving' order by 1",
    );
  const relationsBefore = await servingRelations();

  // One DAY_2 purchase by a buyer missing from the users snapshot: 1 of 4 items without a user key (DAY_2's
  // afternoon session belongs to DAY_3, which extracted it again).
  await replaceTransformTables(fake, {
    ...transformRowsOf(DAYS),
    sessions: [
      ...transformRowsOf([DAY_1]).sessions,
      ...strayBuyerSessionsDay2(),
      ...transformRowsOf([DAY_3, DAY_4]).sessions,
    ],
  });
  // The inferred share's error threshold (dbt var inferred_users_error_percent) set to 20 %: 25 % fails.
  const strict = {
    ...redshiftPlan,
    tests: redshiftPlan.tests.map((test) =>
      test.name === 'fact_session_items_inferred_user_share' ? { ...test, error_if: '> 20' } : test,
    ),
  };
  await expect(runServingLoad({ run_date: DAY_2 }, { warehouse: redshift, plan: strict })).rejects.toThrow(
    /Redshift statement "serving tests \(guard 1 of 1\): [^"]*fact_session_items_inferred_user_share[^"]*" failed: ERROR: invalid input syntax for type integer: "serving test failed: fact_session_items_inferred_user_share \(coalesce\(max\(inferred_percent\), 0\) = 25\.0*, error_if > 20\)" \(the whole transaction was rolled back\)/,
  );
  expect(await contentsOf(redshift, relations)).toEqual(before);
  // Nothing staged survives either (no `__new` table, no view dropped with a swapped table).
  expect(await servingRelations()).toEqual(relationsBefore);
}, 120_000);
