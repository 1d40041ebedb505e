/**
 * The gate judges like dbt: on the same DuckDB file, the real `dbt test` (dbt-duckdb) and the gate running
 * the compiled plan give every test the same outcome (pass, warn, fail) and the same failure measure,
 * including tests with `warn_if` / `error_if` on a percentage (`fail_calc`) and warn severity.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { runCompiledTest } from '../../lambdas/data-quality/compiled-tests';
import type { RuleResult } from '../../lambdas/data-quality/result-document';
import { runDbt } from '../fixtures/dbt';
import { MOVED_USER, openFixture, RUN_DATE, userId, type Fixture } from './fixtures';

const PARTITION = `ingest_on = date '${RUN_DATE}'`;
const LISTENS = `listen_date = date '${RUN_DATE}'`;

let fixture: Fixture;
beforeAll(async () => {
  fixture = await openFixture();
});
afterAll(async () => fixture?.close());

interface DbtResult {
  readonly unique_id: string;
  readonly status: 'pass' | 'warn' | 'fail' | 'error';
  readonly failures: number | null;
  readonly message: string | null;
}

function dbtTest(databaseFile: string): DbtResult[] {
  const result = runDbt('test', databaseFile, RUN_DATE, fixture.dir);
  // dbt test exits 1 when a test fails; anything else (2: dbt itself failed) is a broken setup.
  if (result.status !== 0 && result.status !== 1) {
    throw new Error(`dbt test failed to run (exit ${result.status}):\n${result.stdout}${result.stderr}`);
  }
  const runResults = JSON.parse(
    readFileSync(path.join(fixture.dir, 'dbt-target', 'run_results.json'), 'utf8'),
  ) as {
    results: DbtResult[];
  };
  return runResults.results;
}

test('dbt test and the gate agree on every test, on data that passes, warns and fails', async () => {
  await fixture.exec(
    // warn: 2% of the day's items sell unknown tracks (warn_if > 1, error_if > 5 on the percentage).
    `update deftunes_transform.sessions set song_id = 'TR9999999999999999'
     where ${PARTITION} and item_index = 0 and user_id in ('${userId(1)}', '${userId(2)}', '${userId(3)}', '${userId(4)}')`,
    // fail: prices above the ceiling.
    `update deftunes_transform.sessions set price = 7 where ${PARTITION} and item_index = 3 and user_id = '${userId(5)}'`,
    // warn (severity warn): twice the usual users snapshot.
    `insert into deftunes_transform.users
     select '00000000-0000-4000-8001-' || substr(user_id, 25), * exclude (user_id)
     from deftunes_transform.users where ${PARTITION}`,
    // fail: a user with two current versions.
    `update deftunes_serving.dim_users set is_current = true where user_id = '${MOVED_USER}'`,
    // warn: 25% of the day's plays arrived late (warn_if > 10, error_if > 50 on the percentage).
    `update deftunes_transform.listens set arrived_late = true where ${LISTENS} and listen_hour < 5`,
    // fail: 30% of the day's plays without a user version (error_if > 20 on the percentage missing).
    `update deftunes_serving.fact_listens set user_key = null where ${LISTENS} and listen_hour < 7`,
    // fail: an hour that counts a play twice.
    `update deftunes_serving.kpi_hourly set total_plays = total_plays + 1 where ${LISTENS} and listen_hour = 3`,
  );

  const gate = new Map<string, RuleResult>();
  for (const test of fixture.plan.tests) {
    gate.set(test.unique_id, await runCompiledTest(fixture.warehouse, test, RUN_DATE));
  }
  // dbt opens the file itself: release it first.
  await fixture.warehouse.close();
  const dbt = dbtTest(fixture.dbFile);

  const STATUS = { pass: 'passed', warn: 'warned', fail: 'failed', error: 'error' } as const;
  expect(dbt.map((result) => result.unique_id).sort()).toEqual([...gate.keys()].sort());
  const disagreements = dbt
    .map((result) => ({
      test: result.unique_id,
      dbt: STATUS[result.status],
      gate: gate.get(result.unique_id)?.status,
      dbt_failures: result.failures,
      gate_observed: gate.get(result.unique_id)?.observed,
      message: result.message,
    }))
    // dbt reports its measure (`failures`) only for a test that warns or fails, and 0 for one that passes
    // (dbt/task/test.py, build_test_run_result): a passing percentage rule (10% of lookups not found,
    // under warn_if > 20) has a measure of 10 in the gate and 0 in dbt.
    .filter(
      (row) =>
        row.dbt !== row.gate || (row.dbt !== 'passed' && Number(row.dbt_failures) !== row.gate_observed),
    );
  expect(disagreements).toEqual([]);

  const outcomes = Object.fromEntries(dbt.map((result) => [result.unique_id.split('.')[2], result.status]));
  expect(outcomes).toMatchObject({
    sessions_song_id_in_songs_track_id: 'warn',
    sessions_price_above_0_at_most_2: 'fail',
    users_volume_within_band: 'warn',
    dim_users_one_current_version_per_user: 'fail',
    sessions_user_id_in_users_snapshot: 'pass',
    listens_late_share: 'warn',
    fact_listens_user_coverage: 'fail',
    fact_listens_track_coverage: 'pass',
    kpi_hourly_total_matches_fact: 'fail',
    kpi_genre_daily_total_matches_fact: 'pass',
  });
});
