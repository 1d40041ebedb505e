/// <reference lib="dom" />
/**
 * Benchmark of the BI dashboard: builds a synthetic serving layer in DuckDB (the BI views as dbt defines
 * them), then times reading it, rendering the HTML, opening the page in headless Chromium and re-filtering
 * by country. Prints figures with the data size and the machine; asserts nothing.
 *
 *   npx tsx bench/dashboard.ts [items_per_day] [days] [artists] [countries]
 *   (default: 5000 30 3000 60; the songs catalog has about 4,400 artists). The page holds the latest two
 *   calendar months of sales (issue 17): more days than that leave its size and its build time flat.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import { SERVING_SCHEMA, TRANSFORM_SCHEMA } from '../lambdas/shared/platform-names';
import { DuckDbWarehouse } from '../lib/local/adapters/duckdb-warehouse';
import { buildDashboard } from '../lib/local/dashboard';
import { localPaths } from '../lib/local/data-dir';
import { renderDashboardHtml } from '../lib/local/dashboard/html';
import { loadDashboardData } from '../lib/local/dashboard/load';
import { SERVING_VIEWS } from '../test/dashboard/fixture';

const CHROMIUM = process.env.DEFTUNES_CHROMIUM ?? '/usr/bin/chromium';

async function timed<T>(work: () => Promise<T>): Promise<[T, number]> {
  const started = performance.now();
  const result = await work();
  return [result, performance.now() - started];
}

async function main(): Promise<void> {
  const [itemsPerDay, days, artists, countries] = [5000, 30, 3000, 60].map((fallback, index) => {
    const given = process.argv[2 + index];
    return given === undefined ? fallback : Number(given);
  });
  const items = itemsPerDay * days;
  const users = Math.max(100, Math.round(items / 20));
  const dir = mkdtempSync(path.join(tmpdir(), 'dashboard-bench-'));
  const dbFile = localPaths(dir).warehouseDb;
  try {
    const warehouse = await DuckDbWarehouse.open(dbFile);
    const [, setupMs] = await timed(() =>
      warehouse.transaction(
        [
          `create schema ${SERVING_SCHEMA}`,
          `create schema ${TRANSFORM_SCHEMA}`,
          `create table ${SERVING_SCHEMA}.dim_users as
             select 'uk' || i as user_key, 'user-' || i as user_id,
               chr(65 + cast(i % ${countries} % 26 as integer)) || chr(65 + cast(floor(i % ${countries} / 26) as integer)) as country_code,
               timestamp '2020-01-01' as valid_from, cast(null as timestamp) as valid_to, true as is_current
             from range(${users}) t(i)`,
          `create table ${SERVING_SCHEMA}.dim_artists as
             select 'ak' || i as artist_key, 'AR' || i as artist_id, 'Artist number ' || i as artist_name
             from range(${artists}) t(i)`,
          // Artist popularity is skewed (squared uniform), like real sales.
          `create table ${SERVING_SCHEMA}.fact_session_items as
             with raw as (
               select i, date '2026-01-01' + cast(i % ${days} as integer) as session_date,
                 cast(hash(i) % 24 as integer) as session_hour,
                 cast(hash(i * 7 + 1) % ${users} as bigint) as user_number,
                 cast(floor(pow((hash(i * 13 + 5) % 1000000) / 1000000.0, 2) * ${artists}) as bigint) as artist_number,
                 cast(hash(i * 17 + 3) % 5000 as bigint) as track_number,
                 [0.69, 0.99, 1.29, 1.49, 1.99][1 + cast(hash(i * 31 + 11) % 5 as integer)] as price
               from range(${items}) t(i)
             )
             select 's' || i as session_item_key, 'session-' || (i // 3) as session_id, cast(i % 3 as integer) as item_index,
               'uk' || user_number as user_key, 'sk' || track_number as song_key, 'ak' || artist_number as artist_key,
               'user-' || user_number as user_id, 'TR' || track_number as track_id, 'AR' || artist_number as artist_id,
               session_date + to_hours(session_hour) as session_start_time, session_date, session_hour,
               cast(price as decimal(10, 2)) as price, session_date as ingest_on
             from raw`,
          ...SERVING_VIEWS,
          `create table ${TRANSFORM_SCHEMA}.sessions as select session_id, ingest_on from ${SERVING_SCHEMA}.fact_session_items`,
          `create table ${TRANSFORM_SCHEMA}.users as
             select u.user_id, d.ingest_on from ${SERVING_SCHEMA}.dim_users u,
               (select distinct ingest_on from ${SERVING_SCHEMA}.fact_session_items) d`,
          `create table ${TRANSFORM_SCHEMA}.songs as
             select 'TR' || i as track_id, d.ingest_on from range(10000) t(i),
               (select distinct ingest_on from ${SERVING_SCHEMA}.fact_session_items) d`,
        ].map((sql, index) => ({ sql, label: `bench setup ${index}` })),
      ),
    );

    const [data, loadMs] = await timed(() => loadDashboardData({ warehouse, source: 'bench' }));
    const [, renderMs] = await timed(async () => renderDashboardHtml(data));
    const out = path.join(localPaths(dir).serving, 'dashboard.html');
    const [built, buildMs] = await timed(() => buildDashboard({ warehouse, outFile: out, source: 'bench' }));
    await warehouse.close();

    console.log(
      `machine: ${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`,
    );
    console.log(
      `data: ${items.toLocaleString('en-US')} sold items (${itemsPerDay}/day x ${days} days), ${users} users, ` +
        `${artists} artists, ${countries} countries`,
    );
    console.log(
      `embedded: ${data.sales.length.toLocaleString('en-US')} sales cells, ${data.hourly.length.toLocaleString('en-US')} hourly rows; ` +
        `checks ${data.checks.every((check) => check.ok) ? 'all agree' : 'DIFFER'}`,
    );
    console.log(`synthetic warehouse setup: ${setupMs.toFixed(0)} ms`);
    console.log(`read warehouse (every query of the page): ${loadMs.toFixed(0)} ms`);
    console.log(`render HTML: ${renderMs.toFixed(0)} ms (first render includes bundling the page script)`);
    console.log(
      `buildDashboard end to end: ${buildMs.toFixed(0)} ms, file ${(built.bytes / 2 ** 20).toFixed(2)} MiB`,
    );

    if (!existsSync(CHROMIUM)) {
      console.log(`browser: skipped, no Chromium at ${CHROMIUM} (npm run setup installs it)`);
      return;
    }
    const context = await chromium.launchPersistentContext(path.join(dir, 'profile'), {
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
      ],
      viewport: { width: 1440, height: 900 },
    });
    try {
      const page = context.pages()[0] ?? (await context.newPage());
      const [, openMs] = await timed(async () => {
        await page.goto(pathToFileURL(built.path).href);
        await page.waitForSelector('body[data-renders="1"]', { timeout: 120000 });
      });
      const country = await page.$eval(
        '#filter-country option:nth-child(2)',
        (option) => (option as HTMLOptionElement).value,
      );
      const [, filterMs] = await timed(async () => {
        await page.selectOption('#filter-country', country);
        await page.waitForFunction(() => Number(document.body.dataset.renders) >= 2);
      });
      const [, resetMs] = await timed(async () => {
        const before = Number(await page.getAttribute('body', 'data-renders'));
        await page.click('#filter-reset');
        await page.waitForFunction((count) => Number(document.body.dataset.renders) > count, before);
      });
      console.log(
        `browser: open and first draw ${openMs.toFixed(0)} ms; country filter ${filterMs.toFixed(0)} ms; reset ${resetMs.toFixed(0)} ms`,
      );
    } finally {
      await context.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
