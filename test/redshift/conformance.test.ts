/**
 * Redshift conformance: every SQL text the project would send to Redshift through the Data API is checked
 * the way Redshift would judge it (test/redshift/redshift_conformance.py: sqlglot's redshift dialect, AWS's
 * reserved words, the functions Redshift has, its window-frame rules, the Data API's limits).
 *
 * The texts are captured, not rebuilt: serving-load, the data-quality checks and the warehouse-schemas
 * custom resource run their real code against a Data API mock that records each call, exactly as it
 * would leave for AWS (parameters inlined in batches, `:name` placeholders in single statements).
 */
import {
  BatchExecuteStatementCommand,
  DescribeStatementCommand,
  ExecuteStatementCommand,
  type Field,
  GetStatementResultCommand,
  RedshiftDataClient,
} from '@aws-sdk/client-redshift-data';
import { mockClient } from 'aws-sdk-client-mock';
import { runCompiledTest } from '../../lambdas/data-quality/compiled-tests';
import { runServingLoad } from '../../lambdas/serving-load/load';
import { RedshiftDataWarehouse } from '../../lambdas/shared/redshift-data-warehouse';
import { loadServingPlan, type ServingPlan } from '../../lambdas/shared/serving-plan';
import type { Row } from '../../lambdas/shared/warehouse';
import { buildServingPlan, planPath } from '../../bin/build-serving-plan';
import { ensureWarehouseSchemas } from '../../lib/constructs/warehouse-schemas-handler/ensure-schemas';
import { finishedBatch } from '../fixtures/data-api';
import { checkRedshiftConformance, type DataApiCall } from './conformance-checker';

const RUN_DATE = '2020-02-02';
const redshift = mockClient(RedshiftDataClient);

/**
 * Answers each recorded ExecuteStatement with the rows `respond` gives for its SQL (as Data API fields),
 * finishes every statement at once, and collects the calls in the order they were made.
 */
function recordDataApi(respond: (sql: string) => Row[]): DataApiCall[] {
  const calls: DataApiCall[] = [];
  const results = new Map<string, Row[]>();
  let next = 0;
  redshift.reset();
  redshift.on(ExecuteStatementCommand).callsFake((input: { Sql: string }) => {
    const id = `statement-${++next}`;
    calls.push({ api: 'ExecuteStatement', statements: [{ label: `statement ${next}`, sql: input.Sql }] });
    results.set(id, respond(input.Sql));
    return { Id: id };
  });
  const batchSizes = new Map<string, number>();
  redshift.on(BatchExecuteStatementCommand).callsFake((input: { Sqls: string[] }) => {
    const id = `batch-${++next}`;
    calls.push({
      api: 'BatchExecuteStatement',
      statements: input.Sqls.map((sql, index) => ({ label: `batch ${next} statement ${index + 1}`, sql })),
    });
    batchSizes.set(id, input.Sqls.length);
    return { Id: id };
  });
  // A batch's sub-statements have no result set here (the guards' measures are the fake's business).
  redshift
    .on(DescribeStatementCommand)
    .callsFake((input: { Id: string }) =>
      batchSizes.has(input.Id)
        ? finishedBatch(input.Id, batchSizes.get(input.Id)!)
        : { Id: input.Id, Status: 'FINISHED', HasResultSet: (results.get(input.Id) ?? []).length > 0 },
    );
  redshift.on(GetStatementResultCommand).callsFake((input: { Id: string }) => {
    const rows = results.get(input.Id) ?? [];
    const names = rows.length > 0 ? Object.keys(rows[0]) : [];
    return {
      ColumnMetadata: names.map((name) => ({ name })),
      Records: rows.map((row) => names.map((name) => field(row[name]))),
      TotalNumRows: rows.length,
    };
  });
  return calls;
}

function field(value: unknown): Field {
  if (value === null || value === undefined) return { isNull: true };
  if (typeof value === 'number') return { longValue: value };
  if (typeof value === 'boolean') return { booleanValue: value };
  return { stringValue: String(value) };
}

function warehouse(): RedshiftDataWarehouse {
  return new RedshiftDataWarehouse({
    client: new RedshiftDataClient({ region: 'eu-west-1' }),
    workgroupName: 'deftunes-dev',
    database: 'deftunes',
    sleep: async () => undefined,
  });
}

/** What information_schema lists once a first run has created every relation of the plan. */
function relationsAfterFirstRun(plan: ServingPlan): Row[] {
  return plan.models.flatMap((model) => [
    {
      table_schema: model.schema,
      table_name: model.name,
      table_type: model.materialization === 'view' ? 'VIEW' : 'BASE TABLE',
    },
    ...(model.materialization === 'snapshot_type2'
      ? [{ table_schema: model.schema, table_name: `${model.name}__runs`, table_type: 'BASE TABLE' }]
      : []),
  ]);
}

function servingWarehouseAnswers(plan: ServingPlan, existing: Row[]) {
  return (sql: string): Row[] => {
    if (/information_schema\.tables/.test(sql)) return existing;
    if (/as previous_run from/.test(sql)) return [{ previous_run: '2020-02-01' }];
    if (/as row_count from/.test(sql))
      return plan.models.map((model) => ({ model: model.name, row_count: 3 }));
    return [];
  };
}

let plan: ServingPlan;

beforeAll(() => {
  buildServingPlan('redshift');
  plan = loadServingPlan(planPath('redshift'));
}, 300_000);

afterAll(() => redshift.restore());

/** Fails with every finding, grouped by statement, so the message alone says what to fix. */
function expectConformant(calls: DataApiCall[]): void {
  const report = checkRedshiftConformance(calls);
  expect(report.checked).toBe(calls.reduce((total, call) => total + call.statements.length, 0));
  expect(report.findings.map((finding) => `${finding.label} [${finding.rule}] ${finding.message}`)).toEqual(
    [],
  );
}

describe('what serving-load sends', () => {
  test('a first run (nothing exists yet) conforms to Redshift', async () => {
    const calls = recordDataApi(servingWarehouseAnswers(plan, []));
    await runServingLoad({ run_date: RUN_DATE }, { warehouse: warehouse(), plan });
    expect(calls.some((call) => call.api === 'BatchExecuteStatement')).toBe(true);
    expectConformant(calls);
  });

  test('a steady-state run (every relation exists, a watermark is set) conforms to Redshift', async () => {
    const calls = recordDataApi(servingWarehouseAnswers(plan, relationsAfterFirstRun(plan)));
    await runServingLoad({ run_date: RUN_DATE }, { warehouse: warehouse(), plan });
    const batch = calls.find((call) => call.api === 'BatchExecuteStatement');
    expect(batch?.statements.some((statement) => /__snapshot/.test(statement.sql))).toBe(true);
    // The answers above must still steer the run down the existing-history path: a replay from the
    // previous applied date, with no table created.
    expect(batch?.statements.some((statement) => statement.sql.includes("cast('2020-02-01' as date)"))).toBe(
      true,
    );
    expect(
      batch?.statements.some((statement) =>
        /^create table "deftunes_serving"\."dim_users"/.test(statement.sql),
      ),
    ).toBe(false);
    expectConformant(calls);
  });
});

test('what the data-quality checks send (every test of both stages, with a failing-row sample) conforms to Redshift', async () => {
  // Every test reports a measure above any of its thresholds (counts and percents alike), so every rule
  // warns or fails and its sample query is sent too (a passed rule reads none).
  const calls = recordDataApi((sql) =>
    /as failing_rows from/.test(sql) ? [{ failures: 1000, failing_rows: 1 }] : [{ id: 'x' }],
  );
  for (const test of plan.tests) {
    const result = await runCompiledTest(warehouse(), test, RUN_DATE);
    expect(result.error).toBeUndefined();
  }
  expect(calls.length).toBe(plan.tests.length * 2);
  expectConformant(calls);
});

test.each([
  ['the role does not exist yet', []],
  ['the role exists', [{ role_name: 'deftunes_pipeline' }]],
])('what the warehouse-schemas custom resource sends conforms to Redshift (%s)', async (_case, roles) => {
  const calls = recordDataApi((sql) => (/svv_roles/.test(sql) ? roles : []));
  let clock = 0;
  await ensureWarehouseSchemas(
    {
      workgroupName: 'deftunes-dev',
      database: 'deftunes',
      secretArn: 'arn:aws:secretsmanager:eu-west-1:111111111111:secret:admin-AbCdEf',
      glueDatabase: 'deftunes_transform',
      spectrumRoleArn: 'arn:aws:iam::111111111111:role/deftunes-dev-spectrum',
      externalSchema: 'deftunes_transform',
      servingSchema: 'deftunes_serving',
      pipelineDbRole: 'deftunes_pipeline',
    },
    {
      warehouse: warehouse(),
      sleep: async () => undefined,
      deadline: 60_000,
      now: () => (clock += 1),
      log: () => undefined,
    },
  );
  expect(calls.length).toBeGreaterThanOrEqual(6);
  expectConformant(calls);
});

describe('the checker refuses what Redshift refuses', () => {
  const single = (sql: string): DataApiCall[] => [
    { api: 'ExecuteStatement', statements: [{ label: 'probe', sql }] },
  ];

  test.each([
    // The two texts of the plan as it was before this check existed (dim_users, not_null_share).
    [
      'a CTE named snapshot (dim_users before the fix)',
      'with snapshot as (select user_id from deftunes_transform.users) select user_id from snapshot',
      'reserved-word',
      /"snapshot" is a Redshift reserved word/,
    ],
    [
      'a CTE named nulls (not_null_share before the fix)',
      'with nulls as (select * from t where c is null) select nulls.* from nulls',
      'reserved-word',
      /"nulls" is a Redshift reserved word/,
    ],
    ['a reserved word as a column alias', 'select 1 as open', 'reserved-word', /"open"/],
    ['START as a bare table alias', 'select start.a from t start', 'reserved-word', /needs AS or quotes/],
    ['a DuckDB function', "select strftime(d, '%Y') from t", 'function', /strftime is not/],
    ['a leader-node-only function', 'select generate_series(1, 3)', 'function', /generate_series/],
    [
      'string_agg (Redshift has listagg)',
      "select string_agg(a, ',') from t",
      'function',
      /group_concat \(sqlglot's name\) is not/,
    ],
    [
      'a windowed sum ordered without a frame',
      'select sum(a) over (partition by b order by c) from t',
      'window',
      /needs a frame clause/,
    ],
    [
      'a distinct window aggregate',
      'select count(distinct a) over (partition by b) from t',
      'window',
      /DISTINCT/,
    ],
    [
      'a late-binding view over an unqualified table',
      'create view "s"."v" as with c as (select * from "s"."t") select * from c join u on true with no schema binding',
      'view',
      /relation "u" .* must be schema-qualified/,
    ],
    ['two statements in one text', 'select 1; select 2', 'parse', /2 statements/],
    ['a statement the parser cannot read', 'select from where', 'parse', /parse error/],
    ['a DuckDB statement', 'install httpfs', 'statement', /not a statement kind/],
    ['an opaque command', 'create role r with password x', 'parse', /does not understand/],
    [
      'a statement kind the project does not send',
      "create external table x (a int) location 's3://bucket/x/'",
      'statement',
      /CREATE EXTERNAL TABLE/,
    ],
  ])('%s', (_case, sql, rule, message) => {
    const { findings } = checkRedshiftConformance(single(sql));
    expect(findings.length).toBeGreaterThan(0);
    expect(findings[0].rule).toBe(rule);
    expect(findings[0].message).toMatch(message);
  });

  test('quoted reserved words, framed windows and Redshift functions pass', () => {
    const { findings } = checkRedshiftConformance(
      single(
        'with "snapshot" as (select a, b, c from t) select "snapshot".a as "open", ' +
          'sum(a) over (partition by b order by c rows between unbounded preceding and current row), ' +
          "listagg(a, ',') within group (order by a), dateadd(day, 1, getdate()), nvl(b, 0) " +
          'from "snapshot" as start group by 1, 2, 3',
      ),
    );
    expect(findings).toEqual([]);
  });

  test('the Data API limits: 100 KB per statement, 40 statements per batch', () => {
    const huge = `select ${Array.from({ length: 11_000 }, (_, index) => `${index} as c${index}`).join(', ')}`;
    expect(checkRedshiftConformance(single(huge)).findings.map((finding) => finding.rule)).toContain('limit');
    const batch: DataApiCall = {
      api: 'BatchExecuteStatement',
      statements: Array.from({ length: 41 }, (_, index) => ({ label: `s${index}`, sql: 'select 1' })),
    };
    expect(checkRedshiftConformance([batch]).findings).toEqual([
      expect.objectContaining({ rule: 'limit', message: expect.stringMatching(/41 statements/) }),
    ]);
  });
});
