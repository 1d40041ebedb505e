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
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { QUALITY_STAGES, SERVING_SCHEMA } from '../lambdas/shared/platform-names';
import { DuckDbWarehouse } from '../lib/local/adapters/duckdb-warehouse';
import { localPaths } from '../lib/local/data-dir';
import { duckdbPlan } from '../test/fixtures/warehouse';
import { buildSyntheticWarehouse, FIRST_DATE, ITEMS_PER_SESSION } from '../test/quality/fixtures';
import { addDays, cleanDayGate, machineLine, notPassed, slowestRules, timeStage } from './quality-gate';

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

    const counts = { songs: sizes.songs, users: sizes.users, sessions: sessionsPerDay };
    const [{ fact_rows: factRows }] = await warehouse.query<{ fact_rows: number }>(
      `select count(*) as fact_rows from ${SERVING_SCHEMA}.fact_session_items`,
    );
    const deps = await cleanDayGate(paths, warehouse, plan, runDate, counts);
    const line = [
      `items/day ${itemsPerDay.toLocaleString('en-US')}`,
      `history ${historyDays} days (fact ${Number(factRows).toLocaleString('en-US')} rows,`,
      `transform sessions ${(itemsPerDay * historyDays).toLocaleString('en-US')} rows,`,
      `DuckDB file ${(statSync(paths.warehouseDb).size / 2 ** 20).toFixed(0)} MiB, built in ${(buildMs / 1000).toFixed(1)} s)`,
    ].join(' ');
    process.stdout.write(`${line}\n`);
    for (const stage of QUALITY_STAGES) {
      const timed = await timeStage(deps, runDate, stage);
      const slowest = slowestRules(timed.rules, 3)
        .map((rule) => `${rule.rule} ${rule.elapsed_ms} ms`)
        .join(', ');
      process.stdout.write(
        `  ${stage.padEnd(9)} ${String(timed.rules.length).padStart(2)} rules in ${timed.ms.toFixed(0)} ms (${timed.result.status}); slowest: ${slowest}\n`,
      );
      if (notPassed(timed)) process.stdout.write(`    ${notPassed(timed)}\n`);
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
  process.stdout.write(`${machineLine()}\n`);
  for (const items of itemsPerDay) {
    for (const history of [8, 30]) await measure(items, history);
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`bench/quality: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
