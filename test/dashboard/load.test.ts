import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { DuckDbWarehouse } from '../../lib/local/adapters/duckdb-warehouse';
import { LocalObjectStore } from '../../lib/local/adapters/local-object-store';
import { filterSales, hourlyKpis, topArtists, totalsOf } from '../../lib/local/dashboard/aggregate';
import { consistencyChecks, loadDashboardData, salesWindowStart } from '../../lib/local/dashboard/load';
import { UNKNOWN_COUNTRY, type DashboardData } from '../../lib/local/dashboard/model';
import { createFixture, FIXTURE_DATES, HOSTILE_ARTIST, type Fixture } from './fixture';

let dir: string;
let fixture: Fixture;
let warehouse: DuckDbWarehouse;
let data: DashboardData;

const num = (value: unknown) => Number(value);

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'dashboard-load-'));
  fixture = await createFixture(dir);
  warehouse = await fixture.openWarehouse();
  data = await loadDashboardData({
    warehouse,
    resultsStore: fixture.results,
    source: 'fixture',
    generatedAt: new Date('2026-02-02T00:00:00Z'),
  });
});

afterAll(async () => {
  await warehouse.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('loadDashboardData on a DuckDB warehouse', () => {
  it('holds exactly the fact table totals, in cents', async () => {
    const [fact] = await warehouse.query(
      'select count(*) as items, sum(price) as revenue from deftunes_serving.fact_session_items',
    );
    const totals = totalsOf(data.sales);
    expect(totals.items).toBe(num(fact.items));
    expect(totals.revenueCents).toBe(Math.round(num(fact.revenue) * 100));
    expect(totals.days).toBe(FIXTURE_DATES.length);
    expect(data.dates).toEqual([...FIXTURE_DATES]);
  });

  it("counts a relocated buyer's purchases for the country valid at purchase time", async () => {
    // Computed independently of the user keys: the version whose validity interval holds the session time.
    const expected = await warehouse.query(`
      select coalesce(u.country_code, '${UNKNOWN_COUNTRY}') as country_code, sum(f.price) as revenue
      from deftunes_serving.fact_session_items f
      left join deftunes_serving.dim_users u on u.user_id = f.user_id and u.valid_from <= f.session_start_time
        and (u.valid_to is null or f.session_start_time < u.valid_to)
        and f.user_key <> 'missing-user-key'
      group by 1`);
    for (const row of expected) {
      const country = String(row.country_code);
      const cents = totalsOf(filterSales(data, { from: null, to: null, country })).revenueCents;
      expect({ country, cents }).toEqual({ country, cents: Math.round(num(row.revenue) * 100) });
    }
    const relocated = await warehouse.query(`
      select cast(session_date as varchar) as day, count(*) as items from deftunes_serving.fact_session_items
      where user_id = 'user-07' group by 1 order by 1`);
    // user-07 buys on each day; before 2026-01-31 as a US buyer, from then on as a French one.
    expect(relocated.length).toBe(3);
    expect(data.countries).toContain(UNKNOWN_COUNTRY);
  });

  it('keeps hostile names as data, untouched', () => {
    expect(data.artists).toContain(HOSTILE_ARTIST);
    expect(topArtists(data, data.sales, 50).some((entry) => entry.artist === HOSTILE_ARTIST)).toBe(true);
  });

  it('has the hourly view rows for all countries and per-country rows that add up to them', async () => {
    const view = await warehouse.query('select count(*) as hours from deftunes_serving.hourly_kpis_vw');
    const all = hourlyKpis(data, { from: null, to: null, country: null });
    expect(all).toHaveLength(num(view[0].hours));
    let items = 0;
    for (const country of data.countries) {
      for (const row of hourlyKpis(data, { from: null, to: null, country })) items += row.itemsSold;
    }
    expect(items).toBe(all.reduce((sum, row) => sum + row.itemsSold, 0));
    // Unique buyers are not additive, so the per-country figure comes from SQL, not from a sum.
    const [fr] = await warehouse.query(`
      select count(distinct f.user_id) as buyers from deftunes_serving.fact_session_items f
      join deftunes_serving.dim_users u on u.user_key = f.user_key
      where u.country_code = 'FR' and f.session_date = date '2026-01-31' and f.session_hour = ${
        hourlyKpis(data, { from: '2026-01-31', to: '2026-01-31', country: 'FR' })[0].hour
      }`);
    expect(hourlyKpis(data, { from: '2026-01-31', to: '2026-01-31', country: 'FR' })[0].uniqueBuyers).toBe(
      num(fr.buyers),
    );
  });

  it('agrees with every BI view', () => {
    expect(data.checks.map((check) => [check.name, check.ok])).toEqual([
      ['fact_session_items totals', true],
      ['sales_per_artist_vw (year, artist)', true],
      ['sales_per_country_vw (month, country)', true],
      ['hourly_kpis_vw (revenue and items per hour)', true],
      ['artist_sales_vs_concerts_vw (items and revenue)', true],
      ['genre_daily_vw against listening_hourly_vw (plays per day)', true],
      ['listening_hourly_vw against fact_listens (plays per day)', true],
    ]);
    expect(data.notes).toEqual([]);
  });

  it('reads the transform row counts per ingest date', () => {
    const sessions = data.transformRowCounts.filter((count) => count.table === 'sessions');
    expect(sessions.map((count) => count.date)).toEqual([...FIXTURE_DATES]);
    expect(sessions.reduce((sum, count) => sum + count.rows, 0)).toBe(totalsOf(data.sales).items);
    expect(
      data.transformRowCounts.filter((count) => count.table === 'songs').map((count) => count.rows),
    ).toEqual([200, 200, 200]);
  });

  it('reads the quality result documents', () => {
    expect(data.quality.map((run) => `${run.runDate} ${run.stage} ${run.status}`).sort()).toEqual([
      '2026-01-30 serving passed',
      '2026-01-30 transform passed',
      '2026-01-31 serving passed',
      '2026-01-31 transform warned',
      '2026-02-01 serving failed',
      '2026-02-01 transform passed',
    ]);
    const failed = data.quality.find((run) => run.status === 'failed');
    expect(failed).toMatchObject({ passed: 4, warned: 0, failed: 1 });
    expect(failed?.problems).toEqual([
      expect.objectContaining({
        rule: 'relationships_serving_user',
        failingRows: 12,
        sampleFailingKeys: ['{"session_id":"<b>bad</b>-2026-02-01"}'],
      }),
    ]);
  });
});

describe('what the dashboard cannot read is said, not skipped', () => {
  it('turns a malformed result document and a missing transform table into notes', async () => {
    const other = mkdtempSync(path.join(tmpdir(), 'dashboard-notes-'));
    try {
      const store = new LocalObjectStore(other);
      await store.putObject('dq-results/run_date=2026-01-30/transform.json', '{"run_date": "2026-01-30"');
      await store.putObject(
        'dq-results/run_date=2026-01-30/serving.json',
        JSON.stringify({ run_date: '2026-01-30' }),
      );
      await store.putObject('dq-results/README.txt', 'not a result');
      await warehouse.transaction([{ sql: 'alter table deftunes_transform.songs rename to songs_moved' }]);
      try {
        const partial = await loadDashboardData({ warehouse, resultsStore: store, source: 'fixture' });
        expect(partial.quality).toEqual([]);
        expect(partial.notes).toEqual([
          expect.stringContaining('deftunes_transform.songs could not be read'),
          expect.stringContaining(
            'dq-results/run_date=2026-01-30/serving.json does not match the result document shape',
          ),
          expect.stringContaining('dq-results/run_date=2026-01-30/transform.json is not readable JSON'),
        ]);
      } finally {
        await warehouse.transaction([{ sql: 'alter table deftunes_transform.songs_moved rename to songs' }]);
      }
      const withoutStore = await loadDashboardData({ warehouse, source: 'fixture' });
      expect(withoutStore.notes).toEqual([expect.stringContaining('No data-quality results store')]);
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
  });

  it('still shows the quality results before any serving load has succeeded', async () => {
    const empty = await DuckDbWarehouse.open(':memory:');
    try {
      const early = await loadDashboardData({
        warehouse: empty,
        resultsStore: fixture.results,
        source: 'empty',
      });
      expect(early.sales).toEqual([]);
      expect(early.hourly).toEqual([]);
      expect(early.checks).toEqual([]);
      expect(early.quality).toHaveLength(6);
      expect(early.notes[0]).toBe(
        'The serving layer has no fact_session_items, dim_users, dim_artists, sales_per_artist_vw, ' +
          'sales_per_country_vw, hourly_kpis_vw yet (no serving load has succeeded), so the sales panels are empty.',
      );
    } finally {
      await empty.close();
    }
  });

  it('fails naming what it read when a query fails', async () => {
    await warehouse.transaction([
      { sql: 'alter view deftunes_serving.hourly_kpis_vw rename to hourly_kpis_vw_moved' },
      { sql: 'create view deftunes_serving.hourly_kpis_vw as select 1 as session_date' },
    ]);
    try {
      await expect(loadDashboardData({ warehouse, source: 'fixture' })).rejects.toThrow(
        /^dashboard: reading hourly_kpis_vw failed: [\s\S]*session_date/,
      );
    } finally {
      await warehouse.transaction([
        { sql: 'drop view deftunes_serving.hourly_kpis_vw' },
        { sql: 'alter view deftunes_serving.hourly_kpis_vw_moved rename to hourly_kpis_vw' },
      ]);
    }
  });
});

describe('consistencyChecks', () => {
  it('reports a view that disagrees with the fact table, with examples', () => {
    const checks = consistencyChecks({
      dates: ['2026-01-31'],
      countries: ['FR'],
      artists: ['A'],
      sales: [[0, 0, 0, 250, 2]],
      hourly: [
        [0, 9, -1, 1, 2, 250, 0, 1],
        [0, 9, 0, 1, 2, 250, 0, 1],
      ],
      artistViewRows: [{ session_year: 2026, artist_name: 'A', revenue_cents: 249 }],
      countryViewRows: [{ session_year: 2026, session_month: 1, country_code: 'FR', revenue_cents: '250' }],
      factTotals: { items: 2, revenue_cents: 250 },
      windowStart: '2026-01-01',
      notes: [],
    });
    expect(checks.map((check) => check.ok)).toEqual([true, false, true, true]);
    expect(checks[1].detail).toBe(
      '1 of 1 rows differ from the fact table, e.g. 2026 / A: view 249, fact 250',
    );
  });
});

describe('the sales window: the page holds the latest calendar months, whatever the history', () => {
  it('starts on the first of the month, months - 1 before the newest sale', () => {
    expect(salesWindowStart('2026-02-01', 2)).toBe('2026-01-01');
    expect(salesWindowStart('2026-01-15', 2)).toBe('2025-12-01');
    expect(salesWindowStart('2026-03-31', 1)).toBe('2026-03-01');
    expect(salesWindowStart('2026-01-05', 13)).toBe('2025-01-01');
  });

  it('reads the sales, hourly figures, transform counts and quality runs of the window only', async () => {
    const latest = await loadDashboardData({
      warehouse,
      resultsStore: fixture.results,
      source: 'fixture',
      generatedAt: new Date('2026-02-02T00:00:00Z'),
      salesWindowMonths: 1,
    });
    expect(latest.salesWindow).toEqual({
      from: '2026-02-01',
      to: '2026-02-01',
      months: 1,
      firstSale: '2026-01-30',
    });
    expect(latest.dates).toEqual(['2026-02-01']);
    const [fact] = await warehouse.query(
      "select count(*) as items from deftunes_serving.fact_session_items where session_date >= date '2026-02-01'",
    );
    expect(totalsOf(latest.sales).items).toBe(num(fact.items));
    expect(new Set(latest.hourly.map((cell) => latest.dates[cell[0]]))).toEqual(new Set(['2026-02-01']));
    expect([...new Set(latest.transformRowCounts.map((count) => count.date))]).toEqual(['2026-02-01']);
    expect([...new Set(latest.quality.map((run) => run.runDate))]).toEqual(['2026-02-01']);
    // Every comparison still holds on the window; the yearly view cannot be compared on a part of a year.
    expect(latest.checks.filter((check) => !check.ok)).toEqual([]);
    expect(latest.checks.map((check) => check.name)).not.toContain('sales_per_artist_vw (year, artist)');
    expect(latest.notes).toEqual([
      expect.stringContaining('sales_per_artist_vw is compared on whole years only'),
    ]);
  });

  it('compares the yearly view on whole years only: a partial year that disagrees is not a failure', () => {
    const notes: string[] = [];
    const checks = consistencyChecks({
      dates: ['2026-02-01'],
      countries: ['FR'],
      artists: ['A'],
      sales: [[0, 0, 0, 250, 2]],
      hourly: [],
      // The view holds all of 2026, January included; the window starts in February.
      artistViewRows: [{ session_year: 2026, artist_name: 'A', revenue_cents: 900 }],
      countryViewRows: [{ session_year: 2026, session_month: 2, country_code: 'FR', revenue_cents: 250 }],
      factTotals: { items: 2, revenue_cents: 250 },
      windowStart: '2026-02-01',
      notes,
    });
    expect(checks.map((check) => [check.name, check.ok])).toEqual([
      ['fact_session_items totals', true],
      ['sales_per_country_vw (month, country)', true],
      ['hourly_kpis_vw (revenue and items per hour)', true],
    ]);
    expect(notes).toHaveLength(1);
  });
});
