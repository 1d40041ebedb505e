/**
 * Cost of the serving side with a long history (issue 17, target 4: day 365 within 1.1x of day 2 at
 * `tiny`). The quality tests' synthetic days (test/quality/fixtures.ts) are generated once for the whole
 * history into a side schema; then, day after day, that day's partition of every transform table is
 * appended to deftunes_transform (as the daily jobs append to the Iceberg tables) and serving-load runs the
 * duckdb plan for it (the call test/fixtures/warehouse.ts makes). On the measured days both stages of the
 * gate run too. Prints, for each measured day, the fact rows, the day's load, the mean load of the 7 days
 * ending on it (of days 2 to 8 for day 2), each gate stage (median of the repeats), their ratios to day 2,
 * and the slowest serving rules of the last measured day; with the machine and /proc/loadavg before and
 * after. Asserts nothing.
 *
 *   npx tsx bench/serving-history.ts [--days 365] [--measure 2,30,180,365] [--scale tiny] [--repeat 3]
 *
 * `--scale` is the simulator's (lib/local/simulator/scale.ts): its songs, users at epoch and session items
 * a day size the synthetic data (sessions of 5 items); the plays a day stay the fixture's 100.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { runServingLoad } from '../lambdas/serving-load/load';
import {
  LISTENS_TABLE,
  QUALITY_STAGES,
  SERVING_SCHEMA,
  TRANSFORM_SCHEMA,
  TRANSFORM_TABLES,
  type QualityStage,
  type TransformTable,
} from '../lambdas/shared/platform-names';
import type { ServingPlan } from '../lambdas/shared/serving-plan';
import type { Row, Statement, Warehouse } from '../lambdas/shared/warehouse';
import { DuckDbWarehouse } from '../lib/local/adapters/duckdb-warehouse';
import { localPaths, type LocalPaths } from '../lib/local/data-dir';
import { resolveScale, type ScaleSizes } from '../lib/local/simulator/scale';
import { duckdbPlan, runStatements } from '../test/fixtures/warehouse';
import {
  FIRST_DATE,
  ITEMS_PER_SESSION,
  syntheticTransformSql,
  type SyntheticSizes,
} from '../test/quality/fixtures';
import {
  addDays,
  cleanDayGate,
  loadAverage,
  machineLine,
  notPassed,
  timeStage,
  type SourceCounts,
} from './quality-gate';

/** The schema holding every day of the synthetic transform tables, appended from day by day. */
const ALL_DAYS_SCHEMA = 'bench_all_days';
/** Days of serving loads averaged for a measured day (noise on a shared machine). */
const LOAD_WINDOW = 7;
const SLOWEST = 5;
/** Where the load's queries outside its transaction (what exists, row counts) are timed. */
const OUTSIDE = 'queries outside the transaction (what exists, row counts)';

interface Options {
  readonly days: number;
  /** Day numbers (day 1 = {@link FIRST_DATE}) measured, ascending, the first the baseline. */
  readonly measure: readonly number[];
  readonly scale: ScaleSizes;
  /** Runs of each gate stage on a measured day (median taken). */
  readonly repeat: number;
}

function parseOptions(argv: readonly string[]): Options {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      days: { type: 'string', default: '365' },
      measure: { type: 'string', default: '2,30,180,365' },
      scale: { type: 'string', default: 'tiny' },
      repeat: { type: 'string', default: '3' },
    },
  });
  const days = Number(values.days);
  const repeat = Number(values.repeat);
  const measure = [...new Set(values.measure.split(',').map(Number))]
    .filter((day) => day <= days)
    .sort((a, b) => a - b);
  // Day 5 is the first the synthetic data can end on (user 7 moves on 2020-02-05).
  if (!Number.isInteger(days) || days < 5 || !Number.isInteger(repeat) || repeat < 1) {
    throw new Error('--days must be an integer >= 5 and --repeat a positive integer');
  }
  if (measure.length === 0 || measure.some((day) => !Number.isInteger(day) || day < 2)) {
    throw new Error('--measure must list day numbers from 2 to --days, e.g. 2,30,180,365');
  }
  return { days, measure, scale: resolveScale(values.scale), repeat };
}

function syntheticSizes(scale: ScaleSizes, runDate: string): SyntheticSizes {
  return {
    runDate,
    users: scale.usersAtEpoch,
    songs: scale.songs,
    sessionsPerDay: Math.max(1, Math.round(scale.itemsPerDay / ITEMS_PER_SESSION)),
  };
}

const partitionColumn = (table: TransformTable): string =>
  table === LISTENS_TABLE ? 'listen_date' : 'ingest_on';

/** Every day of the synthetic tables in {@link ALL_DAYS_SCHEMA}, and the transform tables empty. */
function historySql(sizes: SyntheticSizes): string[] {
  return [
    ...syntheticTransformSql(sizes).map((sql) => sql.replaceAll(TRANSFORM_SCHEMA, ALL_DAYS_SCHEMA)),
    `create schema ${TRANSFORM_SCHEMA}`,
    ...TRANSFORM_TABLES.map(
      (table) =>
        `create table ${TRANSFORM_SCHEMA}.${table} as select * from ${ALL_DAYS_SCHEMA}.${table} where false`,
    ),
  ];
}

/** Appends `date`'s partition of every table, as that day's transform jobs do. */
function appendDaySql(date: string): string[] {
  return TRANSFORM_TABLES.map(
    (table) =>
      `insert into ${TRANSFORM_SCHEMA}.${table} select * from ${ALL_DAYS_SCHEMA}.${table}
       where ${partitionColumn(table)} = date '${date}'`,
  );
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/** The {@link LOAD_WINDOW} day numbers ending on `day`, or the first ones from day 2 on (day 1 creates the tables). */
function windowDays(day: number): number[] {
  const first = Math.max(2, day - LOAD_WINDOW + 1);
  return Array.from({ length: LOAD_WINDOW }, (_, offset) => first + offset);
}

/** Mean of `values` (of day i + 1 at index i) over the window of `day`, the days run so far. */
function windowMean(values: readonly number[], day: number): number {
  const window = windowDays(day).filter((windowDay) => windowDay <= values.length);
  return window.reduce((sum, windowDay) => sum + values[windowDay - 1], 0) / window.length;
}

/** Mean time of each statement label over the window of `day` (`byDay[i]`: day i + 1's loads). */
function windowStatementMeans(byDay: readonly Map<string, number>[], day: number): Map<string, number> {
  const labels = new Set(windowDays(day).flatMap((windowDay) => [...(byDay[windowDay - 1]?.keys() ?? [])]));
  return new Map(
    [...labels].map((label) => [
      label,
      windowMean(
        byDay.map((times) => times.get(label) ?? 0),
        day,
      ),
    ]),
  );
}

/**
 * The warehouse as serving-load sees it, timing each statement of its transaction by label (guards: the
 * packed serving tests) and its other queries together under {@link OUTSIDE}. The transaction is the same
 * BEGIN ... COMMIT on the same connection DuckDbWarehouse runs, one statement at a time.
 */
function statementTimer(warehouse: Warehouse): { warehouse: Warehouse; times: Map<string, number> } {
  const times = new Map<string, number>();
  const add = (label: string, ms: number): void => {
    times.set(label, (times.get(label) ?? 0) + ms);
  };
  const timed: Warehouse = {
    query: async (sql, parameters) => {
      const started = performance.now();
      const rows = await warehouse.query(sql, parameters);
      add(OUTSIDE, performance.now() - started);
      return rows as never;
    },
    transaction: async (statements: readonly Statement[]) => {
      await warehouse.query('begin transaction');
      try {
        const rows: Row[][] = [];
        for (const [index, { sql, parameters, label }] of statements.entries()) {
          const started = performance.now();
          rows.push(await warehouse.query(sql, parameters));
          // Dates in labels (the replay's bounds) vary by day: one label across days.
          const name = (label ?? `statement ${index + 1}`).replace(/\d{4}-\d{2}-\d{2}/g, 'YYYY-MM-DD');
          add(name, performance.now() - started);
        }
        await warehouse.query('commit');
        return rows;
      } catch (error) {
        await warehouse.query('rollback').catch(() => undefined);
        throw error;
      }
    },
    close: () => warehouse.close(),
  };
  return { warehouse: timed, times };
}

interface DayFigures {
  readonly day: number;
  readonly date: string;
  readonly factSessionItems: number;
  readonly factListens: number;
  readonly loadMs: number;
  readonly loadWindowMs: number;
  /** The load's mean time per statement label over the window (dates in labels as YYYY-MM-DD). */
  readonly loadStatementMs: Map<string, number>;
  /** Median wall time per stage. */
  readonly stageMs: Record<QualityStage, number>;
  /** Median time of each serving rule. */
  readonly servingRuleMs: Map<string, number>;
  readonly notPassed: string[];
}

async function countRows(warehouse: DuckDbWarehouse, table: string): Promise<number> {
  const [{ rows }] = await warehouse.query<{ rows: unknown }>(
    `select count(*) as rows from ${SERVING_SCHEMA}.${table}`,
  );
  return Number(rows);
}

/** Both stages of the gate on `date`, `repeat` times each. */
async function measureGate(
  context: { paths: LocalPaths; warehouse: DuckDbWarehouse; plan: ServingPlan; counts: SourceCounts },
  date: string,
  repeat: number,
): Promise<Pick<DayFigures, 'stageMs' | 'servingRuleMs' | 'notPassed'>> {
  const deps = await cleanDayGate(context.paths, context.warehouse, context.plan, date, context.counts);
  const stageMs = {} as Record<QualityStage, number>;
  const ruleRuns = new Map<string, number[]>();
  const failures = new Set<string>();
  for (const stage of QUALITY_STAGES) {
    const runs: number[] = [];
    for (let run = 0; run < repeat; run++) {
      const timed = await timeStage(deps, date, stage);
      runs.push(timed.ms);
      if (notPassed(timed)) failures.add(`${stage} ${notPassed(timed)}`);
      if (stage !== 'serving') continue;
      for (const rule of timed.rules)
        ruleRuns.set(rule.rule, [...(ruleRuns.get(rule.rule) ?? []), rule.elapsed_ms]);
    }
    stageMs[stage] = median(runs);
  }
  const servingRuleMs = new Map([...ruleRuns].map(([rule, times]) => [rule, median(times)]));
  return { stageMs, servingRuleMs, notPassed: [...failures] };
}

const ms = (value: number): string => value.toFixed(0);
const ratio = (value: number, base: number): string => (value / base).toFixed(2);
const count = (value: number): string => value.toLocaleString('en-US');

function printFigures(figures: readonly DayFigures[]): void {
  const base = figures[0];
  const lines = [
    '| day (date) | fact_session_items | fact_listens | load, the day | load, 7-day mean | transform gate | serving gate |',
    '| --- | --- | --- | --- | --- | --- | --- |',
    ...figures.map((day) =>
      [
        `| ${day.day} (${day.date})`,
        count(day.factSessionItems),
        count(day.factListens),
        `${ms(day.loadMs)} ms (${ratio(day.loadMs, base.loadMs)})`,
        `${ms(day.loadWindowMs)} ms (${ratio(day.loadWindowMs, base.loadWindowMs)})`,
        `${ms(day.stageMs.transform)} ms (${ratio(day.stageMs.transform, base.stageMs.transform)})`,
        `${ms(day.stageMs.serving)} ms (${ratio(day.stageMs.serving, base.stageMs.serving)}) |`,
      ].join(' | '),
    ),
  ];
  process.stdout.write(`\n(ratio to day ${base.day} in brackets)\n${lines.join('\n')}\n`);
  for (const day of figures) {
    if (day.notPassed.length > 0) process.stdout.write(`day ${day.day}: ${day.notPassed.join('; ')}\n`);
  }
  const last = figures[figures.length - 1];
  const write = (title: string, byName: Map<string, number>, before: Map<string, number>): void => {
    // A guard's label lists every test it packs: cut at the colon.
    const short = (name: string): string =>
      name.length > 100 ? `${name.slice(0, name.indexOf(':'))}: ...` : name;
    const entries = [...byName].map(([name, time]) => ({
      name: short(name),
      time,
      before: before.get(name) ?? NaN,
    }));
    const picked = (order: (a: (typeof entries)[0], b: (typeof entries)[0]) => number): string =>
      [...entries]
        .sort(order)
        .slice(0, SLOWEST)
        .map(
          ({ name, time, before: then }) => `  ${name}: ${ms(time)} ms; ${ms(then)} ms; ${ratio(time, then)}`,
        )
        .join('\n');
    const columns = `(ms on day ${last.day}; on day ${base.day}; ratio)`;
    process.stdout.write(
      `\n${SLOWEST} slowest ${title} on day ${last.day} ${columns}\n${picked((a, b) => b.time - a.time)}\n` +
        `${SLOWEST} ${title} grown most since day ${base.day} ${columns}\n${picked(
          (a, b) => b.time - b.before - (a.time - a.before),
        )}\n`,
    );
  };
  write('serving rules (gate, median)', last.servingRuleMs, base.servingRuleMs);
  write('statements of the load (7-day mean)', last.loadStatementMs, base.loadStatementMs);
  // The dimensions that once re-read every sessions partition (issue 17, target 4), whatever their rank.
  const dimensions = [...last.loadStatementMs]
    .filter(([name]) => /^model (dim_songs|dim_artists|dim_date|int_first_sales):/.test(name))
    .map(
      ([name, time]) =>
        `  ${name}: ${ms(time)} ms; ${ms(base.loadStatementMs.get(name) ?? NaN)} ms; ${ratio(time, base.loadStatementMs.get(name) ?? NaN)}`,
    );
  process.stdout.write(
    `\nthe catalog and date dimensions' statements (7-day mean; ms on day ${last.day}; on day ${base.day}; ratio)\n${dimensions.join('\n')}\n`,
  );
}

async function run(options: Options): Promise<void> {
  const dir = mkdtempSync(path.join(tmpdir(), 'bench-serving-history-'));
  const paths = localPaths(dir);
  const plan = duckdbPlan();
  const dates = Array.from({ length: options.days }, (_, index) => addDays(FIRST_DATE, index));
  const sizes = syntheticSizes(options.scale, dates[dates.length - 1]);
  const counts = { songs: sizes.songs, users: sizes.users, sessions: sizes.sessionsPerDay };
  process.stdout.write(
    `scale ${options.scale.name}: ${count(sizes.sessionsPerDay * ITEMS_PER_SESSION)} session items a day (${sizes.sessionsPerDay} sessions), ${sizes.users} users, ${sizes.songs} songs; ${options.days} days from ${FIRST_DATE}; measured days ${options.measure.join(', ')}; gate stages ${options.repeat} times each\n`,
  );
  const warehouse = await DuckDbWarehouse.open(paths.warehouseDb);
  try {
    const started = performance.now();
    await runStatements(warehouse, historySql(sizes), 'synthetic history');
    process.stdout.write(`synthetic history generated in ${ms(performance.now() - started)} ms\n`);
    const loadMs: number[] = [];
    const statementMs: Map<string, number>[] = [];
    const figures: DayFigures[] = [];
    for (const [index, date] of dates.entries()) {
      const day = index + 1;
      await runStatements(warehouse, appendDaySql(date), `append ${date}`);
      const timer = statementTimer(warehouse);
      const loadStarted = performance.now();
      await runServingLoad({ run_date: date }, { warehouse: timer.warehouse, plan });
      loadMs.push(performance.now() - loadStarted);
      statementMs.push(timer.times);
      if (day % 30 === 0) {
        process.stdout.write(
          `day ${day}: load ${ms(loadMs[index])} ms, ${ms(performance.now() - started)} ms so far\n`,
        );
      }
      if (!options.measure.includes(day)) continue;
      const gate = await measureGate({ paths, warehouse, plan, counts }, date, options.repeat);
      figures.push({
        day,
        date,
        factSessionItems: await countRows(warehouse, 'fact_session_items'),
        factListens: await countRows(warehouse, 'fact_listens'),
        loadMs: loadMs[index],
        loadWindowMs: NaN,
        loadStatementMs: new Map(),
        ...gate,
      });
    }
    for (const [index, figure] of figures.entries()) {
      figures[index] = {
        ...figure,
        loadWindowMs: windowMean(loadMs, figure.day),
        loadStatementMs: windowStatementMeans(statementMs, figure.day),
      };
    }
    printFigures(figures);
    await warehouse.query('checkpoint');
    process.stdout.write(
      `\nwhole run ${(performance.now() - started) / 1000} s; DuckDB file ${(statSync(paths.warehouseDb).size / 2 ** 20).toFixed(1)} MiB\n`,
    );
  } finally {
    await warehouse.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  process.stdout.write(`${machineLine()}\nload average before: ${loadAverage()}\n`);
  await run(options);
  process.stdout.write(`load average after: ${loadAverage()}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`bench/serving-history: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
