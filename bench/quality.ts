/**
 * Benchmark of the data-quality gate on DuckDB (the local stand-in for Redshift): synthetic transform
 * tables and the serving star schema serving-load builds from them, one load per day
 * (test/quality/fixtures.ts), at a given daily volume, then both stages of the
 * gate for the last day, with 8 and with 30 days of history, so the figures show which stage grows with
 * history (transform reads the run date's partition and, for volume, the 7 days before; serving checks
 * whole tables). Prints data sizes, time per stage, the slowest rules and the machine; asserts nothing.
 *
 *   npx tsx bench/quality.ts [session items per day ...]     (default: 20000 200000)
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import * as path from 'node:path';
import { jobResultsKey } from '../lambdas/data-quality/quarantine-rate';
import type { ResultDocument } from '../lambdas/data-quality/result-document';
import { resultDocumentKey } from '../lambdas/data-quality/result-document';
import {
  runDataQuality,
  type QualityLogger,
  type QualityMetrics,
} from '../lambdas/data-quality/run-data-quality';
import { QUALITY_STAGES, SERVING_SCHEMA } from '../lambdas/shared/platform-names';
import { DuckDbWarehouse } from '../lib/local/adapters/duckdb-warehouse';
import { landingManifestKey } from '../lambdas/shared/landing-keys';
import { LocalObjectStore } from '../lib/local/adapters/local-object-store';
import { localPaths } from '../lib/local/data-dir';
import { duckdbPlan } from '../test/fixtures/warehouse';
import { buildSyntheticWarehouse, FIRST_DATE, ITEMS_PER_SESSION } from '../test/quality/fixtures';

const quiet: QualityLogger = { info: () => undefined, warn: () => undefined, error: () => undefined };
const noMetrics: QualityMetrics = {
  addDimension: () => undefined,
  addMetric: () => undefined,
};

function addDays(date: string, days: number): string {
  const day = new Date(`${date}T00:00:00Z`);
  day.setUTCDate(day.getUTCDate() + days);
  return day.toISOString().slice(0, 10);
}

async function measure(itemsPerDay: number, historyDays: number): Promise<void> {
  const dir = mkdtempSync(path.join(tmpdir(), 'bench-quality-'));
  const paths = localPaths(dir);
  const runDate = addDays(FIRST_DATE, historyDays - 1);
  const sessionsPerDay = Math.ceil(itemsPerDay / ITEMS_PER_SESSION);
  const sizes = {
    runDate,
    users: Math.max(100, sessionsPerDay),
    songs: Math.max(1000, itemsPerDay / 2),
    sessionsPerDay,
  };
  const plan = duckdbPlan();
  const warehouse = await DuckDbWarehouse.open(paths.warehouseDb);
  try {
    const buildStarted = Date.now();
    await buildSyntheticWarehouse(warehouse, plan, sizes);
    await warehouse.query('checkpoint');
    const buildMs = Date.now() - buildStarted;

    const landing = new LocalObjectStore(paths.landing);
    const jobResults = new LocalObjectStore(paths.warehouse);
    const counts = { songs: sizes.songs, users: sizes.users, sessions: sessionsPerDay };
    for (const [source, records] of Object.entries(counts) as ['songs' | 'users' | 'sessions', number][]) {
      await landing.putObject(landingManifestKey(source, runDate), JSON.stringify({ records, rejected: 0 }));
      await jobResults.putObject(
        jobResultsKey(source, runDate),
        JSON.stringify({ read: records, written: records, quarantined: 0 }),
      );
    }
    const [{ fact_rows: factRows }] = await warehouse.query<{ fact_rows: number }>(
      `select count(*) as fact_rows from ${SERVING_SCHEMA}.fact_session_items`,
    );
    const results = new LocalObjectStore(paths.serving);
    const deps = {
      warehouse,
      plan,
      landingStore: landing,
      resultsStore: results,
      transformCounts: async (source: 'songs' | 'users' | 'sessions') => ({
        read: counts[source],
        written: counts[source],
        quarantined: 0,
      }),
      logger: quiet,
      metrics: noMetrics,
      concurrency: 1,
    };
    const line = [
      `items/day ${itemsPerDay.toLocaleString('en-US')}`,
      `history ${historyDays} days (fact ${Number(factRows).toLocaleString('en-US')} rows,`,
      `transform sessions ${(itemsPerDay * historyDays).toLocaleString('en-US')} rows,`,
      `DuckDB file ${(statSync(paths.warehouseDb).size / 2 ** 20).toFixed(0)} MiB, built in ${(buildMs / 1000).toFixed(1)} s)`,
    ].join(' ');
    process.stdout.write(`${line}\n`);
    for (const stage of QUALITY_STAGES) {
      const started = Date.now();
      const result = await runDataQuality({ run_date: runDate, stage }, deps);
      const ms = Date.now() - started;
      const document = JSON.parse(
        (await results.getObject(resultDocumentKey(runDate, stage))).toString('utf8'),
      ) as ResultDocument;
      const slowest = [...document.rules]
        .sort((a, b) => b.elapsed_ms - a.elapsed_ms)
        .slice(0, 3)
        .map((rule) => `${rule.rule} ${rule.elapsed_ms} ms`)
        .join(', ');
      process.stdout.write(
        `  ${stage.padEnd(9)} ${String(document.rules.length).padStart(2)} rules in ${ms} ms (${result.status}); slowest: ${slowest}\n`,
      );
      if (result.status !== 'passed') {
        process.stdout.write(`    not passed: ${[...result.failed, ...result.warned].join(', ')}\n`);
      }
    }
  } finally {
    await warehouse.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const volumes = process.argv.slice(2).map(Number);
  const itemsPerDay = volumes.length > 0 ? volumes : [20_000, 200_000];
  if (itemsPerDay.some((value) => !Number.isInteger(value) || value <= 0)) {
    throw new Error('usage: npx tsx bench/quality.ts [session items per day ...] (positive integers)');
  }
  process.stdout.write(
    `machine: ${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, node ${process.version}\n`,
  );
  for (const items of itemsPerDay) {
    for (const history of [8, 30]) await measure(items, history);
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`bench/quality: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
