/**
 * The compiled serving plans (both targets) and the redshift plan executed through a mocked Data API.
 */
import {
  BatchExecuteStatementCommand,
  DescribeStatementCommand,
  ExecuteStatementCommand,
  GetStatementResultCommand,
  RedshiftDataClient,
} from '@aws-sdk/client-redshift-data';
import { mockClient } from 'aws-sdk-client-mock';
import type { Warehouse } from '../../lambdas/shared/warehouse';
import { finishedBatch } from '../fixtures/data-api';
import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { buildServingPlan, DBT_PROJECT_DIR, planPath, sourceHash } from '../../bin/build-serving-plan';
import {
  MAX_BATCH_STATEMENTS,
  MAX_STATEMENT_BYTES,
  RedshiftDataWarehouse,
} from '../../lambdas/shared/redshift-data-warehouse';
import {
  loadServingPlan,
  namedParameters,
  parseServingPlan,
  ServingPlan,
  testOutcome,
} from '../../lambdas/shared/serving-plan';
import {
  guardedTests,
  guardMeasuresOf,
  guardStatements,
  planStatements,
  runServingLoad,
  thresholdCondition,
} from '../../lambdas/serving-load/load';

const plans: Partial<Record<'duckdb' | 'redshift', ServingPlan>> = {};

beforeAll(() => {
  for (const target of ['duckdb', 'redshift'] as const) {
    buildServingPlan(target);
    plans[target] = loadServingPlan(planPath(target));
  }
}, 300_000);

describe.each(['duckdb', 'redshift'] as const)('the %s plan', (target) => {
  test('is up to date with the dbt project and lists every model in dependency order', () => {
    const plan = plans[target]!;
    expect(plan.target).toBe(target);
    expect(plan.source_hash).toBe(sourceHash(target));
    expect(buildServingPlan(target)).toBe('up to date');
    const names = plan.models.map((model) => model.name);
    plan.models.forEach((model, index) => {
      for (const dependency of model.depends_on) expect(names.indexOf(dependency)).toBeLessThan(index);
    });
    expect(Object.fromEntries(plan.models.map((model) => [model.name, model.materialization]))).toEqual({
      dim_artists: 'table',
      dim_date: 'table',
      dim_songs: 'table',
      dim_users: 'snapshot_type2',
      int_first_sales: 'first_row_per_key',
      fact_session_items: 'incremental',
      fact_concerts: 'table',
      hourly_kpis_vw: 'view',
      sales_per_artist_vw: 'view',
      sales_per_country_vw: 'view',
      unmatched_concert_artists_vw: 'view',
      artist_top_song_vw: 'view',
      concert_locations_vw: 'view',
      artist_sales_vs_concerts_vw: 'view',
      fact_listens: 'incremental',
      kpi_genre_daily: 'incremental',
      kpi_hourly: 'incremental',
      listening_hourly_vw: 'view',
      genre_daily_vw: 'view',
    });
    expect(plan.models.find((model) => model.name === 'fact_session_items')).toMatchObject({
      unique_key: ['session_id', 'item_index'],
      incremental: { run_date_column: 'ingest_on' },
      parameters: ['run_date'],
    });
    expect(plan.models.find((model) => model.name === 'fact_listens')).toMatchObject({
      unique_key: ['event_id'],
      incremental: { run_date_column: 'listen_date' },
      parameters: ['run_date'],
    });
    // The KPI tables select their run date's rows only: two statements each on Redshift.
    for (const [name, key] of [
      ['kpi_genre_daily', ['listen_date', 'genre']],
      ['kpi_hourly', ['listen_date', 'listen_hour']],
    ] as const) {
      expect(plan.models.find((model) => model.name === name)).toMatchObject({
        unique_key: key,
        incremental: { run_date_column: 'listen_date', run_date_only: true },
        parameters: ['run_date'],
      });
    }
    expect(plan.models.find((model) => model.name === 'dim_users')?.snapshot).toMatchObject({
      check_cols: ['place_name', 'country_code', 'timezone'],
      surrogate_key: 'user_key',
    });
  });

  test('a source test that reads two sources is attached to the source it tests, with its own fail_calc', () => {
    const coverage = plans[target]!.tests.find((test) => test.name === 'sessions_song_id_in_songs_track_id');
    expect(coverage).toMatchObject({
      stage: 'transform',
      tested: { kind: 'source', schema: 'deftunes_transform', table: 'sessions', column: 'song_id' },
      fail_calc: 'coalesce(max(missing_percent), 0)',
    });
  });

  test('compiled SQL names relations by schema only; only the fact and the type-2 history depend on the run date', () => {
    for (const model of plans[target]!.models) {
      expect(model.sql).not.toMatch(/"[^"]+"\."[^"]+"\."[^"]+"/);
      expect(model.sql).not.toMatch(/is_incremental|\{\{|\{%/);
    }
    // The date and catalog dimensions are built from everything loaded, never narrowed by an old run date.
    expect(
      Object.fromEntries(plans[target]!.models.map((model) => [model.name, model.parameters])),
    ).toMatchObject({
      dim_date: [],
      dim_songs: [],
      dim_artists: [],
      dim_users: ['replay_from'],
      fact_session_items: ['run_date'],
      // The sessions partitions from the run date on (every one when the table is new).
      int_first_sales: ['reads_from'],
    });
    const fact = plans[target]!.models.find((model) => model.name === 'fact_session_items')!;
    expect(fact.sql).toContain('"deftunes_transform"."sessions"');
    expect(fact.sql).toMatch(target === 'redshift' ? /as varchar\(max\)/ : /as varchar\)/);
  });

  test('tests on sources run in the transform stage, tests on models in the serving stage', () => {
    for (const test of plans[target]!.tests) {
      expect(test.stage).toBe(test.tested.kind === 'source' ? 'transform' : 'serving');
      expect(test.tested.schema).toBe(
        test.tested.kind === 'source' ? 'deftunes_transform' : 'deftunes_serving',
      );
    }
  });
});

test('the redshift run fits one BatchExecuteStatement on a fresh and on a loaded warehouse', () => {
  const plan = plans.redshift!;
  const fresh = planStatements(plan, '2024-03-01', {
    tables: new Map(),
    runTables: new Set(),
    previousRuns: new Map(),
  });
  const loaded = planStatements(plan, '2024-03-02', {
    tables: new Map(
      plan.models.map((model) => [model.name, model.materialization === 'view' ? 'view' : 'table']),
    ),
    runTables: new Set(['dim_users']),
    previousRuns: new Map([['dim_users', '2024-03-01']]),
  });
  // The schema is created on a fresh warehouse only: a loaded one holds the plan's relations in it.
  expect(fresh.filter((statement) => statement.sql.startsWith('create schema'))).toHaveLength(1);
  expect(loaded.filter((statement) => statement.sql.startsWith('create schema'))).toEqual([]);
  for (const statements of [fresh, loaded]) {
    expect(statements.length).toBeLessThanOrEqual(MAX_BATCH_STATEMENTS);
    for (const statement of statements)
      expect(Buffer.byteLength(statement.sql)).toBeLessThan(MAX_STATEMENT_BYTES);
  }
  // How it fits: every table model dropped in one statement, no temp table dropped (the batch's session
  // ends with it), a run-date-only model deletes its run date's rows and inserts the new ones.
  const sqls = loaded.map((statement) => statement.sql);
  const tables = plan.models.filter((model) => model.materialization === 'table');
  expect(sqls.filter((sql) => sql.startsWith('drop table'))).toEqual([
    `drop table ${tables.map((model) => model.relation).join(', ')}`,
  ]);
  expect(sqls.filter((sql) => sql.startsWith('create temp table'))).toHaveLength(4);
  expect(sqls.filter((sql) => /^drop table "\w+__(batch|snapshot|versions)"$/.test(sql))).toEqual([]);
  expect(loaded.filter((statement) => statement.label?.startsWith('model kpi_hourly:'))).toEqual([
    expect.objectContaining({
      sql: expect.stringMatching(
        /^delete from "deftunes_serving"."kpi_hourly" where "listen_date" = cast\(:run_date as date\)$/,
      ),
    }),
    expect.objectContaining({
      sql: expect.stringMatching(/^insert into "deftunes_serving"."kpi_hourly"\nselect \* from \(/),
    }),
  ]);
});

test('the redshift plan runs through the Data API: inspection, one batch with the run date inlined, guard measures, row counts', async () => {
  const redshift = mockClient(RedshiftDataClient);
  const plan = plans.redshift!;
  const guarded = guardedTests(plan);
  redshift.on(ExecuteStatementCommand).callsFake((input: { Sql: string }) => ({
    Id: input.Sql.includes('information_schema') ? 'inspect' : 'counts',
  }));
  let batchSize = 0;
  redshift.on(BatchExecuteStatementCommand).callsFake((input: { Sqls: string[] }) => {
    batchSize = input.Sqls.length;
    return { Id: 'load' };
  });
  // The batch's last sub-statement is the one guard statement (the plan's guards fit one): it has a result.
  redshift
    .on(DescribeStatementCommand)
    .callsFake((input: { Id: string }) =>
      input.Id === 'load'
        ? finishedBatch('load', batchSize, (index) => index === batchSize - 1)
        : { Id: input.Id, Status: 'FINISHED', HasResultSet: true },
    );
  redshift.on(GetStatementResultCommand).callsFake((input: { Id: string }) => {
    if (input.Id !== `load:${batchSize}`) throw new Error(`no result set for ${input.Id}`);
    return {
      ColumnMetadata: ['test_name', 'failures', 'failing_rows', 'guard'].map((name) => ({ name })),
      Records: guarded.map((test, index) => [
        { stringValue: test.name },
        { doubleValue: index % 2 },
        { longValue: index % 2 },
        { isNull: true },
      ]),
    };
  });
  redshift.on(GetStatementResultCommand, { Id: 'inspect' }).resolves({
    ColumnMetadata: [{ name: 'table_schema' }, { name: 'table_name' }, { name: 'table_type' }],
    Records: [],
  });
  redshift.on(GetStatementResultCommand, { Id: 'counts' }).resolves({
    ColumnMetadata: [{ name: 'model' }, { name: 'row_count' }],
    Records: plan.models.map((model, index) => [{ stringValue: model.name }, { longValue: index + 1 }]),
  });
  const warehouse = new RedshiftDataWarehouse({
    client: new RedshiftDataClient({ region: 'eu-west-1' }),
    workgroupName: 'deftunes-dev',
    database: 'deftunes',
    sleep: async () => undefined,
  });

  const result = await runServingLoad({ run_date: '2024-03-01' }, { warehouse, plan });

  // Tables are counted after the load; views are not (a count would compute them over every date).
  expect(result.models.map((model) => [model.name, model.rows])).toEqual(
    plan.models.map((model, index) => [model.name, model.materialization === 'view' ? null : index + 1]),
  );
  const counted = redshift
    .commandCalls(ExecuteStatementCommand)
    .map((call) => call.args[0].input.Sql!)
    .find((sql) => sql.includes('count(*) as row_count'));
  for (const view of plan.models.filter((model) => model.materialization === 'view'))
    expect(counted).not.toContain(view.relation);
  expect(counted).toContain('"deftunes_serving"."fact_session_items"');
  const batches = redshift.commandCalls(BatchExecuteStatementCommand);
  expect(batches).toHaveLength(1);
  const sqls = batches[0].args[0].input.Sqls!;
  expect(sqls.length).toBe(result.statements);
  expect(sqls.join('\n')).not.toMatch(/(?<![:\w]):run_date/);
  expect(sqls.join('\n')).toContain("cast('2024-03-01' as date)");
  expect(
    sqls
      .filter((sql) => sql.startsWith('create view'))
      .every((sql) => sql.endsWith('with no schema binding')),
  ).toBe(true);
  // A table model is created in place (the batch's transaction makes drop-and-create atomic).
  expect(
    sqls.filter((sql) => sql.startsWith('create table "deftunes_serving"."dim_songs" as\n')),
  ).toHaveLength(1);
  // Every view model is dropped by one statement, before the first view is created again.
  const views = plan.models.filter((model) => model.materialization === 'view');
  const viewDrops = sqls.filter((sql) => sql.startsWith('drop view'));
  expect(viewDrops).toEqual([`drop view if exists ${views.map((model) => model.relation).join(', ')}`]);
  expect(sqls.indexOf(viewDrops[0])).toBeLessThan(sqls.findIndex((sql) => sql.startsWith('create view')));
  // The serving tests' guards close the batch, after every model, so a failing one rolls the run back; their
  // rows (read as the sub-statement's result) are the measures the load returns for the serving gate.
  expect(guarded.length).toBeGreaterThan(30);
  expect(result.guard_measures).toEqual(
    guarded.map((test, index) => ({ test: test.name, failures: index % 2, failing_rows: index % 2 })),
  );
  const guardSqls = sqls.filter((sql) => sql.includes("cast('serving test failed: "));
  expect(guardSqls.length).toBeGreaterThanOrEqual(1);
  expect(sqls.slice(-guardSqls.length)).toEqual(guardSqls);
  for (const test of guarded) expect(guardSqls.join('\n')).toContain(`serving test failed: ${test.name} (`);
  expect(guardSqls.join('\n')).toContain(
    "where ingest_on = cast('2024-03-01' as date)", // the fact's user_key share test, run date inlined
  );
  expect(guardSqls.join('\n')).toContain('as varchar(max))');
  expect(sqls.length).toBeLessThanOrEqual(MAX_BATCH_STATEMENTS);
  redshift.restore();
});

test('guards cover the error-severity serving tests only, packed into statements within the size limit', () => {
  const plan = plans.redshift!;
  const warned = plan.tests.find((test) => test.stage === 'serving' && test.severity === 'error')!;
  const withWarn: ServingPlan = {
    ...plan,
    tests: plan.tests.map((test) => (test === warned ? { ...test, severity: 'warn' as const } : test)),
  };
  const guarded = guardedTests(withWarn);
  expect(guarded.every((test) => test.stage === 'serving' && test.severity === 'error')).toBe(true);
  expect(guarded.map((test) => test.name)).not.toContain(warned.name);
  expect(guarded).toHaveLength(
    plan.tests.filter((test) => test.stage === 'serving' && test.severity === 'error').length - 1,
  );

  const packed = guardStatements(withWarn, '2024-03-01', 4_000);
  expect(packed.length).toBeGreaterThan(1);
  const named = packed.flatMap((statement, index) => {
    expect(Buffer.byteLength(statement.sql)).toBeLessThanOrEqual(4_000);
    expect(statement.label).toMatch(
      new RegExp(`^serving tests \\(guard ${index + 1} of ${packed.length}\\): `),
    );
    return statement.label!.replace(/^[^:]*: /, '').split(', ');
  });
  expect(named).toEqual(guarded.map((test) => test.name));
  expect(guardStatements(withWarn, '2024-03-01')).toHaveLength(1);
  expect(() => guardStatements(withWarn, '2024-03-01', 200)).toThrow(/its guard is \d+ bytes, over 200/);
});

test('a committed run whose guards returned no rows reports no measures and says which tests the gate must run', async () => {
  const plan = plans.duckdb!;
  // A warehouse where nothing exists yet and no statement returns rows (as an engine that keeps no results).
  const silent: Warehouse = {
    query: async () => [],
    transaction: async (statements) => statements.map(() => []),
    close: async () => undefined,
  };
  const warnings: Record<string, unknown>[] = [];
  const result = await runServingLoad(
    { run_date: '2024-03-01' },
    {
      warehouse: silent,
      plan,
      logger: { info: () => undefined, warn: (_message, ...attributes) => warnings.push(...attributes) },
    },
  );
  expect(result.guard_measures).toEqual([]);
  expect(warnings).toEqual([{ tests: guardedTests(plan).map((test) => test.name) }]);
});

test("guard rows become the gate's measures; a row that does not read as one is left to the gate", () => {
  expect(
    guardMeasuresOf([
      { test_name: 'unique_dim_users_user_key', failures: 0, failing_rows: 0, guard: null },
      // Redshift's Data API returns decimals as strings.
      { test_name: 'fact_session_items_inferred_user_share', failures: '7.5', failing_rows: 3, guard: null },
      { test_name: 'a_sum_over_no_rows', failures: null, failing_rows: 0, guard: null },
      { test_name: 'negative_rows', failures: 0, failing_rows: -1, guard: null },
      { test_name: 'not_a_number', failures: 'n/a', failing_rows: 0, guard: null },
      { failures: 0, failing_rows: 0, guard: null },
    ]),
  ).toEqual([
    { test: 'unique_dim_users_user_key', failures: 0, failing_rows: 0 },
    { test: 'fact_session_items_inferred_user_share', failures: 7.5, failing_rows: 3 },
    { test: 'a_sum_over_no_rows', failures: null, failing_rows: 0 },
  ]);
});

test('dbt thresholds become SQL conditions', () => {
  expect(thresholdCondition('!=0', 'n')).toBe('n <> 0');
  expect(thresholdCondition(' > 10 ', 'n')).toBe('n > 10');
  expect(thresholdCondition('==2', 'n')).toBe('n = 2');
  expect(thresholdCondition('>=1.5', 'n')).toBe('n >= 1.5');
  expect(() => thresholdCondition('> 1; drop table x', 'n')).toThrow(/invalid dbt threshold/);
});

test('no model uses is_incremental() (the plan is compiled without a database)', () => {
  const models = path.join(DBT_PROJECT_DIR, 'models');
  const sources = readdirSync(models, { recursive: true, encoding: 'utf8' }).filter((file) =>
    file.endsWith('.sql'),
  );
  expect(sources.length).toBeGreaterThanOrEqual(8);
  for (const file of sources)
    expect(readFileSync(path.join(models, file), 'utf8')).not.toContain('is_incremental');
});

test('named parameters skip casts, literals, quoted identifiers and comments', () => {
  expect(namedParameters('select :a, x::date, \':b\', "c:d" /* :e */ -- :f\n, :g, :a')).toEqual(['a', 'g']);
});

test("thresholds follow dbt's rules", () => {
  expect(testOutcome({ severity: 'error', warn_if: '!=0', error_if: '!=0' }, 0)).toBe('pass');
  expect(testOutcome({ severity: 'error', warn_if: '!=0', error_if: '!=0' }, 3)).toBe('error');
  expect(testOutcome({ severity: 'error', warn_if: '>0', error_if: '>10' }, 3)).toBe('warn');
  expect(testOutcome({ severity: 'warn', warn_if: '!=0', error_if: '!=0' }, 3)).toBe('warn');
});

test('an invalid plan is rejected with the path of what is wrong', () => {
  expect(() =>
    parseServingPlan(
      { ...plans.duckdb!, models: [{ ...plans.duckdb!.models[0], materialization: 'ephemeral' }] },
      'p.json',
    ),
  ).toThrow(/p.json is not a valid serving plan: models.0.materialization/);
});
