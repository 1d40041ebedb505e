/**
 * Parity: the real dbt (`dbt build --target duckdb`, dbt-duckdb) and the serving-load executor running the
 * compiled plan build identical tables, row by row, for every model, over two run dates in order.
 */
import { mkdirSync, rmSync } from 'node:fs';
import * as path from 'node:path';
import { buildServingPlan, planPath } from '../../bin/build-serving-plan';
import { DuckDbWarehouse } from '../../lambdas/shared/duckdb-warehouse';
import { loadServingPlan, ServingPlan } from '../../lambdas/shared/serving-plan';
import { runServingLoad } from '../../lambdas/serving-load/load';
import {
  compareDatabases,
  DAY_1,
  DAY_2,
  DAY_3,
  dbtBuild,
  Fixture,
  pointSpectrum,
  writeFixture,
} from './fixtures';

let fixture: Fixture;
let plan: ServingPlan;

beforeAll(async () => {
  buildServingPlan('duckdb');
  plan = loadServingPlan(planPath('duckdb'));
  fixture = await writeFixture('deftunes-parity-');
}, 300_000);

afterAll(() => rmSync(fixture.dir, { recursive: true, force: true }));

test('dbt build and the executor produce identical tables for every model, date after date and on re-runs', async () => {
  const viaDbt = path.join(fixture.dir, 'dbt', 'deftunes.duckdb');
  const viaExecutor = path.join(fixture.dir, 'executor', 'deftunes.duckdb');
  mkdirSync(path.dirname(viaDbt), { recursive: true });
  const models = plan.models.map((model) => model.name);
  expect(models).toEqual(
    expect.arrayContaining([
      'dim_date',
      'dim_songs',
      'dim_artists',
      'dim_users',
      'fact_session_items',
      'sales_per_artist_vw',
      'sales_per_country_vw',
      'hourly_kpis_vw',
    ]),
  );

  // Two dates in order, a re-run of the latest date and a re-run of an older one; then a date that only
  // corrects a name in place, followed by a re-run of the date before it (which must not roll it back).
  for (const runDate of [DAY_1, DAY_2, DAY_2, DAY_1, DAY_3, DAY_2]) {
    await pointSpectrum(viaDbt, fixture.filesAfter[runDate]);
    await pointSpectrum(viaExecutor, fixture.filesAfter[runDate]);
    dbtBuild(viaDbt, runDate, fixture.dir);
    const warehouse = await DuckDbWarehouse.open(viaExecutor);
    try {
      await runServingLoad({ run_date: runDate }, { warehouse, plan });
    } finally {
      await warehouse.close();
    }
    expect({
      runDate,
      differences: await compareDatabases(viaDbt, viaExecutor, [...models, 'dim_users__runs']),
    }).toEqual({
      runDate,
      differences: [],
    });
  }

  // The comparison is not vacuous: the tables hold the fixture's rows.
  const reader = await DuckDbWarehouse.open(viaExecutor, { readOnly: true });
  try {
    const [counts] = await reader.query(
      'select (select count(*) from deftunes_serving.fact_session_items) as items, (select count(*) from deftunes_serving.dim_users) as user_versions',
    );
    expect(counts).toEqual({ items: 10, user_versions: 5 });
    expect(
      await reader.query(
        "select user_name from deftunes_serving.dim_users where user_id = '22222222-2222-4222-8222-222222222222'",
      ),
    ).toEqual([{ user_name: 'Bobby' }]);
    expect(
      await reader.query(
        'select cast(run_date as varchar) as day from deftunes_serving.dim_users__runs order by 1',
      ),
    ).toEqual([{ day: DAY_1 }, { day: DAY_2 }, { day: DAY_3 }]);
  } finally {
    await reader.close();
  }
}, 600_000);
