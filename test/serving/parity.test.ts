/**
 * Parity: the real dbt (`dbt build --target duckdb`, dbt-duckdb) and the serving-load executor running the
 * compiled plan build identical tables, row by row, for every model, date after date: in order with
 * re-runs, and out of order (which must end with the tables of the in-order run).
 */
import { mkdirSync, rmSync } from 'node:fs';
import * as path from 'node:path';
import { DuckDbWarehouse } from '../../lib/local/adapters/duckdb-warehouse';
import type { ServingPlan } from '../../lambdas/shared/serving-plan';
import { compareDatabases, dbtBuild } from '../fixtures/dbt';
import { buildWarehouseFile, duckdbPlan, pointSpectrum } from '../fixtures/warehouse';
import { DAY_1, DAY_2, DAY_3, DAY_4, Fixture, filesOfDays, STRAY_USER, writeFixture } from './fixtures';
import type { TransformDataFiles } from '../../lib/local/spectrum';

let fixture: Fixture;
let plan: ServingPlan;

beforeAll(async () => {
  plan = duckdbPlan();
  fixture = await writeFixture('deftunes-parity-');
}, 300_000);

afterAll(() => rmSync(fixture.dir, { recursive: true, force: true }));

/** The relations compared: every model and the type-2 watermark. */
function relations(): string[] {
  return [...plan.models.map((model) => model.name), 'dim_users__runs'];
}

/**
 * Runs `runDates` through dbt and through the executor, each on its own DuckDB file under `name`, and
 * checks after every run that both hold the same tables. The transform zone holds the days run so far.
 * Returns the two files.
 */
async function runBoth(
  name: string,
  runDates: readonly string[],
  filesAt: (step: number) => TransformDataFiles = (step) => filesOfDays(fixture, runDates.slice(0, step + 1)),
): Promise<{ dbt: string; executor: string }> {
  const viaDbt = path.join(fixture.dir, name, 'dbt.duckdb');
  const viaExecutor = path.join(fixture.dir, name, 'executor.duckdb');
  mkdirSync(path.dirname(viaDbt), { recursive: true });
  for (const [step, runDate] of runDates.entries()) {
    const files = filesAt(step);
    await pointSpectrum(viaDbt, files);
    await pointSpectrum(viaExecutor, files);
    dbtBuild(viaDbt, runDate, fixture.dir);
    await buildWarehouseFile(viaExecutor, { runDates: [runDate], plan });
    expect({ step, runDate, differences: await compareDatabases(viaDbt, viaExecutor, relations()) }).toEqual({
      step,
      runDate,
      differences: [],
    });
  }
  return { dbt: viaDbt, executor: viaExecutor };
}

let inOrder: { dbt: string; executor: string };

test('dbt build and the executor produce identical tables for every model, date after date and on re-runs', async () => {
  expect(plan.models.map((model) => model.name)).toEqual(
    expect.arrayContaining([
      'dim_date',
      'dim_songs',
      'dim_artists',
      'dim_users',
      'fact_session_items',
      'sales_per_artist_vw',
      'sales_per_country_vw',
      'hourly_kpis_vw',
      'fact_listens',
      'kpi_genre_daily',
      'kpi_hourly',
      'listening_hourly_vw',
      'genre_daily_vw',
    ]),
  );

  // Two dates in order, a re-run of the latest date and a re-run of an older one; then a date that only
  // corrects a name in place, followed by a re-run of the date before it (which must not roll it back);
  // then a date of a later year.
  inOrder = await runBoth('in-order', [DAY_1, DAY_2, DAY_2, DAY_1, DAY_3, DAY_2, DAY_4]);

  // The comparison is not vacuous: the tables hold the fixture's rows.
  const reader = await DuckDbWarehouse.open(inOrder.executor, { readOnly: true });
  try {
    const [counts] = await reader.query(
      'select (select count(*) from deftunes_serving.fact_session_items) as items, (select count(*) from deftunes_serving.dim_users) as user_versions',
    );
    expect(counts).toEqual({ items: 11, user_versions: 6 });
    // The plays of DAY_2 and DAY_4 (listens-fixtures.ts), each date's KPIs beside them.
    expect(
      await reader.query(
        `select (select count(*) from deftunes_serving.fact_listens) as plays,
           (select sum(total_plays) from deftunes_serving.kpi_hourly) as hourly,
           (select sum(listen_count) from deftunes_serving.kpi_genre_daily) as by_genre`,
      ),
    ).toEqual([{ plays: 16, hourly: 16, by_genre: 16 }]);
    expect(
      await reader.query(
        "select user_name from deftunes_serving.dim_users where user_id = '22222222-2222-4222-8222-222222222222'",
      ),
    ).toEqual([{ user_name: 'Bobby' }]);
    expect(
      await reader.query(
        'select cast(run_date as varchar) as day from deftunes_serving.dim_users__runs order by 1',
      ),
    ).toEqual([{ day: DAY_1 }, { day: DAY_2 }, { day: DAY_3 }, { day: DAY_4 }]);
  } finally {
    await reader.close();
  }
}, 600_000);

test('dates loaded out of order for the first time: dbt and the executor agree, and end as the in-order run', async () => {
  const outOfOrder = await runBoth('out-of-order', [DAY_3, DAY_1, DAY_4, DAY_2]);
  expect(await compareDatabases(inOrder.executor, outOfOrder.executor, relations())).toEqual([]);
  expect(await compareDatabases(inOrder.dbt, outOfOrder.dbt, relations())).toEqual([]);
}, 600_000);

test('a buyer missing from the users snapshot: dbt and the executor make the same inferred member, completed in place when the profile arrives', async () => {
  const files = [
    filesOfDays(fixture, [DAY_1]),
    fixture.strayBuyerDay2,
    fixture.strayProfileDay3,
    fixture.strayProfileDay3,
  ];
  const strayRows = async (database: string) => {
    const reader = await DuckDbWarehouse.open(database, { readOnly: true });
    try {
      return await reader.query(
        `select user_key, is_inferred, country_code, cast(valid_from as varchar) as valid_from, cast(loaded_on as varchar) as loaded_on
         from deftunes_serving.dim_users where user_id = '${STRAY_USER}'`,
      );
    } finally {
      await reader.close();
    }
  };
  const inferred = await runBoth('stray-buyer', [DAY_1, DAY_2], (step) => files[step]);
  const [member] = await strayRows(inferred.executor);
  expect(member).toMatchObject({ is_inferred: true, country_code: null, valid_from: '1900-01-01 00:00:00' });
  // The profile arrives on DAY_3 (then DAY_2 is re-run): the same version, completed; dbt agrees.
  const completed = await runBoth('stray-profile', [DAY_1, DAY_2, DAY_3, DAY_2], (step) => files[step]);
  expect(await strayRows(completed.executor)).toEqual([
    { ...member, is_inferred: false, country_code: 'FR', loaded_on: DAY_2 },
  ]);
  // Loaded out of order for the first time (every extract already transformed), the dates end the same.
  const outOfOrder = await runBoth('stray-out-of-order', [DAY_3, DAY_1, DAY_2], () => files[2]);
  expect(await compareDatabases(completed.executor, outOfOrder.executor, relations())).toEqual([]);
}, 900_000);
