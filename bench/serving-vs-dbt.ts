/**
 * Our serving executor against the real dbt (issue 17, target 5), on the same synthetic transform data
 * (bench/synthetic-transform.ts). Each size gets two DuckDB files holding the same transform views over the
 * same parquet files; for each bench day in order:
 *
 * - ours: `runServingLoad` (the duckdb serving plan in one transaction, error-severity serving tests
 *   guarded inside it) then the serving gate (`runDataQuality` stage serving with the load's guard measures,
 *   as the pipeline's CheckServingQuality runs it: it measures the warn-severity tests), in this process;
 * - dbt: `dbt build --target duckdb --vars '{run_date: D}'` of the same selection (the plan's models and
 *   serving tests) on the other file, and the same command selecting nothing: dbt's floor (Python start-up,
 *   parsing the project), so the figures give dbt's time with and without it.
 *
 * Prints the times, the ratios ours / dbt, the rows of every model in both files (a mismatch is flagged)
 * and the tests that did not pass on either side. PROFILE=1 also prints where the time goes (our
 * statements, dbt's nodes). Asserts nothing.
 *
 *   npx tsx bench/serving-vs-dbt.ts [session items per day ...]   (default: 100000 1000000; KEEP=1 keeps the files;
 *   REPEATS=n runs each day n times from copies of the files, alternating which side goes first, and keeps
 *   each side's fastest run)
 */
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import * as path from 'node:path';
import { buildServingPlan, planPath } from '../bin/build-serving-plan';
import { openLocalDataQuality } from '../lib/local/local-data-quality';
import { runDataQuality, type DataQualityResult } from '../lambdas/data-quality/run-data-quality';
import { runServingLoad, type ServingLoadResult } from '../lambdas/serving-load/load';
import { DuckDbWarehouse } from '../lib/local/adapters/duckdb-warehouse';
import { ZONES } from '../lambdas/shared/platform-names';
import { loadServingPlan, type ServingPlan } from '../lambdas/shared/serving-plan';
import type { Row, SqlParameters, Statement, Warehouse } from '../lambdas/shared/warehouse';
import { localPaths } from '../lib/local/data-dir';
import { createTransformViews } from '../lib/local/spectrum';
import { dbtBuild, NOTHING_SELECTED, servingSelection, type DbtBuildRun } from './dbt-build';
import {
  BENCH_DAYS,
  filesUpTo,
  syntheticSizes,
  writeSyntheticTransform,
  type SyntheticTransform,
} from './synthetic-transform';

const PROFILE = process.env.PROFILE === '1';

/** Time per statement label, when profiling. */
type Timings = Map<string, number>;

/**
 * The warehouse with every statement timed (PROFILE=1): a transaction runs as BEGIN, each statement as a
 * query, COMMIT (ROLLBACK on error) on the same connection, which is what DuckDbWarehouse does.
 */
function timedWarehouse(inner: Warehouse, timings: Timings): Warehouse {
  const timed = async <T>(label: string, work: () => Promise<T>): Promise<T> => {
    const started = performance.now();
    try {
      return await work();
    } finally {
      timings.set(label, (timings.get(label) ?? 0) + performance.now() - started);
    }
  };
  return {
    query: <T extends Row = Row>(sql: string, parameters?: SqlParameters) =>
      timed(`query: ${sql.replace(/\s+/g, ' ').slice(0, 90)}`, () => inner.query<T>(sql, parameters)),
    transaction: async (statements: readonly Statement[]) => {
      await inner.query('begin transaction');
      try {
        const rows: Row[][] = [];
        for (const statement of statements)
          rows.push(
            await timed(statement.label ?? statement.sql.slice(0, 90), () =>
              inner.query(statement.sql, statement.parameters),
            ),
          );
        await inner.query('commit');
        return rows;
      } catch (error) {
        await inner.query('rollback').catch(() => undefined);
        throw error;
      }
    },
    close: () => inner.close(),
  };
}

const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };
const noMetrics = {
  addDimension: () => undefined,
  addMetric: () => undefined,
  publishStoredMetrics: () => undefined,
};

interface OursRun {
  readonly loadMs: number;
  readonly gateMs: number;
  readonly load: ServingLoadResult;
  readonly gate: DataQualityResult;
}

/** Serving load then the serving gate on our file, as the local pipeline runs them. */
async function runOurs(
  dataDir: string,
  warehouse: Warehouse,
  plan: ServingPlan,
  runDate: string,
): Promise<OursRun> {
  const started = performance.now();
  const load = await runServingLoad({ run_date: runDate }, { warehouse, plan });
  const loaded = performance.now();
  const local = await openLocalDataQuality({ dataDir, warehouse, plan, logger: quiet, metrics: noMetrics });
  try {
    const gate = await runDataQuality(
      { run_date: runDate, stage: ZONES.serving, serving_load: load },
      local.deps,
    );
    return { loadMs: loaded - started, gateMs: performance.now() - loaded, load, gate };
  } finally {
    await local.close();
  }
}

/** Rows of every model of the plan in the file dbt built. */
async function dbtRowCounts(databaseFile: string, plan: ServingPlan): Promise<Map<string, number>> {
  const warehouse = await DuckDbWarehouse.open(databaseFile);
  try {
    const rows = await warehouse.query<{ model: string; row_count: number }>(
      plan.models
        .map((model) => `select '${model.name}' as model, count(*) as row_count from ${model.relation}`)
        .join('\nunion all\n'),
    );
    return new Map(rows.map((row) => [row.model, Number(row.row_count)]));
  } finally {
    await warehouse.close();
  }
}

/** Transform views over the day's files in a DuckDB file that no process holds open. */
async function createViewsIn(
  databaseFile: string,
  data: SyntheticTransform,
  dayIndex: number,
): Promise<void> {
  const warehouse = await DuckDbWarehouse.open(databaseFile);
  try {
    await createTransformViews(warehouse, filesUpTo(data, dayIndex));
  } finally {
    await warehouse.close();
  }
}

const seconds = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;

function printRows(ours: ServingLoadResult, dbt: Map<string, number>): number {
  let mismatches = 0;
  const cells = ours.models.map((model) => {
    const theirs = dbt.get(model.name);
    if (model.rows === null) return `${model.name}=view`;
    if (theirs === model.rows) return `${model.name}=${model.rows}`;
    mismatches += 1;
    return `${model.name}=${model.rows} (dbt ${String(theirs)}) MISMATCH`;
  });
  console.log(`  rows (ours = dbt unless flagged): ${cells.join(' ')}`);
  return mismatches;
}

function printOutcomes(gate: DataQualityResult, dbt: DbtBuildRun): void {
  const notPassed = dbt.results
    .filter((result) => result.status !== 'pass' && result.status !== 'success')
    .map((result) => `${result.unique_id.split('.')[2]}=${result.status}`);
  console.log(
    `  ours: gate ${gate.status} (failed: ${gate.failed.join(', ') || 'none'}; warned: ${gate.warned.join(', ') || 'none'}); ` +
      `dbt: ${dbt.results.length} nodes, not passed: ${notPassed.join(', ') || 'none'}`,
  );
}

/** Sum of the timings whose label passes `test`. */
function sumOf(timings: Timings, test: (label: string) => boolean): number {
  return [...timings].filter(([label]) => test(label)).reduce((sum, [, ms]) => sum + ms, 0);
}

function printProfile(timings: Timings, gateMs: number, dbt: DbtBuildRun): void {
  const guard = sumOf(timings, (label) => label.startsWith('serving tests (guard'));
  const counts = sumOf(timings, (label) => label.includes('as model, count(*) as row_count'));
  const models = sumOf(timings, (label) => label.startsWith('model ') || label.startsWith('schema '));
  const dbtOf = (prefix: string): number =>
    dbt.results
      .filter((node) => node.unique_id.startsWith(prefix))
      .reduce((sum, node) => sum + node.execution_time * 1000, 0);
  console.log(
    `  ours: model statements ${seconds(models)}, guards ${seconds(guard)}, row counts ${seconds(counts)}, gate ${seconds(gateMs)}; ` +
      `dbt: models ${seconds(dbtOf('model.'))}, tests ${seconds(dbtOf('test.'))}, ` +
      `the rest of its elapsed_time ${seconds(dbt.elapsedSeconds * 1000 - dbtOf('model.') - dbtOf('test.'))}`,
  );
  const top = [...timings].sort((a, b) => b[1] - a[1]).slice(0, 12);
  console.log('  ours, slowest statements:');
  for (const [label, ms] of top) console.log(`    ${ms.toFixed(0).padStart(6)} ms  ${label.slice(0, 160)}`);
  const nodes = [...dbt.results].sort((a, b) => b.execution_time - a.execution_time).slice(0, 8);
  console.log(`  dbt, slowest nodes (elapsed_time ${dbt.elapsedSeconds.toFixed(2)} s):`);
  for (const node of nodes)
    console.log(`    ${(node.execution_time * 1000).toFixed(0).padStart(6)} ms  ${node.unique_id}`);
}

interface DayFigures {
  readonly day: string;
  readonly ours: number;
  /** Of which the serving load (the rest is the gate). */
  readonly oursLoad: number;
  readonly dbt: number;
  /** dbt's own elapsed_time of the build (after start-up and parsing), ms. */
  readonly dbtElapsed: number;
  readonly floor: number;
  readonly mismatches: number;
  readonly load: string;
}

/** Where a size's two sides keep their files. */
interface Sides {
  readonly oursDir: string;
  readonly oursFile: string;
  readonly dbtDir: string;
  readonly dbtFile: string;
}

/** One run of each side on the files as they are (ours first when `oursFirst`). */
async function runBoth(day: string, plan: ServingPlan, sides: Sides, oursFirst: boolean) {
  const timings: Timings = new Map();
  const runOursOnce = async (): Promise<OursRun> => {
    const warehouse = await DuckDbWarehouse.open(sides.oursFile);
    try {
      return await runOurs(
        sides.oursDir,
        PROFILE ? timedWarehouse(warehouse, timings) : warehouse,
        plan,
        day,
      );
    } finally {
      await warehouse.close();
    }
  };
  const runDbt = async () => ({
    floor: await dbtBuild(sides.dbtFile, day, NOTHING_SELECTED, sides.dbtDir),
    build: await dbtBuild(sides.dbtFile, day, servingSelection(plan), sides.dbtDir),
  });
  if (oursFirst) {
    const ours = await runOursOnce();
    return { ours, ...(await runDbt()), timings };
  }
  const dbt = await runDbt();
  return { ours: await runOursOnce(), ...dbt, timings };
}

/**
 * The day on both sides, REPEATS times (default 1): each repeat starts from copies of the files as they
 * were before the day and alternates which side goes first; the figures are each side's fastest run.
 */
async function benchDay(day: string, plan: ServingPlan, sides: Sides): Promise<DayFigures> {
  const repeats = Math.max(1, Number(process.env.REPEATS ?? 1));
  const before = (file: string): string => `${file}.before-${day}`;
  const files = [sides.oursFile, sides.dbtFile];
  // Both sides have closed their files (a checkpoint on close): the file alone holds the database.
  if (files.some((file) => existsSync(`${file}.wal`))) throw new Error('a DuckDB file still has a WAL');
  if (repeats > 1) for (const file of files) copyFileSync(file, before(file));
  const runs = [];
  for (let repeat = 0; repeat < repeats; repeat += 1) {
    if (repeat > 0) {
      for (const file of files) {
        rmSync(`${file}.wal`, { force: true });
        copyFileSync(before(file), file);
      }
    }
    const load = loadavg()[0].toFixed(1);
    const run = await runBoth(day, plan, sides, repeat % 2 === 0);
    const oursMs = run.ours.loadMs + run.ours.gateMs;
    const { build: dbt, floor } = run;
    console.log(
      `${day} (load ${load}, ${repeat % 2 === 0 ? 'ours first' : 'dbt first'}): ours ${seconds(oursMs)} (serving load ${seconds(run.ours.loadMs)}, ${run.ours.load.statements} statements; ` +
        `gate ${seconds(run.ours.gateMs)}); dbt build ${seconds(dbt.ms)} (its elapsed_time ${dbt.elapsedSeconds.toFixed(2)} s), ` +
        `floor ${seconds(floor.ms)}, without it ${seconds(dbt.ms - floor.ms)}; ` +
        `ratio ${(oursMs / dbt.ms).toFixed(2)}, without dbt's floor ${(oursMs / (dbt.ms - floor.ms)).toFixed(2)}, ` +
        `to dbt's elapsed_time ${(oursMs / (dbt.elapsedSeconds * 1000)).toFixed(2)}`,
    );
    if (PROFILE) printProfile(run.timings, run.ours.gateMs, dbt);
    runs.push({ ...run, oursMs, load });
  }
  const last = runs[runs.length - 1];
  const mismatches = printRows(last.ours.load, await dbtRowCounts(sides.dbtFile, plan));
  printOutcomes(last.ours.gate, last.build);
  const fastestOurs = runs.reduce((best, run) => (run.oursMs < best.oursMs ? run : best));
  const fastest = (values: number[]): number => Math.min(...values);
  return {
    day,
    ours: fastestOurs.oursMs,
    oursLoad: fastestOurs.ours.loadMs,
    dbt: fastest(runs.map((run) => run.build.ms)),
    dbtElapsed: fastest(runs.map((run) => run.build.elapsedSeconds * 1000)),
    floor: fastest(runs.map((run) => run.floor.ms)),
    mismatches,
    load: runs.map((run) => run.load).join(', '),
  };
}

async function bench(itemsPerDay: number, plan: ServingPlan): Promise<DayFigures[]> {
  const dir = mkdtempSync(path.join(tmpdir(), 'deftunes-bench-dbt-'));
  const sizes = syntheticSizes(itemsPerDay, true);
  const oursDir = path.join(dir, 'ours');
  const dbtDir = path.join(dir, 'dbt');
  mkdirSync(dbtDir);
  const dbtFile = path.join(dbtDir, 'deftunes.duckdb');
  const figures: DayFigures[] = [];
  try {
    const data = await writeSyntheticTransform(dir, sizes);
    console.log(
      `\n== ${itemsPerDay} session items/day, ${sizes.plays} plays/day, ${sizes.users} users, ${sizes.tracks} tracks, ` +
        `days ${BENCH_DAYS.join(', ')}; parquet ${(data.parquetBytes / 2 ** 20).toFixed(1)} MiB`,
    );
    const oursFile = localPaths(oursDir).warehouseDb;
    for (const [dayIndex, day] of BENCH_DAYS.entries()) {
      await createViewsIn(oursFile, data, dayIndex);
      await createViewsIn(dbtFile, data, dayIndex);
      figures.push(await benchDay(day, plan, { oursDir, oursFile, dbtDir, dbtFile }));
    }
  } finally {
    if (!process.env.KEEP) rmSync(dir, { recursive: true, force: true });
    else console.log(dir);
  }
  return figures;
}

async function main(): Promise<void> {
  buildServingPlan('duckdb');
  const plan = loadServingPlan(planPath('duckdb'));
  console.log(
    `machine: ${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, node ${process.version}; ` +
      `selection: ${plan.models.length} models, ${servingSelection(plan).length - plan.models.length} serving tests`,
  );
  const sizes = process.argv.slice(2).map(Number);
  const rows: string[] = [];
  for (const size of sizes.length > 0 ? sizes : [100_000, 1_000_000]) {
    for (const day of await bench(size, plan)) {
      rows.push(
        `| ${size.toLocaleString('en-US')} | ${day.day} | ${seconds(day.ours)} (${seconds(day.oursLoad)} + ${seconds(day.ours - day.oursLoad)}) | ` +
          `${seconds(day.dbt)} | ${seconds(day.floor)} | ${seconds(day.dbt - day.floor)} | ${seconds(day.dbtElapsed)} | ` +
          `**${(day.ours / day.dbt).toFixed(2)}** | ${(day.ours / (day.dbt - day.floor)).toFixed(2)} | ${(day.ours / day.dbtElapsed).toFixed(2)} | ` +
          `${day.mismatches === 0 ? 'same' : `${day.mismatches} differ`} | ${day.load} |`,
      );
    }
  }
  console.log(
    '\n| items/day | day | ours (load + gate) | dbt build | dbt floor | dbt - floor | dbt elapsed_time | ours / dbt | ours / (dbt - floor) | ours / elapsed_time | rows per model | load avg |',
  );
  console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |');
  for (const row of rows) console.log(row);
}

void main();
