/**
 * The dashboard on the real serving layer: the dbt models executed by serving-load (the DuckDB plan) over
 * the serving tests' transform fixture, two run dates. Checks that the dashboard's queries run on the
 * models' real columns and types, and that every consistency check with the BI views agrees.
 *
 * The fixture's story (test/serving/fixtures.ts): user u1 buys in the US on day 1 and, having moved to
 * London, in GB on day 2; one sold track is missing from the catalog.
 */
import { mkdirSync, rmSync } from 'node:fs';
import * as path from 'node:path';
import { DuckDbWarehouse } from '../../lib/local/adapters/duckdb-warehouse';
import { filterSales, hourlyKpis, totalsOf } from '../../lib/local/dashboard/aggregate';
import { loadDashboardData } from '../../lib/local/dashboard/load';
import type { DashboardData } from '../../lib/local/dashboard/model';
import { loadServingDay } from '../fixtures/warehouse';
import { DAY_1, DAY_2, type Fixture, USER, writeFixture } from '../serving/fixtures';
import { localPaths } from '../../lib/local/data-dir';

let fixture: Fixture;
let database: string;
let data: DashboardData;

async function query(sql: string): Promise<Record<string, unknown>[]> {
  const warehouse = await DuckDbWarehouse.open(database);
  try {
    return await warehouse.query(sql);
  } finally {
    await warehouse.close();
  }
}

beforeAll(async () => {
  fixture = await writeFixture('deftunes-dashboard-models-');
  database = localPaths(fixture.dir).warehouseDb;
  mkdirSync(path.dirname(database), { recursive: true });
  for (const day of [DAY_1, DAY_2]) await loadServingDay(database, fixture.filesAfter[day], day);
  const warehouse = await DuckDbWarehouse.open(database);
  try {
    // Three months back from March 2024: the window holds all of 2024, so the yearly view is compared too.
    data = await loadDashboardData({ warehouse, source: 'serving models', salesWindowMonths: 3 });
  } finally {
    await warehouse.close();
  }
}, 300_000);

afterAll(() => {
  if (fixture) rmSync(fixture.dir, { recursive: true, force: true });
});

test('agrees with the fact table and every BI view', () => {
  expect(data.checks.filter((check) => !check.ok)).toEqual([]);
  // The four sales checks, the artist enrichment's (artist_sales_vs_concerts_vw against the cube) and the
  // listening events' two (plays per day: genre_daily_vw against listening_hourly_vw, that against fact_listens).
  expect(data.checks).toHaveLength(7);
  expect(data.listening.days.length).toBeGreaterThan(0);
  // The transform views over the fixture's files are read; only the quality store was left out here.
  expect(data.notes).toEqual([expect.stringContaining('No data-quality results store')]);
  expect(data.transformRowCounts.map((count) => count.table)).toEqual(
    expect.arrayContaining(['sessions', 'users', 'songs']),
  );
});

test('totals equal the fact table', async () => {
  const [fact] = await query(
    'select count(*) as items, sum(price) as revenue from deftunes_serving.fact_session_items',
  );
  const totals = totalsOf(data.sales);
  expect(totals.items).toBe(Number(fact.items));
  expect(totals.revenueCents).toBe(Math.round(Number(fact.revenue) * 100));
  expect(data.dates).toEqual([DAY_1, DAY_2]);
});

test("counts the relocated user's purchases for the country of the day", async () => {
  const purchases = await query(`
    select cast(session_date as varchar) as day, sum(price) as revenue
    from deftunes_serving.fact_session_items where user_id = '${USER.u1}' group by 1 order by 1`);
  expect(purchases.map((row) => row.day)).toEqual([DAY_1, DAY_2]);
  const cents = (filter: { from: string; to: string; country: string }) =>
    totalsOf(filterSales(data, { ...filter }));
  // u1 is the only US buyer on day 1 and the only GB buyer on day 2 in this fixture.
  expect(cents({ from: DAY_1, to: DAY_1, country: 'US' }).revenueCents).toBe(
    Math.round(Number(purchases[0].revenue) * 100),
  );
  expect(cents({ from: DAY_2, to: DAY_2, country: 'GB' }).revenueCents).toBe(
    Math.round(Number(purchases[1].revenue) * 100),
  );
  expect(cents({ from: DAY_2, to: DAY_2, country: 'US' }).items).toBe(0);
});

test('shows the hourly view rows as they are', async () => {
  const view = await query(
    'select cast(session_date as varchar) as d, session_hour as h, top_artist from deftunes_serving.hourly_kpis_vw order by 1, 2',
  );
  expect(
    hourlyKpis(data, { from: null, to: null, country: null }).map((row) => [
      row.date,
      row.hour,
      row.topArtist,
    ]),
  ).toEqual(view.map((row) => [row.d, Number(row.h), row.top_artist ?? '']));
});
