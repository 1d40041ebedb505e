import {
  dataDateRange,
  filterSales,
  formatInteger,
  formatMoney,
  hourlyKpis,
  qualityRuns,
  revenueByCountryAndMonth,
  rowCountsPerDay,
  topArtists,
  totalsOf,
  transformTables,
} from '../../lib/local/dashboard/aggregate';
import { NO_ENRICHMENT } from '../../lib/local/dashboard/enrichment-model';
import { NO_LISTENING } from '../../lib/local/dashboard/listening-model';
import { NO_FILTER, type DashboardData, type QualityRun } from '../../lib/local/dashboard/model';

const run = (runDate: string, stage: string, status: QualityRun['status']): QualityRun => ({
  runDate,
  stage,
  status,
  startedAt: `${runDate}T02:00:00.000Z`,
  finishedAt: `${runDate}T02:00:01.000Z`,
  passed: 3,
  warned: status === 'warned' ? 1 : 0,
  failed: status === 'failed' ? 1 : 0,
  problems: [],
});

// dates: 0 = 2026-01-31, 1 = 2026-02-01, 2 = 2026-02-02; countries: 0 = FR, 1 = US; artists: 0 = A, 1 = B, 2 = C
const data: DashboardData = {
  schemaVersion: 1,
  title: 't',
  generatedAt: '2026-02-03T00:00:00.000Z',
  source: 'test',
  salesWindow: { from: '2026-01-01', to: '2026-02-02', months: 2, firstSale: '2026-01-31' },
  currency: 'USD',
  dates: ['2026-01-31', '2026-02-01', '2026-02-02'],
  countries: ['FR', 'US'],
  artists: ['A', 'B', 'C'],
  sales: [
    [0, 0, 0, 199, 1],
    [0, 1, 1, 500, 4],
    [1, 0, 1, 300, 2],
    [1, 1, 2, 300, 3],
    [2, 1, 0, 101, 1],
  ],
  hourly: [
    [0, 9, -1, 3, 5, 699, 1, 0.6],
    [1, 10, -1, 2, 5, 600, 2, 1],
    [2, 8, -1, 1, 1, 101, 0, 1],
    [0, 9, 0, 1, 1, 199, 0, 1],
    [0, 9, 1, 2, 4, 500, 1, 0.5],
    [1, 10, 0, 1, 2, 300, 1, 1],
    [1, 10, 1, 1, 3, 300, 2, 1],
    [2, 8, 1, 1, 1, 101, 0, 1],
  ],
  enrichment: NO_ENRICHMENT,
  listening: NO_LISTENING,
  transformRowCounts: [
    { date: '2026-01-31', table: 'sessions', rows: 5 },
    { date: '2026-02-01', table: 'sessions', rows: 5 },
    { date: '2026-02-01', table: 'users', rows: 40 },
    { date: '2026-02-03', table: 'users', rows: 41 },
  ],
  quality: [
    run('2026-02-01', 'serving', 'failed'),
    run('2026-01-31', 'transform', 'passed'),
    run('2026-02-01', 'transform', 'warned'),
  ],
  checks: [],
  notes: [],
};

describe('filterSales and totalsOf', () => {
  it('keeps everything without a filter and adds up exactly', () => {
    expect(totalsOf(filterSales(data, NO_FILTER))).toEqual({
      revenueCents: 1400,
      items: 11,
      artists: 3,
      countries: 2,
      days: 3,
    });
  });

  it('filters by an inclusive date range', () => {
    const cells = filterSales(data, { from: '2026-02-01', to: '2026-02-01', country: null });
    expect(totalsOf(cells)).toMatchObject({ revenueCents: 600, items: 5, days: 1 });
    expect(filterSales(data, { from: '2026-02-01', to: null, country: null })).toHaveLength(3);
    expect(filterSales(data, { from: null, to: '2026-01-31', country: null })).toHaveLength(2);
  });

  it('filters by country, and an unknown country selects nothing', () => {
    expect(totalsOf(filterSales(data, { from: null, to: null, country: 'US' }))).toMatchObject({
      revenueCents: 901,
      items: 8,
      countries: 1,
    });
    expect(filterSales(data, { from: null, to: null, country: 'JP' })).toEqual([]);
  });

  it('combines the filters', () => {
    const cells = filterSales(data, { from: '2026-02-01', to: null, country: 'US' });
    expect(totalsOf(cells)).toMatchObject({ revenueCents: 401, items: 4 });
  });
});

describe('topArtists', () => {
  it('orders by revenue, ties by name, and cuts at the limit', () => {
    // A: 300, B: 800, C: 300
    expect(topArtists(data, data.sales, 10)).toEqual([
      { artist: 'B', revenueCents: 800, items: 6 },
      { artist: 'A', revenueCents: 300, items: 2 },
      { artist: 'C', revenueCents: 300, items: 3 },
    ]);
    expect(topArtists(data, data.sales, 1).map((entry) => entry.artist)).toEqual(['B']);
    expect(topArtists(data, [], 5)).toEqual([]);
  });
});

describe('revenueByCountryAndMonth', () => {
  it('groups by month and country, countries by revenue', () => {
    const matrix = revenueByCountryAndMonth(data, data.sales);
    expect(matrix.months).toEqual(['2026-01', '2026-02']);
    expect(matrix.countries).toEqual(['US', 'FR']);
    expect(matrix.revenue).toEqual([
      [500, 401],
      [199, 300],
    ]);
    expect(matrix.rows).toEqual([
      { month: '2026-01', country: 'US', revenueCents: 500, items: 4 },
      { month: '2026-01', country: 'FR', revenueCents: 199, items: 1 },
      { month: '2026-02', country: 'US', revenueCents: 401, items: 4 },
      { month: '2026-02', country: 'FR', revenueCents: 300, items: 2 },
    ]);
  });
});

describe('hourlyKpis', () => {
  it('shows the view rows for all countries and the country rows for one', () => {
    expect(
      hourlyKpis(data, NO_FILTER).map((row) => [row.date, row.hour, row.revenueCents, row.topArtist]),
    ).toEqual([
      ['2026-01-31', 9, 699, 'B'],
      ['2026-02-01', 10, 600, 'C'],
      ['2026-02-02', 8, 101, 'A'],
    ]);
    expect(hourlyKpis(data, { from: '2026-02-01', to: null, country: 'FR' })).toEqual([
      {
        date: '2026-02-01',
        hour: 10,
        uniqueBuyers: 1,
        itemsSold: 2,
        revenueCents: 300,
        topArtist: 'B',
        trackDiversityIndex: 1,
      },
    ]);
    expect(hourlyKpis(data, { from: null, to: null, country: 'JP' })).toEqual([]);
  });
});

describe('rowCountsPerDay', () => {
  it('adds the transform tables only for all countries', () => {
    const all = rowCountsPerDay(data, data.sales, NO_FILTER);
    expect(all).toEqual([
      { date: '2026-01-31', factRows: 5, transform: { sessions: 5 } },
      { date: '2026-02-01', factRows: 5, transform: { sessions: 5, users: 40 } },
      { date: '2026-02-02', factRows: 1, transform: {} },
      { date: '2026-02-03', factRows: 0, transform: { users: 41 } },
    ]);
    const filter = { from: null, to: '2026-02-01', country: 'FR' };
    expect(rowCountsPerDay(data, filterSales(data, filter), filter)).toEqual([
      { date: '2026-01-31', factRows: 1, transform: {} },
      { date: '2026-02-01', factRows: 2, transform: {} },
    ]);
    expect(transformTables(data.transformRowCounts)).toEqual(['sessions', 'users']);
    expect(
      transformTables([
        { date: 'd', table: 'songs', rows: 1 },
        { date: 'd', table: 'albums', rows: 1 },
        { date: 'd', table: 'sessions', rows: 1 },
      ]),
    ).toEqual(['sessions', 'songs', 'albums']);
  });
});

describe('qualityRuns and dataDateRange', () => {
  it('orders runs by date then stage and follows the date filter', () => {
    expect(qualityRuns(data, NO_FILTER).map((q) => `${q.runDate} ${q.stage}`)).toEqual([
      '2026-01-31 transform',
      '2026-02-01 transform',
      '2026-02-01 serving',
    ]);
    expect(qualityRuns(data, { from: '2026-02-01', to: '2026-02-01', country: 'US' })).toHaveLength(2);
  });

  it('spans sales, quality and transform dates', () => {
    expect(dataDateRange(data)).toEqual({ from: '2026-01-31', to: '2026-02-03' });
    expect(dataDateRange({ ...data, dates: [], quality: [], transformRowCounts: [] })).toBeNull();
  });
});

describe('formatting', () => {
  it('formats cents exactly', () => {
    expect(formatMoney(0)).toBe('$0.00');
    expect(formatMoney(5)).toBe('$0.05');
    expect(formatMoney(123456789)).toBe('$1,234,567.89');
    expect(formatMoney(-150)).toBe('-$1.50');
    expect(formatMoney(Number.MAX_SAFE_INTEGER)).toBe('$90,071,992,547,409.91');
    expect(formatMoney(100, 'EUR')).toBe('EUR 1.00');
    expect(formatInteger(1234567)).toBe('1,234,567');
    expect(formatInteger(999)).toBe('999');
  });
});
