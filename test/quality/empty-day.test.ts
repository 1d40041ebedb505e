/**
 * An empty or collapsed source day is an error of the transform gate (`volume_not_collapsed`), so an API
 * answering `200 []` cannot load a quiet zero-sales day; a day declared empty in the execution input turns
 * that failure into a warning that says why.
 */
import { runCompiledTest } from '../../lambdas/data-quality/compiled-tests';
import { runDataQuality, type DataQualityDeps } from '../../lambdas/data-quality/run-data-quality';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { resultDocumentKey, ResultDocumentSchema } from '../../lambdas/data-quality/result-document';
import { localPaths } from '../../lib/local/data-dir';
import { openFixture, RUN_DATE, type Fixture } from './fixtures';

const PARTITION = `ingest_on = date '${RUN_DATE}'`;
let fixture: Fixture;
let deps: DataQualityDeps;

beforeAll(async () => {
  fixture = await openFixture();
});
afterAll(async () => fixture?.close());

beforeEach(async () => {
  const quiet = () => undefined;
  deps = await fixture.openGate(
    { info: quiet, warn: quiet, error: quiet },
    { addDimension: quiet, addMetric: quiet },
  );
});

async function collapseStatus(table: string): Promise<string> {
  const test = fixture.plan.tests.find((candidate) => candidate.name === `${table}_volume_not_collapsed`);
  if (!test) throw new Error(`the plan has no ${table}_volume_not_collapsed test`);
  expect(test).toMatchObject({ severity: 'error', stage: 'transform', test_type: 'volume_not_collapsed' });
  return (await runCompiledTest(fixture.warehouse, test, RUN_DATE)).status;
}

test.each([
  ['sessions', `delete from deftunes_transform.sessions where ${PARTITION}`, 'failed'],
  // 40 sessions a day: keeping 3 of them (7.5% of the trailing mean) is below the 20% floor.
  [
    'sessions',
    `delete from deftunes_transform.sessions where ${PARTITION} and session_id >= '10000000-0000-4000-8000-000070000003'`,
    'failed',
  ],
  // 40% of the trailing mean: a warning of volume_within_band, not a collapse.
  [
    'sessions',
    `delete from deftunes_transform.sessions where ${PARTITION} and session_id >= '10000000-0000-4000-8000-000070000016'`,
    'passed',
  ],
  // The look-back lands the day before in the run date's partition too: only the day's own sessions count.
  [
    'sessions',
    `update deftunes_transform.sessions set session_start_time = session_start_time - interval 1 day where ${PARTITION}`,
    'failed',
  ],
  ['users', `delete from deftunes_transform.users where ${PARTITION}`, 'failed'],
  ['songs', `delete from deftunes_transform.songs where ${PARTITION}`, 'failed'],
  ['sessions', 'select 1', 'passed'],
])('%s after `%s`: %s', async (table, sql, status) => {
  await fixture.exec(sql);
  expect(await collapseStatus(table)).toBe(status);
});

test('with no history, only an empty partition fails', async () => {
  await fixture.exec(`delete from deftunes_transform.sessions where ingest_on < date '${RUN_DATE}'`);
  expect(await collapseStatus('sessions')).toBe('passed');
  await fixture.exec(`delete from deftunes_transform.sessions where ${PARTITION}`);
  expect(await collapseStatus('sessions')).toBe('failed');
});

test('an empty day fails the gate, unless the execution input declared it empty', async () => {
  await fixture.exec(`delete from deftunes_transform.sessions where ${PARTITION}`);
  const failed = await runDataQuality({ run_date: RUN_DATE, stage: 'transform' }, deps);
  expect(failed.status).toBe('failed');
  expect(failed.failed).toContain('sessions_volume_not_collapsed');

  const declared = await runDataQuality(
    { run_date: RUN_DATE, stage: 'transform', declared_empty: true },
    deps,
  );
  expect(declared.failed).not.toContain('sessions_volume_not_collapsed');
  expect(declared.warned).toContain('sessions_volume_not_collapsed');
  expect(declared.status).not.toBe('failed');
  const document = ResultDocumentSchema.parse(
    JSON.parse(
      readFileSync(
        path.join(localPaths(fixture.dir).serving, resultDocumentKey(RUN_DATE, 'transform')),
        'utf8',
      ),
    ),
  );
  expect(document.rules.find((rule) => rule.rule === 'sessions_volume_not_collapsed')).toMatchObject({
    status: 'warned',
    note: expect.stringMatching(/declared empty/),
  });
});

test('declaring a day empty changes nothing else: other failures still fail the gate', async () => {
  await fixture.exec(`update deftunes_transform.sessions set price = -1 where ${PARTITION}`);
  const result = await runDataQuality({ run_date: RUN_DATE, stage: 'transform', declared_empty: true }, deps);
  expect(result.status).toBe('failed');
  expect(result.failed).toContain('sessions_price_above_0_at_most_2');
});
