/// <reference lib="dom" />
/**
 * End to end: builds the dashboard from the fixture warehouse, opens it in headless Chromium (Debian's
 * `chromium`, driven by playwright-core; no browser download) with every network request refused, and
 * checks what a reader sees: every chart drawn, the totals equal to the warehouse's, and the filters
 * recomputing the numbers. Saves screenshots to test-artifacts/.
 *
 * Chromium comes from `npm run setup` (bin/setup.sh installs the Debian package when missing);
 * DEFTUNES_CHROMIUM may name another Chromium or Chrome binary.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import type { DuckDbWarehouse } from '../../lib/local/adapters/duckdb-warehouse';
import { buildDashboard } from '../../lib/local/dashboard';
import { createFixture, HOSTILE_ARTIST } from './fixture';
import { localPaths } from '../../lib/local/data-dir';

const CHROMIUM = process.env.DEFTUNES_CHROMIUM ?? '/usr/bin/chromium';
const ARTIFACTS = path.join(__dirname, '..', '..', 'test-artifacts');
const CHART_IDS = [
  'artists',
  'countries',
  'hourly',
  'quality',
  'rows',
  'top-songs',
  'concert-locations',
  'sales-concerts',
  'listening-hourly',
  'genres',
];

const usd = new Intl.NumberFormat('en-US', { style: 'currency', currency: 'USD' });
const integer = new Intl.NumberFormat('en-US');

let dir: string;
let warehouse: DuckDbWarehouse;
let context: BrowserContext;
let page: Page;
const problems: string[] = [];
const requests: string[] = [];

/** The warehouse's own answer, straight from SQL on the fixture (not through the dashboard's code). */
async function expectedTotals(where = 'true'): Promise<{ revenue: string; items: string; cents: number }> {
  const [row] = await warehouse.query(`
    select count(*) as items, coalesce(sum(f.price), 0) as revenue
    from deftunes_serving.fact_session_items f
    left join deftunes_serving.dim_users u on u.user_key = f.user_key
    where ${where}`);
  const revenue = Number(row.revenue);
  return {
    revenue: usd.format(revenue),
    items: integer.format(Number(row.items)),
    cents: Math.round(revenue * 100),
  };
}

async function shownTotals(): Promise<{ revenue: string; items: string; cents: number }> {
  return {
    revenue: (await page.textContent('#total-revenue')) ?? '',
    items: (await page.textContent('#total-items')) ?? '',
    cents: Number(await page.getAttribute('#total-revenue', 'data-cents')),
  };
}

/** Runs a filter action and waits until the page has redrawn for it. */
async function afterRender(action: () => Promise<unknown>): Promise<void> {
  const before = Number(await page.getAttribute('body', 'data-renders'));
  await action();
  await page.waitForFunction((count) => Number(document.body.dataset.renders) > count, before);
}

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `Chromium not found at ${CHROMIUM}. The dashboard browser test needs it: run \`npm run setup\` as root ` +
        "(it installs Debian's chromium when missing), or `sudo apt-get update && sudo apt-get install -y chromium`, " +
        'or set DEFTUNES_CHROMIUM to a Chromium/Chrome binary.',
    );
  }
  dir = mkdtempSync(path.join(tmpdir(), 'dashboard-browser-'));
  const fixture = await createFixture(dir);
  warehouse = await fixture.openWarehouse();
  const built = await buildDashboard({
    warehouse,
    resultsStore: fixture.results,
    outFile: path.join(localPaths(dir).serving, 'dashboard.html'),
    source: 'test fixture (DuckDB)',
  });
  context = await chromium.launchPersistentContext(path.join(dir, 'chromium-profile'), {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
    viewport: { width: 1440, height: 900 },
    deviceScaleFactor: 1,
  });
  // The page must work offline: refuse (and record) every request that is not the file itself.
  await context.route('**/*', (route) => {
    const url = route.request().url();
    if (url.startsWith('file:')) return route.continue();
    requests.push(url);
    return route.abort();
  });
  page = context.pages()[0] ?? (await context.newPage());
  page.on('console', (message) => {
    if (message.type() === 'error' || message.type() === 'warning')
      problems.push(`console: ${message.text()}`);
  });
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  await page.goto(pathToFileURL(built.path).href);
  await page.waitForSelector('body[data-renders="1"]', { timeout: 30000 });
});

afterAll(async () => {
  await context?.close();
  await warehouse?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('the dashboard in Chromium', () => {
  it('loads without errors, policy violations or network requests', () => {
    expect(problems).toEqual([]);
    expect(requests).toEqual([]);
  });

  it('draws every chart', async () => {
    for (const id of CHART_IDS) {
      const drawn = await page.evaluate((chartId) => {
        const canvas = document.getElementById(`${chartId}-chart`) as HTMLCanvasElement;
        const chart = (
          window as unknown as { Chart: { getChart(c: HTMLCanvasElement): unknown } }
        ).Chart.getChart(canvas) as { data: { datasets: { data: unknown[] }[] } } | undefined;
        const pixels = canvas.getContext('2d')?.getImageData(0, 0, canvas.width, canvas.height).data ?? [];
        let painted = 0;
        for (let index = 3; index < pixels.length; index += 4) if (pixels[index] > 0) painted += 1;
        return {
          chart: chart !== undefined,
          points: chart?.data.datasets.reduce((sum, dataset) => sum + dataset.data.length, 0) ?? 0,
          width: canvas.width,
          height: canvas.height,
          painted,
          label: canvas.getAttribute('aria-label') ?? '',
        };
      }, id);
      expect({ id, chart: drawn.chart }).toEqual({ id, chart: true });
      expect(drawn.points).toBeGreaterThan(0);
      expect(drawn.width * drawn.height).toBeGreaterThan(100 * 100);
      // A drawn chart paints a good share of its canvas (bars, axes, labels); an empty one paints nothing.
      expect({ id, enough: drawn.painted > 0.02 * drawn.width * drawn.height }).toEqual({ id, enough: true });
      expect(drawn.label.length).toBeGreaterThan(10);
    }
  });

  it("shows the warehouse's totals, and tables that add up to them", async () => {
    const expected = await expectedTotals();
    expect(await shownTotals()).toEqual(expected);
    const footers = await page.$$eval('#artists-table tfoot td, #countries-table tfoot td', (cells) =>
      cells.map((cell) => cell.textContent),
    );
    expect(footers.filter((text) => text === expected.revenue)).toHaveLength(2);
    const rowsTotal = await page.textContent('#rows-table tfoot td');
    expect(rowsTotal).toBe(expected.items);
  });

  it('shows hostile names as text', async () => {
    const artists = await page.$$eval('#artists-table tbody td', (cells) =>
      cells.map((cell) => cell.textContent),
    );
    expect(artists).toContain(HOSTILE_ARTIST);
    expect(await page.$$eval('script', (scripts) => scripts.length)).toBe(3);
  });

  it('recomputes every number for a country, then a date range, then resets', async () => {
    await afterRender(() => page.selectOption('#filter-country', 'FR'));
    expect(await shownTotals()).toEqual(await expectedTotals("u.country_code = 'FR'"));

    const [top] = await warehouse.query(`
      select a.artist_name, sum(f.price) as revenue from deftunes_serving.fact_session_items f
      join deftunes_serving.dim_users u on u.user_key = f.user_key
      join deftunes_serving.dim_artists a on a.artist_key = f.artist_key
      where u.country_code = 'FR' group by 1 order by 2 desc, 1 limit 1`);
    const firstRow = await page.$$eval('#artists-table tbody tr:first-child td', (cells) =>
      cells.map((cell) => cell.textContent),
    );
    expect(firstRow.slice(1, 3)).toEqual([top.artist_name, usd.format(Number(top.revenue))]);

    const [hours] = await warehouse.query(`
      select count(distinct (f.session_date, f.session_hour)) as hours from deftunes_serving.fact_session_items f
      join deftunes_serving.dim_users u on u.user_key = f.user_key where u.country_code = 'FR'`);
    expect(await page.$$eval('#hourly-table tbody tr', (rows) => rows.length)).toBe(Number(hours.hours));
    const countries = await page.$$eval('#countries-table tbody tr td:nth-child(2)', (cells) =>
      cells.map((cell) => cell.textContent),
    );
    expect(new Set(countries)).toEqual(new Set(['FR']));

    await afterRender(() => page.fill('#filter-from', '2026-01-31'));
    await afterRender(() => page.fill('#filter-to', '2026-01-31'));
    expect(await shownTotals()).toEqual(
      await expectedTotals("u.country_code = 'FR' and f.session_date = date '2026-01-31'"),
    );
    expect(await page.$$eval('#rows-table tbody tr', (rows) => rows.length)).toBe(1);
    expect(await page.$$eval('#quality-table tbody tr', (rows) => rows.length)).toBe(2);
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: path.join(ARTIFACTS, 'dashboard-filtered.png'), fullPage: true });

    await afterRender(() => page.fill('#filter-from', '2026-02-01'));
    expect(await page.textContent('#filter-summary')).toBe(
      '"From" (2026-02-01) is after "To" (2026-01-31): nothing to show.',
    );
    expect(await page.getAttribute('#filter-from', 'aria-invalid')).toBe('true');
    expect(await page.textContent('#total-items')).toBe('0');

    await afterRender(() => page.click('#filter-reset'));
    expect(await shownTotals()).toEqual(await expectedTotals());
    expect(problems).toEqual([]);
  });

  it("shows the listening of the date range's latest day, and of an earlier day when 'To' moves", async () => {
    const playsOn = async (day: string) => {
      const [row] = await warehouse.query(
        `select count(*) as plays from deftunes_serving.fact_listens where listen_date = date '${day}'`,
      );
      return integer.format(Number(row.plays));
    };
    const footers = async () => ({
      hourly: await page.textContent('#listening-hourly-table tfoot td'),
      genres: await page.textContent('#genres-table tfoot td'),
    });
    const latest = await playsOn('2026-02-01');
    expect(await footers()).toEqual({ hourly: latest, genres: latest });
    expect(await page.textContent('#listening-hourly-note')).toContain('2026-02-01, the latest of 14');

    await afterRender(() => page.fill('#filter-to', '2026-01-25'));
    const earlier = await playsOn('2026-01-25');
    expect(await footers()).toEqual({ hourly: earlier, genres: earlier });
    expect(await page.textContent('#genres-note')).toContain('2026-01-25, the latest of 7');
    await afterRender(() => page.click('#filter-reset'));
    expect(problems).toEqual([]);
  });

  it('saves a screenshot', async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    const file = path.join(ARTIFACTS, 'dashboard.png');
    await page.screenshot({ path: file, fullPage: true });
    expect(existsSync(file)).toBe(true);
  });
});
