/**
 * serving-load on DuckDB, dates loaded in any order: every order (re-runs included) ends with the same tables
 * as loading the dates in order, and every fact row resolves its dimension keys in each.
 */
import { copyFileSync, mkdirSync, rmSync } from 'node:fs';
import * as path from 'node:path';
import type { ServingPlan } from '../../lambdas/shared/serving-plan';
import { compareDatabases } from '../fixtures/dbt';
import { buildWarehouseFile, duckdbPlan, loadServingDay, queryServing } from '../fixtures/warehouse';
import {
  DAY_1,
  DAY_2,
  DAY_3,
  DAY_4,
  DAYS,
  Fixture,
  filesOfDays,
  UNRESOLVED_FACT_KEYS,
  USER,
  writeFixture,
} from './fixtures';

let fixture: Fixture;
let plan: ServingPlan;
let models: string[];
/** The dates loaded in order: what every other order must end with. */
let inOrder: string;

afterAll(() => rmSync(fixture.dir, { recursive: true, force: true }));

/** The relations an out-of-order load must leave as an in-order one: every model and the watermark. */
const relations = (): string[] => [...models, 'dim_users__runs'];

/**
 * Loads `runDates` one after the other into a new database; the transform zone holds the days run so
 * far (a day is extracted and transformed when it is first run). Returns the database file.
 */
async function loadSequence(name: string, runDates: readonly string[]): Promise<string> {
  const file = path.join(fixture.dir, 'sequences', `${name}.duckdb`);
  mkdirSync(path.dirname(file), { recursive: true });
  const seen: string[] = [];
  for (const runDate of runDates) {
    seen.push(runDate);
    await loadServingDay(file, filesOfDays(fixture, seen), runDate, plan);
  }
  return file;
}

beforeAll(async () => {
  plan = duckdbPlan();
  models = plan.models.map((model) => model.name);
  fixture = await writeFixture('deftunes-serving-order-');
  inOrder = await loadSequence('in-order', DAYS);
}, 300_000);

test('in order, the story ends with u1 back in New York, the later year in dim_date and the new track', async () => {
  expect(
    await queryServing(
      inOrder,
      `select country_code, cast(valid_from as varchar) as valid_from, cast(valid_to as varchar) as valid_to, is_current
       from dim_users where user_id = '${USER.u1}' order by valid_from`,
    ),
  ).toEqual([
    {
      country_code: 'US',
      valid_from: '1900-01-01 00:00:00',
      valid_to: `${DAY_2} 00:00:00`,
      is_current: false,
    },
    {
      country_code: 'GB',
      valid_from: `${DAY_2} 00:00:00`,
      valid_to: `${DAY_4} 00:00:00`,
      is_current: false,
    },
    { country_code: 'US', valid_from: `${DAY_4} 00:00:00`, valid_to: null, is_current: true },
  ]);
  expect(
    await queryServing(
      inOrder,
      `select (select count(*) from dim_date) as days, (select count(*) from fact_session_items) as items,
         (select count(*) from dim_songs where in_catalog) as catalog_tracks,
         (select count(*) from dim_artists where in_catalog) as catalog_artists`,
    ),
  ).toEqual([{ days: 366 + 365, items: 11, catalog_tracks: 5, catalog_artists: 4 }]);
});

test.each([
  [[DAY_1, DAY_3, DAY_2, DAY_4]],
  [[DAY_3, DAY_1, DAY_2, DAY_4]],
  [[DAY_4, DAY_3, DAY_1, DAY_2]],
  [[DAY_2, DAY_4, DAY_1, DAY_3]],
  [[DAY_1, DAY_4, DAY_2, DAY_3, DAY_2, DAY_1]],
])(
  'loading %j ends with the same tables as loading the dates in order',
  async (runDates) => {
    const file = await loadSequence(runDates.join('_'), runDates);
    expect(await compareDatabases(inOrder, file, relations())).toEqual([]);
  },
  120_000,
);

test('after the newest date, re-running each older date leaves every table as it was', async () => {
  const file = path.join(fixture.dir, 'sequences', 'reruns.duckdb');
  copyFileSync(inOrder, file);
  for (const runDate of [DAY_1, DAY_3, DAY_2, DAY_4]) {
    const [result] = await buildWarehouseFile(file, { runDates: [runDate], plan });
    expect(result.models.find((model) => model.name === 'dim_users')?.replayed_from).toBe(
      runDate === DAY_1 ? DAY_1 : DAYS[DAYS.indexOf(runDate) - 1],
    );
    expect({ runDate, differences: await compareDatabases(inOrder, file, relations()) }).toEqual({
      runDate,
      differences: [],
    });
  }
}, 120_000);

test('every fact row of every sequence resolves all its dimension keys, user versions included', async () => {
  const file = await loadSequence('orphans', [DAY_4, DAY_1, DAY_3, DAY_2]);
  for (const database_ of [inOrder, file]) {
    expect(await queryServing(database_, UNRESOLVED_FACT_KEYS)).toEqual([
      { users: 0, songs: 0, artists: 0, dates: 0 },
    ]);
  }
}, 120_000);
