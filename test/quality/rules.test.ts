/**
 * Every rule of the dbt project, run from the compiled duckdb serving plan on a DuckDB file: quiet on
 * valid data, firing on a crafted bad partition, with warn and error thresholds as configured.
 */
import { runCompiledTest } from '../../lambdas/data-quality/compiled-tests';
import type { RuleResult } from '../../lambdas/data-quality/result-document';
import type { PlanTest } from '../../lambdas/shared/serving-plan';
import {
  FIRST_DATE,
  MOVED_USER,
  openFixture,
  RUN_DATE,
  RUN_DATE_ITEMS,
  syntheticDays,
  userId,
  type Fixture,
} from './fixtures';
import { SALES_SERVING_CASES, SALES_TRANSFORM_CASES } from './sales-cases';
import { ENRICHMENT_SERVING_CASES, ENRICHMENT_TRANSFORM_CASES } from './enrichment-cases';
import { LISTENS_SERVING_CASES, LISTENS_TRANSFORM_CASES } from './listens-cases';

const PARTITION = `ingest_on = date '${RUN_DATE}'`;

let fixture: Fixture;

beforeAll(async () => {
  fixture = await openFixture();
});
afterAll(async () => fixture?.close());

async function runStage(stage: PlanTest['stage']): Promise<Map<string, RuleResult>> {
  const results = new Map<string, RuleResult>();
  for (const test of fixture.plan.tests.filter((candidate) => candidate.stage === stage)) {
    results.set(test.name, await runCompiledTest(fixture.warehouse, test, RUN_DATE));
  }
  return results;
}

function notPassed(results: Map<string, RuleResult>): Record<string, string> {
  return Object.fromEntries(
    [...results].filter(([, r]) => r.status !== 'passed').map(([name, r]) => [name, r.status]),
  );
}

describe('on valid data', () => {
  beforeAll(() => fixture.reset());

  it.each(['transform', 'serving'] as const)('every %s rule passes', async (stage) => {
    const results = await runStage(stage);
    expect(results.size).toBeGreaterThan(15);
    expect(notPassed(results)).toEqual({});
    for (const result of results.values()) expect(result.error).toBeUndefined();
  });

  it('is the serving layer serving-load built, one guarded load per day', async () => {
    const days = syntheticDays(RUN_DATE);
    expect(days).toHaveLength(8);
    expect(days[0]).toBe(FIRST_DATE);
    expect(fixture.loads.map((load) => load.run_date)).toEqual(days);
    for (const load of fixture.loads) {
      expect(load.guard_measures.length).toBeGreaterThan(5);
      // A clean day: every guarded test measured nothing failing (the gate reports these measures).
      expect(load.guard_measures.filter((measure) => measure.failing_rows > 0)).toEqual([]);
      // Days in order: each run replays from the day before (the first from itself).
      expect(load.models.find((model) => model.name === 'dim_users')?.replayed_from).toBe(
        days[Math.max(0, days.indexOf(load.run_date) - 1)],
      );
    }
    const [facts] = await fixture.warehouse.query<{ days: unknown; items: unknown }>(
      'select count(distinct ingest_on) as days, count(*) as items from deftunes_serving.fact_session_items',
    );
    expect({ days: Number(facts.days), items: Number(facts.items) }).toEqual({
      days: days.length,
      items: days.length * RUN_DATE_ITEMS,
    });
    const versions = await fixture.warehouse.query<{
      valid_from: unknown;
      valid_to: unknown;
      is_current: boolean;
    }>(
      `select cast(valid_from as varchar) as valid_from, cast(valid_to as varchar) as valid_to, is_current
       from deftunes_serving.dim_users where user_id = '${MOVED_USER}' order by valid_from`,
    );
    expect(versions).toEqual([
      { valid_from: '1900-01-01 00:00:00', valid_to: '2020-02-05 00:00:00', is_current: false },
      { valid_from: '2020-02-05 00:00:00', valid_to: null, is_current: true },
    ]);
  });

  it('has rules on every transform table and on every serving model', () => {
    const tables = new Set(fixture.plan.tests.map((test) => `${test.tested.schema}.${test.tested.table}`));
    for (const table of [
      'deftunes_transform.songs',
      'deftunes_transform.sessions',
      'deftunes_transform.users',
      'deftunes_transform.concerts',
      'deftunes_transform.artist_stats',
      'deftunes_serving.fact_session_items',
      'deftunes_serving.fact_concerts',
      'deftunes_serving.dim_users',
      'deftunes_serving.dim_songs',
      'deftunes_serving.dim_artists',
      'deftunes_serving.dim_date',
      'deftunes_serving.sales_per_artist_vw',
      'deftunes_serving.sales_per_country_vw',
      'deftunes_serving.hourly_kpis_vw',
      'deftunes_serving.unmatched_concert_artists_vw',
      'deftunes_serving.artist_top_song_vw',
      'deftunes_serving.concert_locations_vw',
      'deftunes_serving.artist_sales_vs_concerts_vw',
    ]) {
      expect(tables).toContain(table);
    }
  });
});

describe.each([
  ['transform', [...SALES_TRANSFORM_CASES, ...ENRICHMENT_TRANSFORM_CASES, ...LISTENS_TRANSFORM_CASES]],
  ['serving', [...SALES_SERVING_CASES, ...ENRICHMENT_SERVING_CASES, ...LISTENS_SERVING_CASES]],
] as const)('%s rules on a bad partition', (stage, cases) => {
  beforeEach(() => fixture.reset());

  it.each(cases.map((breakCase) => [breakCase.title, breakCase] as const))(
    '%s',
    async (_title, breakCase) => {
      await fixture.exec(...breakCase.sql);
      const results = await runStage(stage);
      const fired = notPassed(results);
      for (const [rule, status] of Object.entries(breakCase.fires)) {
        expect(results.get(rule)).toBeDefined();
        expect({ rule, status: results.get(rule)?.status, error: results.get(rule)?.error }).toEqual({
          rule,
          status,
          error: undefined,
        });
        expect(results.get(rule)?.failing_rows).toBeGreaterThan(0);
        expect(results.get(rule)?.sample_failing_keys.length).toBeGreaterThan(0);
      }
      const unexpected = Object.keys(fired).filter(
        (rule) => !(rule in breakCase.fires) && !(breakCase.mayAlsoFire ?? []).includes(rule),
      );
      expect(unexpected).toEqual([]);
    },
  );
});

describe('partitions and thresholds', () => {
  beforeEach(() => fixture.reset());

  it("ignores other days' partitions: a bad yesterday does not fail today", async () => {
    await fixture.exec(
      "update deftunes_transform.sessions set price = 5, currency = 'EUR', song_id = null where ingest_on = date '2020-02-07'",
      "update deftunes_transform.songs set year = 1700, duration = -1 where ingest_on = date '2020-02-07'",
      "update deftunes_transform.users set latitude = 1000 where ingest_on = date '2020-02-07'",
    );
    expect(notPassed(await runStage('transform'))).toEqual({});
  });

  it('passes the volume rule when there is no history (the first run)', async () => {
    await fixture.exec(`delete from deftunes_transform.sessions where ingest_on < date '${RUN_DATE}'`);
    const results = await runStage('transform');
    expect(results.get('sessions_volume_within_band')?.status).toBe('passed');
  });

  it('reports coverage as a percentage and compares it with the configured thresholds', async () => {
    // 4 of the 200 items: 2% missing, between warn_if > 1 and error_if > 5.
    await fixture.exec(
      `update deftunes_transform.sessions set song_id = 'TR9999999999999999'
       where ${PARTITION} and item_index = 0 and user_id in ('${userId(1)}', '${userId(2)}', '${userId(3)}', '${userId(4)}')`,
    );
    const coverage = fixture.plan.tests.find((test) => test.name === 'sessions_song_id_in_songs_track_id')!;
    const warned = await runCompiledTest(fixture.warehouse, coverage, RUN_DATE);
    expect(warned).toMatchObject({
      status: 'warned',
      observed: 2,
      failing_rows: 4,
      table: 'deftunes_transform.sessions',
      column: 'song_id',
      threshold:
        'error if coalesce(max(missing_percent), 0) > 5; warn if coalesce(max(missing_percent), 0) > 1',
    });
    expect(warned.sample_failing_keys[0]).toMatchObject({ song_id: 'TR9999999999999999' });
    expect(Object.keys(warned.sample_failing_keys[0])).toEqual(
      expect.arrayContaining(['session_id', 'item_index', 'user_id', 'song_id', 'ingest_on']),
    );
    // Stricter thresholds on the same data turn the warning into a failure; a warn severity never fails.
    expect(
      (await runCompiledTest(fixture.warehouse, { ...coverage, error_if: '>1.5' }, RUN_DATE)).status,
    ).toBe('failed');
    expect((await runCompiledTest(fixture.warehouse, { ...coverage, warn_if: '>3' }, RUN_DATE)).status).toBe(
      'passed',
    );
    expect(
      (await runCompiledTest(fixture.warehouse, { ...coverage, severity: 'warn', error_if: '>0' }, RUN_DATE))
        .status,
    ).toBe('warned');
  });

  it('compares a row count with count thresholds', async () => {
    await fixture.exec(
      `update deftunes_transform.sessions set price = 3 where ${PARTITION} and item_index = 4 and user_id < '${userId(3)}'`,
    );
    const priceRule = fixture.plan.tests.find((test) => test.name === 'sessions_price_above_0_at_most_2')!;
    const failingRows = (await runCompiledTest(fixture.warehouse, priceRule, RUN_DATE)).failing_rows;
    expect(failingRows).toBe(3); // users 0, 1, 2: one session each
    expect(
      (await runCompiledTest(fixture.warehouse, { ...priceRule, warn_if: '>2', error_if: '>3' }, RUN_DATE))
        .status,
    ).toBe('warned');
    expect(
      (await runCompiledTest(fixture.warehouse, { ...priceRule, warn_if: '>5', error_if: '>=3' }, RUN_DATE))
        .status,
    ).toBe('failed');
  });

  it('turns a query error into a failed rule that names the test, never a pass', async () => {
    const broken: PlanTest = {
      ...fixture.plan.tests.find((test) => test.stage === 'transform')!,
      name: 'broken_rule',
      severity: 'warn',
      sql: 'select * from deftunes_transform.no_such_table where ingest_on = cast(:run_date as date)',
    };
    const result = await runCompiledTest(fixture.warehouse, broken, RUN_DATE);
    expect(result.status).toBe('failed');
    expect(result.error).toMatch(/^test broken_rule on .* could not run: .*no_such_table/);
  });
});
