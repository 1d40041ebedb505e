/**
 * The AWS handler's wiring: configuration from the environment, the Redshift Data API warehouse (mocked
 * with aws-sdk-client-mock), S3 stores for the landing zone, the job results and the result documents,
 * Powertools metrics on stdout (EMF).
 */
import {
  DescribeStatementCommand,
  ExecuteStatementCommand,
  GetStatementResultCommand,
  RedshiftDataClient,
} from '@aws-sdk/client-redshift-data';
import { GetObjectCommand, NoSuchKey, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { handler } from '../../lambdas/data-quality';
import { ResultDocumentSchema } from '../../lambdas/data-quality/result-document';
import type { PlanTest, ServingPlan } from '../../lambdas/shared/serving-plan';
import { LAMBDA_CONTEXT } from '../lambda-context';

const RUN_DATE = '2020-02-08';

const priceTest: PlanTest = {
  name: 'sessions_price_above_0_at_most_2',
  unique_id: 'test.deftunes.sessions_price_above_0_at_most_2.abc',
  test_type: 'in_range',
  sql: 'select * from (select * from "deftunes_transform"."sessions" where ingest_on = cast(:run_date as date)) dbt_subquery where price > 2',
  parameters: ['run_date'],
  severity: 'error',
  warn_if: '!=0',
  error_if: '!=0',
  stage: 'transform',
  tested: { kind: 'source', schema: 'deftunes_transform', table: 'sessions', column: 'price' },
};

const plan: ServingPlan = {
  format_version: 1,
  target: 'redshift',
  dbt_version: '1.10.15',
  source_hash: 'test',
  models: [],
  tests: [priceTest],
};

const ENV = {
  LANDING_BUCKET: 'deftunes-landing-test',
  RESULTS_BUCKET: 'deftunes-serving-test',
  JOB_RESULTS_BUCKET: 'deftunes-transform-test',
  REDSHIFT_WORKGROUP: 'deftunes-dev',
  REDSHIFT_DATABASE: 'deftunes',
  EARLIEST_RUN_DATE: '2020-01-01',
  RUN_DATE_TIME_ZONE: 'Europe/Paris',
  POWERTOOLS_METRICS_NAMESPACE: 'DeFtunesTest',
};

const redshift = mockClient(RedshiftDataClient);
const s3 = mockClient(S3Client);
let dir: string;
const savedEnv = { ...process.env };

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'dq-handler-'));
  writeFileSync(path.join(dir, 'redshift.json'), JSON.stringify(plan));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
  process.env = savedEnv;
});

test('a missing variable fails the cold start, naming every variable', async () => {
  // Powertools' own variables are read once per container, with the first invocation: keep them.
  process.env = { ...savedEnv, POWERTOOLS_METRICS_NAMESPACE: ENV.POWERTOOLS_METRICS_NAMESPACE };
  for (const name of Object.keys(ENV)) if (!name.startsWith('POWERTOOLS_')) delete process.env[name];
  await expect(handler({ run_date: RUN_DATE, stage: 'transform' }, LAMBDA_CONTEXT)).rejects.toThrow(
    /Invalid environment for data-quality: .*LANDING_BUCKET.*RESULTS_BUCKET.*JOB_RESULTS_BUCKET.*REDSHIFT_WORKGROUP.*REDSHIFT_DATABASE/,
  );
});

test('runs the plan through the Data API, reads counts from S3, writes the document and EMF metrics', async () => {
  process.env = { ...savedEnv, ...ENV, SERVING_PLAN_PATH: path.join(dir, 'redshift.json') };

  redshift.on(ExecuteStatementCommand).callsFake(async (input: { Sql: string }) => ({
    Id: input.Sql.startsWith('select count(*) as failures') ? 'summary' : 'sample',
  }));
  redshift.on(DescribeStatementCommand).resolves({ Status: 'FINISHED', HasResultSet: true });
  redshift.on(GetStatementResultCommand, { Id: 'summary' }).resolves({
    ColumnMetadata: [{ name: 'failures' }, { name: 'failing_rows' }],
    Records: [[{ longValue: 2 }, { longValue: 2 }]],
  });
  redshift.on(GetStatementResultCommand, { Id: 'sample' }).resolves({
    ColumnMetadata: [
      { name: 'session_id' },
      { name: 'item_index' },
      { name: 'price' },
      { name: 'user_agent' },
    ],
    Records: [
      [{ stringValue: 's-1' }, { longValue: 0 }, { stringValue: '3.00' }, { stringValue: 'Mozilla' }],
      [{ stringValue: 's-2' }, { longValue: 4 }, { stringValue: '9.00' }, { stringValue: 'Mozilla' }],
    ],
  });

  const objects: Record<string, string> = {
    [`${ENV.LANDING_BUCKET}/api/users/ingest_on=${RUN_DATE}/_manifest.json`]:
      '{"records": 100, "rejected": 0}',
    [`${ENV.LANDING_BUCKET}/api/sessions/ingest_on=${RUN_DATE}/_manifest.json`]:
      '{"records": 97, "rejected": 3}',
    [`${ENV.LANDING_BUCKET}/db/songs/ingest_on=${RUN_DATE}/_manifest.json`]:
      '{"records": 100, "rejected": 0}',
    [`${ENV.JOB_RESULTS_BUCKET}/_job_results/transform_api/users/ingest_on=${RUN_DATE}.json`]:
      '{"read": 100, "written": 100, "quarantined": 0}',
    [`${ENV.JOB_RESULTS_BUCKET}/_job_results/transform_api/sessions/ingest_on=${RUN_DATE}.json`]:
      '{"read": 97, "written": 480, "quarantined": 0}',
    [`${ENV.JOB_RESULTS_BUCKET}/_job_results/transform_songs/songs/ingest_on=${RUN_DATE}.json`]:
      '{"read": 100, "written": 100, "quarantined": 0}',
  };
  s3.on(GetObjectCommand).callsFake(async (input: { Bucket: string; Key: string }) => {
    const body = objects[`${input.Bucket}/${input.Key}`];
    if (body === undefined)
      throw new NoSuchKey({ message: 'The specified key does not exist.', $metadata: {} });
    return { Body: Readable.from([Buffer.from(body)]) as never };
  });
  const puts: { Bucket: string; Key: string; Body: string; ContentType?: string }[] = [];
  s3.on(PutObjectCommand).callsFake(
    async (input: { Bucket: string; Key: string; Body: string; ContentType?: string }) => {
      puts.push({ ...input, Body: String(input.Body) });
      return {};
    },
  );

  // Powertools writes INFO lines and EMF to stdout, WARN and ERROR lines to stderr.
  let stdout = '';
  const capture = (chunk: string | Uint8Array): boolean => {
    stdout += chunk.toString();
    return true;
  };
  const spies = [
    jest.spyOn(process.stdout, 'write').mockImplementation(capture),
    jest.spyOn(process.stderr, 'write').mockImplementation(capture),
  ];
  let result;
  try {
    result = await handler({ run_date: RUN_DATE, stage: 'transform' }, { awsRequestId: 'request-1' });
  } finally {
    spies.forEach((spy) => spy.mockRestore());
  }

  expect(result).toMatchObject({
    status: 'failed',
    failed: ['sessions_price_above_0_at_most_2'],
    warned: ['quarantine_rate_sessions'],
  });
  expect(redshift.commandCalls(ExecuteStatementCommand)[0].args[0].input).toMatchObject({
    WorkgroupName: 'deftunes-dev',
    Database: 'deftunes',
    Parameters: [{ name: 'run_date', value: RUN_DATE }],
  });
  expect(puts).toHaveLength(1);
  expect(puts[0]).toMatchObject({
    Bucket: ENV.RESULTS_BUCKET,
    Key: `dq-results/run_date=${RUN_DATE}/transform.json`,
    ContentType: 'application/json',
  });
  const document = ResultDocumentSchema.parse(JSON.parse(puts[0].Body));
  expect(document.rules.find((rule) => rule.rule === 'sessions_price_above_0_at_most_2')).toMatchObject({
    status: 'failed',
    failing_rows: 2,
    sample_failing_keys: [
      { session_id: 's-1', item_index: 0, price: '3.00' },
      { session_id: 's-2', item_index: 4, price: '9.00' },
    ],
  });
  expect(document.rules.find((rule) => rule.rule === 'quarantine_rate_sessions')).toMatchObject({
    status: 'warned',
    observed: 3,
  });

  // Powertools: JSON log lines with the request id, and one EMF document with the rule counts.
  const lines = stdout
    .split('\n')
    .filter((line) => line.trim().startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
  expect(
    lines.some((line) => line.message === 'rule failed' && line.function_request_id === 'request-1'),
  ).toBe(true);
  const emf = lines.find((line) => line._aws !== undefined)!;
  expect(emf).toMatchObject({ stage: 'transform', RulesFailed: 1, RulesWarned: 1, RulesPassed: 2 });
  expect(JSON.stringify(emf._aws)).toContain('DeFtunesTest');
});

test('refuses a run date after today before running a test or writing a document', async () => {
  redshift.resetHistory();
  s3.resetHistory();
  await expect(handler({ run_date: '2999-01-01', stage: 'serving' }, LAMBDA_CONTEXT)).rejects.toThrow(
    /run date 2999-01-01 \(the event's run_date\) is after today/,
  );
  expect(redshift.calls()).toHaveLength(0);
  expect(s3.calls()).toHaveLength(0);
});
