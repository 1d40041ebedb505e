/**
 * The serving-load Lambda handler: environment validation, plan file, and one run through a mocked Data API.
 */
import type * as RedshiftData from '@aws-sdk/client-redshift-data';
import { mockClient } from 'aws-sdk-client-mock';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { buildServingPlan, planPath } from '../../bin/build-serving-plan';
import { finishedBatch } from '../fixtures/data-api';
import { LAMBDA_CONTEXT } from '../lambda-context';

const ENV_KEYS = [
  'REDSHIFT_WORKGROUP',
  'REDSHIFT_DATABASE',
  'REDSHIFT_SECRET_ARN',
  'SERVING_PLAN_PATH',
  'EARLIEST_RUN_DATE',
  'RUN_DATE_TIME_ZONE',
  'POWERTOOLS_LOG_LEVEL',
  'AWS_REGION',
];
const saved = Object.fromEntries(ENV_KEYS.map((key) => [key, process.env[key]]));
let dir: string;

beforeAll(() => {
  buildServingPlan('redshift');
  buildServingPlan('duckdb');
  dir = mkdtempSync(path.join(tmpdir(), 'deftunes-handler-'));
  copyFileSync(planPath('redshift'), path.join(dir, 'redshift.json'));
  copyFileSync(planPath('duckdb'), path.join(dir, 'duckdb.json'));
}, 300_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

beforeEach(() => {
  jest.resetModules();
  for (const key of ENV_KEYS) delete process.env[key];
  process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
  process.env.AWS_REGION = 'eu-west-1';
  Object.assign(process.env, { EARLIEST_RUN_DATE: '2020-01-01', RUN_DATE_TIME_ZONE: 'Europe/Paris' });
});

afterEach(() => {
  for (const key of ENV_KEYS) {
    if (saved[key] === undefined) delete process.env[key];
    else process.env[key] = saved[key];
  }
});

type HandlerModule = typeof import('../../lambdas/serving-load/index');

/** A fresh copy of the handler module: it reads its environment once per container (module instance). */
async function loadHandler(): Promise<HandlerModule & { sdk: typeof RedshiftData }> {
  let loaded: HandlerModule | undefined;
  let sdk: typeof RedshiftData | undefined;
  jest.isolateModules(() => {
    // The SDK copy the handler uses, so the mock intercepts its client.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    sdk = require('@aws-sdk/client-redshift-data') as typeof RedshiftData;
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    loaded = require('../../lambdas/serving-load/index') as HandlerModule;
  });
  return { ...loaded!, sdk: sdk! };
}

test('a missing environment variable fails with its name', async () => {
  const { handler } = await loadHandler();
  await expect(handler({ run_date: '2024-03-01' }, LAMBDA_CONTEXT)).rejects.toThrow(
    /Invalid environment for serving-load: REDSHIFT_WORKGROUP .*REDSHIFT_DATABASE/,
  );
});

test('the duckdb plan is refused on AWS', async () => {
  Object.assign(process.env, {
    REDSHIFT_WORKGROUP: 'wg',
    REDSHIFT_DATABASE: 'db',
    SERVING_PLAN_PATH: path.join(dir, 'duckdb.json'),
  });
  const { handler } = await loadHandler();
  await expect(handler({ run_date: '2024-03-01' }, LAMBDA_CONTEXT)).rejects.toThrow(
    /is the duckdb plan; serving-load on AWS runs the redshift plan/,
  );
});

test('runs the redshift plan through the Data API with the configured workgroup, database and secret', async () => {
  Object.assign(process.env, {
    REDSHIFT_WORKGROUP: 'deftunes-dev',
    REDSHIFT_DATABASE: 'deftunes',
    REDSHIFT_SECRET_ARN: 'arn:aws:secretsmanager:eu-west-1:111111111111:secret:deftunes',
    SERVING_PLAN_PATH: path.join(dir, 'redshift.json'),
  });
  const { handler, sdk } = await loadHandler();
  const redshift = mockClient(sdk.RedshiftDataClient);
  try {
    redshift.on(sdk.ExecuteStatementCommand).resolves({ Id: 'q' });
    let batchSize = 0;
    redshift.on(sdk.BatchExecuteStatementCommand).callsFake((input: { Sqls: string[] }) => {
      batchSize = input.Sqls.length;
      return { Id: 'b' };
    });
    redshift
      .on(sdk.DescribeStatementCommand)
      .callsFake((input: { Id: string }) =>
        input.Id === 'b' ? finishedBatch('b', batchSize) : { Status: 'FINISHED', HasResultSet: true },
      );
    redshift.on(sdk.GetStatementResultCommand).resolves({ ColumnMetadata: [{ name: 'x' }], Records: [] });

    const result = await handler({ run_date: '2024-03-01' }, { awsRequestId: 'req-1' });

    expect(result.run_date).toBe('2024-03-01');
    expect(result.target).toBe('redshift');
    expect(redshift).toHaveReceivedCommandWith(sdk.BatchExecuteStatementCommand, {
      WorkgroupName: 'deftunes-dev',
      Database: 'deftunes',
      SecretArn: 'arn:aws:secretsmanager:eu-west-1:111111111111:secret:deftunes',
    });
    await expect(handler({ run_date: 'yesterday' }, LAMBDA_CONTEXT)).rejects.toThrow(
      /run_date must be YYYY-MM-DD/,
    );
  } finally {
    redshift.restore();
  }
});

test('refuses a run date after today or before EARLIEST_RUN_DATE without touching the warehouse', async () => {
  Object.assign(process.env, {
    REDSHIFT_WORKGROUP: 'deftunes-dev',
    REDSHIFT_DATABASE: 'deftunes',
    SERVING_PLAN_PATH: path.join(dir, 'redshift.json'),
  });
  const { handler, sdk } = await loadHandler();
  const redshift = mockClient(sdk.RedshiftDataClient);
  try {
    await expect(handler({ run_date: '2999-01-01' }, LAMBDA_CONTEXT)).rejects.toThrow(
      /run date 2999-01-01 \(the event's run_date\) is after today, .* in Europe\/Paris \(environment EARLIEST_RUN_DATE, RUN_DATE_TIME_ZONE\)/,
    );
    await expect(handler({ run_date: '2019-12-31' }, LAMBDA_CONTEXT)).rejects.toMatchObject({
      name: 'RunDateOutOfRange',
    });
    expect(redshift.calls()).toHaveLength(0);
  } finally {
    redshift.restore();
  }
});
