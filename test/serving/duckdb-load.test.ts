/**
 * serving-load on DuckDB: type-2 history, facts pointing at the user version valid at the session time,
 * BI totals, idempotent re-runs and a failed run leaving the serving layer exactly as it was (dates loaded in
 * any order: duckdb-load-order.test.ts).
 */
import { copyFileSync, mkdirSync, rmSync } from 'node:fs';
import * as path from 'node:path';
import { DuckDbWarehouse } from '../../lib/local/adapters/duckdb-warehouse';
import type { ServingPlan } from '../../lambdas/shared/serving-plan';
import { runServingLoad, ServingLoadResult } from '../../lambdas/serving-load/load';
import type { TransformDataFiles } from '../../lib/local/spectrum';
import { compareDatabases } from '../fixtures/dbt';
import { duckdbPlan, loadServingDay, queryServing, writeParquet } from '../fixtures/warehouse';
import {
  DAY_1,
  DAY_2,
  DAY_3,
  Fixture,
  filesOfDays,
  STRAY_USER,
  transformRowsOf,
  UNRESOLVED_FACT_KEYS,
  USER,
  writeFixture,
} from './fixtures';
import { localPaths } from '../../lib/local/data-dir';

let fixture: Fixture;
let plan: ServingPlan;
let database: string;
let models: string[];
const results: Record<string, ServingLoadResult> = {};
let afterDay1: string;
/** The days extracted and transformed so far: the transform zone keeps every day's partition. */
const extracted = new Set<string>();

async function load(
  runDate: string,
  withPlan: ServingPlan = plan,
  files?: TransformDataFiles,
): Promise<ServingLoadResult> {
  extracted.add(runDate);
  return loadServingDay(database, files ?? filesOfDays(fixture, [...extracted]), runDate, withPlan);
}

const query = (sql: string): Promise<Record<string, unknown>[]> => queryServing(database, sql);

/** Copies the database file (closed) so a later state can be compared with this one. */
function backup(name: string): string {
  const copy = path.join(fixture.dir, `${name}.duckdb`);
  copyFileSync(database, copy);
  return copy;
}

beforeAll(async () => {
  plan = duckdbPlan();
  models = plan.models.map((model) => model.name);
  fixture = await writeFixture('deftunes-serving-load-');
  database = localPaths(fixture.dir).warehouseDb;
  mkdirSync(path.dirname(database), { recursive: true });
  results[DAY_1] = await load(DAY_1);
  afterDay1 = backup('after-day-1');
  results[DAY_2] = await load(DAY_2);
}, 300_000);

afterAll(() => rmSync(fixture.dir, { recursive: true, force: true }));

test('returns the models loaded in dependency order with their row counts (tables; a view is not counted)', () => {
  const result = results[DAY_2];
  expect(result.run_date).toBe(DAY_2);
  expect(result.target).toBe('duckdb');
  const rows = Object.fromEntries(result.models.map((model) => [model.name, model.rows]));
  expect(rows).toMatchObject({
    dim_users: 5,
    fact_session_items: 9,
    dim_songs: 5,
    dim_artists: 4,
    dim_date: 366,
    hourly_kpis_vw: null,
  });
  expect(result.models.map((model) => model.name)).toEqual(models);
  expect(models.indexOf('dim_users')).toBeLessThan(models.indexOf('fact_session_items'));
  expect(models.indexOf('fact_session_items')).toBeLessThan(models.indexOf('sales_per_country_vw'));
});

test('a user who relocates gets two versions; purchases before and after count for the right country', async () => {
  const versions = await query(
    `select country_code, place_name, cast(valid_from as varchar) as valid_from, cast(valid_to as varchar) as valid_to, is_current
     from dim_users where user_id = '${USER.u1}' order by valid_from`,
  );
  expect(versions).toEqual([
    {
      country_code: 'US',
      place_name: 'New York',
      valid_from: '1900-01-01 00:00:00',
      valid_to: `${DAY_2} 00:00:00`,
      is_current: false,
    },
    {
      country_code: 'GB',
      place_name: 'London',
      valid_from: `${DAY_2} 00:00:00`,
      valid_to: null,
      is_current: true,
    },
  ]);
  const purchases = await query(
    `select cast(f.session_date as varchar) as day, u.country_code, sum(f.price) as total
     from fact_session_items f join dim_users u on u.user_key = f.user_key
     where f.user_id = '${USER.u1}' group by all order by day`,
  );
  expect(purchases).toEqual([
    { day: DAY_1, country_code: 'US', total: '2.98' },
    { day: DAY_2, country_code: 'GB', total: '7.00' },
  ]);
  const byCountry = await query(
    'select country_code, total_sales from sales_per_country_vw order by country_code',
  );
  expect(byCountry).toEqual([
    { country_code: 'DE', total_sales: '3.78' },
    { country_code: 'ES', total_sales: '0.99' },
    { country_code: 'FR', total_sales: '3.28' },
    { country_code: 'GB', total_sales: '7.00' },
    { country_code: 'US', total_sales: '2.98' },
  ]);
});

test('a change outside the tracked columns is corrected in place, without a new version', async () => {
  const versions = await query(`select user_name, is_current from dim_users where user_id = '${USER.u2}'`);
  expect(versions).toEqual([{ user_name: 'Robert', is_current: true }]);
});

test('every fact row has all its dimension keys', async () => {
  expect(await query(UNRESOLVED_FACT_KEYS)).toEqual([{ users: 0, songs: 0, artists: 0, dates: 0 }]);
});

test("BI views' totals equal the fact table's totals", async () => {
  const [totals] = await query(
    `select
       (select sum(price) from fact_session_items) as fact_revenue,
       (select count(*) from fact_session_items) as fact_items,
       (select sum(total_sales) from sales_per_artist_vw) as by_artist,
       (select sum(total_sales) from sales_per_country_vw) as by_country,
       (select sum(revenue) from hourly_kpis_vw) as hourly_revenue,
       (select sum(items_sold) from hourly_kpis_vw) as hourly_items`,
  );
  expect(totals.fact_revenue).toBe('18.03');
  expect(totals).toEqual({
    fact_revenue: '18.03',
    fact_items: 9,
    by_artist: '18.03',
    by_country: '18.03',
    hourly_revenue: '18.03',
    hourly_items: 9,
  });
  const hourly = await query(
    `select cast(session_date as varchar) as day, session_hour, unique_buyers, items_sold, top_artist, round(track_diversity_index, 4) as diversity
     from hourly_kpis_vw order by 1, 2`,
  );
  expect(hourly[0]).toEqual({
    day: DAY_1,
    session_hour: 10,
    unique_buyers: 2,
    items_sold: 3,
    top_artist: 'Aurora Lane',
    diversity: 0.6667,
  });
});

test('the table comparison used below sees real differences', async () => {
  const differences = await compareDatabases(afterDay1, database, models);
  expect(differences.map((difference) => difference.model)).toEqual(
    expect.arrayContaining(['dim_users', 'fact_session_items', 'sales_per_country_vw', 'hourly_kpis_vw']),
  );
});

test('re-running a date gives identical tables (no duplicates, same keys)', async () => {
  const before = backup('before-rerun');
  const rerun = await load(DAY_2);
  expect(rerun.models).toEqual(results[DAY_2].models);
  expect(await compareDatabases(before, database, models)).toEqual([]);
});

test('re-running the latest date with a corrected snapshot redoes its history; the original data restores it', async () => {
  const before = backup('before-correction');
  await load(DAY_2, plan, fixture.correctedDay2);
  expect(
    await query(
      `select country_code, cast(valid_to as varchar) as valid_to, is_current from dim_users where user_id = '${USER.u1}'`,
    ),
  ).toEqual([{ country_code: 'US', valid_to: null, is_current: true }]);
  expect(
    await query(
      "select country_code, total_sales from sales_per_country_vw where country_code in ('GB', 'US')",
    ),
  ).toEqual([{ country_code: 'US', total_sales: '9.98' }]);
  await load(DAY_2);
  expect(await compareDatabases(before, database, models)).toEqual([]);
});

test('re-running an older date replays the history from it and leaves every table as it was', async () => {
  const before = backup('before-old-rerun');
  const rerun = await load(DAY_1);
  expect(rerun.models.find((model) => model.name === 'dim_users')).toMatchObject({
    replayed_from: DAY_1,
    rows: 5,
  });
  expect(await compareDatabases(before, database, [...models, 'dim_users__runs'])).toEqual([]);
});

test.each([
  ['fact_session_items', 'select the run date'],
  ['hourly_kpis_vw', 'create view'],
])(
  'a failing model (%s) names the model and statement and leaves every table as it was',
  async (failing, statement) => {
    const before = backup(`before-failure-${failing}`);
    const broken: ServingPlan = {
      ...plan,
      models: plan.models.map((model) =>
        model.name === failing ? { ...model, sql: 'select * from deftunes_serving.no_such_table' } : model,
      ),
    };
    await expect(load(DAY_2, broken)).rejects.toThrow(
      new RegExp(`model ${failing}: ${statement}.*no_such_table`, 's'),
    );
    expect(await compareDatabases(before, database, models)).toEqual([]);
  },
);

test('a date that only corrected attributes in place still stops an older date from rolling them back', async () => {
  const third = await load(DAY_3);
  expect(third.models.find((model) => model.name === 'dim_users')).toMatchObject({
    replayed_from: DAY_2,
    rows: 5,
  });
  // No version was inserted on DAY_3: loaded_on alone would still say DAY_2 is the newest run.
  expect(await query('select cast(max(loaded_on) as varchar) as newest from dim_users')).toEqual([
    { newest: DAY_2 },
  ]);
  expect(await query(`select user_name from dim_users where user_id = '${USER.u2}'`)).toEqual([
    { user_name: 'Bobby' },
  ]);
  const before = backup('before-rerun-of-day-2');
  const rerun = await load(DAY_2);
  expect(rerun.models.find((model) => model.name === 'dim_users')).toMatchObject({
    replayed_from: DAY_1,
    rows: 5,
  });
  expect(await query(`select user_name from dim_users where user_id = '${USER.u2}'`)).toEqual([
    { user_name: 'Bobby' },
  ]);
  expect(await compareDatabases(before, database, [...models, 'dim_users__runs'])).toEqual([]);
  expect((await load(DAY_3)).models.find((model) => model.name === 'dim_users')).toMatchObject({
    replayed_from: DAY_2,
  });
  expect(await compareDatabases(before, database, [...models, 'dim_users__runs'])).toEqual([]);
});

test('an error-severity serving test failing inside the run rolls the whole run back and names the test', async () => {
  expect(results[DAY_2].guard_measures.map((measure) => measure.test)).toEqual(
    expect.arrayContaining(['fact_session_items_inferred_user_share', 'unique_dim_users_user_key']),
  );
  const before = backup('before-failed-guard');
  // DAY_2's sessions with the stray purchase; DAY_3's partitions stay (DAY_3 is loaded, and holds DAY_2's
  // afternoon session: 1 of DAY_2's 4 items is bought by a user without a profile, an inferred member).
  const strayBuyer: TransformDataFiles = {
    ...filesOfDays(fixture, [DAY_1, DAY_2, DAY_3]),
    sessions: [...fixture.strayBuyerDay2.sessions!, ...fixture.filesOfDay[DAY_3].sessions!],
  };
  // The inferred share's error threshold is a dbt var (inferred_users_error_percent, 25 by default): a
  // deployment that sets it to 20 % fails this day.
  const strict: ServingPlan = {
    ...plan,
    tests: plan.tests.map((test) =>
      test.name === 'fact_session_items_inferred_user_share' ? { ...test, error_if: '> 20' } : test,
    ),
  };
  await expect(load(DAY_2, strict, strayBuyer)).rejects.toThrow(
    /serving tests \(guard 1 of 1\).*serving test failed: fact_session_items_inferred_user_share \(coalesce\(max\(inferred_percent\), 0\) = 25\.0*, error_if > 20\)/s,
  );
  expect(await compareDatabases(before, database, [...models, 'dim_users__runs'])).toEqual([]);
  // The same data passes when the test only warns: warn-severity tests are the quality gate's, not guards.
  const warnOnly: ServingPlan = {
    ...strict,
    tests: strict.tests.map((test) =>
      test.name === 'fact_session_items_inferred_user_share' ? { ...test, severity: 'warn' } : test,
    ),
  };
  const loaded = await load(DAY_2, warnOnly, strayBuyer);
  expect(loaded.guard_measures.map((measure) => measure.test)).not.toContain(
    'fact_session_items_inferred_user_share',
  );
  // The stray buyer's item points to an inferred member: flagged, attributes unknown.
  expect(
    await query(
      `select count(*) as items, bool_and(u.is_inferred) as inferred, count(u.country_code) as countries
       from fact_session_items f join dim_users u on u.user_key = f.user_key where f.user_id = '${STRAY_USER}'`,
    ),
  ).toEqual([{ items: 1, inferred: true, countries: 0 }]);
  await load(DAY_2);
  expect(await compareDatabases(before, database, [...models, 'dim_users__runs'])).toEqual([]);
});

// Duplicated artists break the artist key's uniqueness and, through the views' joins, the BI totals: the
// engine stops at whichever guard it evaluates first.
test('a duplicate key in a dimension fails a serving test inside the run, leaving the tables as they were', async () => {
  const before = backup('before-duplicate-key');
  const duplicating: ServingPlan = {
    ...plan,
    models: plan.models.map((model) =>
      model.name === 'dim_artists'
        ? {
            ...model,
            sql: `select * from (\n${model.sql}\n) as once\nunion all\nselect * from (\n${model.sql}\n) as twice`,
          }
        : model,
    ),
  };
  await expect(load(DAY_2, duplicating)).rejects.toThrow(
    /serving test failed: (unique_dim_artists_artist_(id|key) \(count\(\*\) = 4|bi_\w+_total_matches_fact \(count\(\*\) = 1), error_if != 0\)/,
  );
  expect(await compareDatabases(before, database, [...models, 'dim_users__runs'])).toEqual([]);
});

test('a history rebuilt from scratch starts a new watermark (runs of a dropped table do not skip dates)', async () => {
  const warehouse = await DuckDbWarehouse.open(database);
  try {
    await warehouse.transaction([
      // The facts go too: facts left pointing at a dropped history fail the relationships guard.
      { sql: 'drop table deftunes_serving.fact_session_items' },
      { sql: 'drop table deftunes_serving.dim_users' },
    ]);
  } finally {
    await warehouse.close();
  }
  const rebuilt = await load(DAY_1);
  expect(rebuilt.models.find((model) => model.name === 'dim_users')).toMatchObject({
    replayed_from: DAY_1,
    rows: 3,
  });
  expect(await query('select cast(run_date as varchar) as day from dim_users__runs')).toEqual([
    { day: DAY_1 },
  ]);
  expect((await load(DAY_2)).models.find((model) => model.name === 'dim_users')).toMatchObject({
    replayed_from: DAY_1,
    rows: 5,
  });
});

test('rejects a run date that is not a calendar date', async () => {
  const warehouse = await DuckDbWarehouse.open(':memory:');
  try {
    await expect(runServingLoad({ run_date: '2024-02-30' }, { warehouse, plan })).rejects.toThrow(/run_date/);
    await expect(
      runServingLoad({ run_date: "2024-03-01'; drop table x; --" }, { warehouse, plan }),
    ).rejects.toThrow(/YYYY-MM-DD/);
  } finally {
    await warehouse.close();
  }
});

test('an artist sold outside the catalog under several spellings has one row, named by its first sale', async () => {
  const before = backup('before-spellings');
  // The real API serves one artist id under several spellings: a later DAY_2 sale of DAY_1's artist that
  // the catalog lacks, spelled otherwise.
  const lost = transformRowsOf([DAY_1]).sessions.find((row) => row.artist_name === 'Lost Tapes')!;
  const respelled = path.join(fixture.dir, `sessions-${DAY_2}-respelled.parquet`);
  const writer = await DuckDbWarehouse.open(path.join(fixture.dir, 'respelled-writer.duckdb'));
  try {
    await writeParquet(writer, respelled, 'sessions', [
      {
        ...lost,
        session_id: 'aaaaaaaa-0000-4000-8000-000000000077',
        item_index: 0,
        artist_name: 'LOST TAPES, THE',
        session_start_time: `${DAY_2} 20:00:00`,
        ingest_on: DAY_2,
        processing_timestamp: `${DAY_2} 03:00:00`,
      },
    ]);
  } finally {
    await writer.close();
  }
  const files = filesOfDays(fixture, [...extracted]);
  await load(DAY_2, plan, { ...files, sessions: [...(files.sessions ?? []), respelled] });
  const artists = await query(
    `select artist_name, in_catalog from dim_artists where artist_id = '${String(lost.artist_id)}'`,
  );
  // A later spelling does not rename it (a name that changed with each day's spelling would churn).
  expect(artists).toEqual([{ artist_name: 'Lost Tapes', in_catalog: false }]);
  // BI by id: both sales in one row per year, under that name.
  expect(
    await query(
      `select artist_name, count(*) as rows from sales_per_artist_vw where artist_id = '${String(lost.artist_id)}' group by 1`,
    ),
  ).toEqual([{ artist_name: 'Lost Tapes', rows: 1 }]);
  copyFileSync(before, database);
});
