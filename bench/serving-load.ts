/**
 * Benchmark of serving-load on DuckDB (the local stand-in): synthetic transform data written as parquet,
 * then the duckdb serving plan executed for two days, a re-run of the second day and one of the first (an
 * older date, after the second). Prints the data size, the time per run and the rows per model, and the
 * machine; asserts nothing.
 *
 *   npx tsx bench/serving-load.ts [session items per day ...]     (default: 100000; KEEP=1 keeps the files,
 *   LISTENS=0 leaves the listens empty; else as many plays a day as session items)
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import * as path from 'node:path';
import { buildServingPlan, planPath } from '../bin/build-serving-plan';
import { DuckDbWarehouse } from '../lib/local/adapters/duckdb-warehouse';
import { localPaths } from '../lib/local/data-dir';
import { loadServingPlan } from '../lambdas/shared/serving-plan';
import { runServingLoad } from '../lambdas/serving-load/load';
import { createTransformViews } from '../lib/local/spectrum';
import { BENCH_DAYS, filesUpTo, syntheticSizes, writeSyntheticTransform } from './synthetic-transform';

async function bench(itemsPerDay: number): Promise<void> {
  const dir = mkdtempSync(path.join(tmpdir(), 'deftunes-bench-serving-'));
  // LISTENS=0 leaves the listens table empty (the figures before it was filled).
  const sizes = syntheticSizes(itemsPerDay, process.env.LISTENS !== '0');
  const plan = loadServingPlan(planPath('duckdb'));
  const database = localPaths(dir).warehouseDb;
  try {
    const data = await writeSyntheticTransform(dir, sizes);
    console.log(
      `\n== ${itemsPerDay} session items/day, ${sizes.users} users, ${sizes.tracks} tracks, ${sizes.plays} plays/day, 2 days; parquet ${(data.parquetBytes / 2 ** 20).toFixed(1)} MiB`,
    );

    const warehouse = await DuckDbWarehouse.open(database);
    try {
      for (const [label, day, dayIndex] of [
        ['day 1', BENCH_DAYS[0], 0],
        ['day 2', BENCH_DAYS[1], 1],
        ['day 2 re-run', BENCH_DAYS[1], 1],
        // An older date after a newer one: replays the users snapshots and rebuilds the facts from it on.
        ['day 1 re-run', BENCH_DAYS[0], 1],
      ] as const) {
        await createTransformViews(warehouse, filesUpTo(data, dayIndex));
        const started = performance.now();
        const result = await runServingLoad({ run_date: day }, { warehouse, plan });
        const ms = performance.now() - started;
        const rows = result.models.map((model) => `${model.name}=${model.rows}`).join(' ');
        console.log(
          `${label.padEnd(13)} ${ms.toFixed(0).padStart(7)} ms  ${result.statements} statements  ${rows}`,
        );
      }
    } finally {
      await warehouse.close();
    }
    console.log(`warehouse file ${(statSync(database).size / 2 ** 20).toFixed(1)} MiB`);
  } finally {
    if (!process.env.KEEP) rmSync(dir, { recursive: true, force: true });
    else console.log(dir);
  }
}

async function main(): Promise<void> {
  buildServingPlan('duckdb');
  console.log(
    `machine: ${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, node ${process.version}`,
  );
  const sizes = process.argv.slice(2).map(Number);
  for (const size of sizes.length > 0 ? sizes : [100_000]) await bench(size);
}

void main();
