/**
 * The quality gate and a busy warehouse: a test that could not run because Redshift was throttled or
 * unavailable fails the invocation with TransientWarehouseError (DailyPipeline retries it), while any other
 * error of a test is a failed rule of the gate, as before.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import {
  DescribeStatementCommand,
  ExecuteStatementCommand,
  RedshiftDataClient,
  RedshiftDataServiceException,
} from '@aws-sdk/client-redshift-data';
import { mockClient } from 'aws-sdk-client-mock';
import { runDataQuality, type DataQualityDeps } from '../../lambdas/data-quality/run-data-quality';
import { runCompiledTest } from '../../lambdas/data-quality/compiled-tests';
import { LocalObjectStore } from '../../lib/local/adapters/local-object-store';
import { RedshiftDataWarehouse } from '../../lambdas/shared/redshift-data-warehouse';
import type { PlanTest, ServingPlan } from '../../lambdas/shared/serving-plan';
import type { Warehouse } from '../../lambdas/shared/warehouse';
import { TransientWarehouseError } from '../../lambdas/shared/warehouse-errors';

const redshift = mockClient(RedshiftDataClient);

const servingTest: PlanTest = {
  name: 'not_null_fact_session_items_session_id',
  unique_id: 'test.deftunes.not_null_fact_session_items_session_id',
  test_type: 'not_null',
  sql: 'select session_id from deftunes_serving.fact_session_items where session_id is null',
  parameters: [],
  severity: 'error',
  warn_if: '!=0',
  error_if: '!=0',
  stage: 'serving',
  tested: { kind: 'model', schema: 'deftunes_serving', table: 'fact_session_items', column: 'session_id' },
};

function failingWarehouse(error: Error): Warehouse {
  return {
    query: async () => {
      throw error;
    },
    transaction: async () => [],
    close: async () => undefined,
  };
}

let dir: string;
beforeEach(() => {
  redshift.reset();
  dir = mkdtempSync(path.join(tmpdir(), 'dq-transient-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

test('a transient warehouse error escapes the rule; any other error is a failed rule', async () => {
  await expect(
    runCompiledTest(failingWarehouse(new TransientWarehouseError('throttled')), servingTest, '2020-02-01'),
  ).rejects.toThrow(TransientWarehouseError);
  const rule = await runCompiledTest(
    failingWarehouse(new Error('relation "deftunes_serving.fact_session_items" does not exist')),
    servingTest,
    '2020-02-01',
  );
  expect(rule).toMatchObject({ status: 'failed', error: expect.stringContaining('could not run') });
});

test('the gate rejects with TransientWarehouseError when the Data API throttles, and writes no result', async () => {
  redshift.on(ExecuteStatementCommand).rejects(
    new RedshiftDataServiceException({
      name: 'ThrottlingException',
      $fault: 'client',
      message: 'Rate exceeded',
      $metadata: {},
    }),
  );
  redshift.on(DescribeStatementCommand).resolves({ Status: 'FINISHED', HasResultSet: true });
  const plan = { target: 'redshift', tests: [servingTest] } as unknown as ServingPlan;
  const silent = { info: () => undefined, warn: () => undefined, error: () => undefined };
  const deps: DataQualityDeps = {
    plan,
    warehouse: new RedshiftDataWarehouse({
      client: new RedshiftDataClient({ region: 'eu-west-1' }),
      workgroupName: 'deftunes-dev',
      database: 'deftunes',
      sleep: async () => undefined,
    }),
    landingStore: new LocalObjectStore(path.join(dir, 'landing')),
    resultsStore: new LocalObjectStore(path.join(dir, 'serving')),
    transformCounts: async () => undefined,
    logger: silent,
    metrics: {
      addDimension: () => undefined,
      addMetric: () => undefined,
      publishStoredMetrics: () => undefined,
    },
  } as unknown as DataQualityDeps;
  const error = await runDataQuality({ run_date: '2020-02-01', stage: 'serving' }, deps).catch(
    (caught: Error) => caught,
  );
  expect((error as Error).name).toBe('TransientWarehouseError');
  expect((error as Error).message).toContain('ThrottlingException');
  expect(() => readdirSync(path.join(dir, 'serving'))).toThrow();
});
