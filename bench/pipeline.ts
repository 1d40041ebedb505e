/**
 * Benchmark of the local DailyPipeline: per-state and total time of two consecutive days at each given scale
 * (the first pays the Spark JVM start-up, the second is a steady day), and the
 * cost of a day as history accumulates (day N versus day 1 over N consecutive days): the daily cost must
 * not grow with history. Prints figures with the data size and the machine; asserts nothing.
 *
 *   npx tsx bench/pipeline.ts [--scales small,medium] [--history-days 30] [--history-scale tiny]
 *
 * Every run uses a fresh data directory under the OS temp dir and the embedded sources.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import '../lib/local/polyfills';
import { datesBetween } from '../lib/local/cli/options';
import { startLocalGlue } from '../lib/local/pipeline/local-glue';
import { formatMs } from '../lib/local/pipeline/progress';
import { loadDailyPipeline, runPipeline } from '../lib/local/pipeline/run-pipeline';
import type { DateSummary } from '../lib/local/pipeline/run-summary';
import { resolveScale } from '../lib/local/simulator';

const FIRST_DATE = '2020-02-03';
const SECOND_DATE = '2020-02-04';

function machine(): string {
  return `${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`;
}

function taskStates(date: DateSummary): DateSummary['states'] {
  return date.states.filter(
    (state) =>
      /^(Extract|Transform|Check|Load)/.test(state.name) &&
      state.name !== 'ExtractAndTransform' &&
      state.name !== 'ExtractApi' &&
      state.name !== 'ExtractEnrichment',
  );
}

/**
 * CPU seconds (user + system) of this process (pipeline, simulator, songs database, DuckDB) and of its
 * descendants (the Spark runner and its JVM). A descendant that exits takes its seconds with it: the bench's
 * children live through the whole run.
 */
interface CpuSeconds {
  readonly node: number;
  readonly spark: number;
}

/** The kernel's unit of /proc/<pid>/stat times (USER_HZ, 100 on Linux unless told otherwise). */
function clockTicksPerSecond(): number {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
}

/** utime + stime and parent of every process, from /proc (Linux); empty elsewhere. */
function processTable(): Map<number, { parent: number; ticks: number }> {
  const table = new Map<number, { parent: number; ticks: number }>();
  let entries: string[];
  try {
    entries = readdirSync('/proc').filter((entry) => /^\d+$/.test(entry));
  } catch {
    return table;
  }
  for (const entry of entries) {
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // The command name may hold spaces and parentheses: the fields follow its last ')'.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      table.set(Number(entry), { parent: Number(fields[1]), ticks: Number(fields[11]) + Number(fields[12]) });
    } catch {
      // The process ended between the listing and the read.
    }
  }
  return table;
}

function cpuSeconds(ticksPerSecond: number): CpuSeconds | undefined {
  const table = processTable();
  if (!table.has(process.pid)) return undefined;
  const usage = process.cpuUsage();
  let descendants = 0;
  const parents = new Set([process.pid]);
  for (let grew = true; grew;) {
    grew = false;
    for (const [pid, { parent, ticks }] of table) {
      if (parents.has(parent) && !parents.has(pid)) {
        parents.add(pid);
        descendants += ticks;
        grew = true;
      }
    }
  }
  return { node: (usage.user + usage.system) / 1e6, spark: descendants / ticksPerSecond };
}

interface BenchDay {
  readonly summary: DateSummary;
  /** From the date's first state to its end, as its wall time (the listening events delivered before are not in either). */
  readonly cpu?: CpuSeconds;
}

async function runDays(scale: string, dates: string[]): Promise<BenchDay[]> {
  const dataDir = mkdtempSync(path.join(tmpdir(), `deftunes-bench-${scale}-`));
  const ticksPerSecond = clockTicksPerSecond();
  const firstState = new Map<string, CpuSeconds>();
  const cpu = new Map<string, CpuSeconds>();
  let current: string | undefined;
  try {
    const definition = await loadDailyPipeline();
    const summary = await runPipeline({
      dataDir,
      scale,
      dates,
      definition,
      startGlue: startLocalGlue,
      dashboard: false,
      observer: {
        dateStarted: (runDate) => {
          current = runDate;
        },
        stateEntered: () => {
          if (current === undefined || firstState.has(current)) return;
          const now = cpuSeconds(ticksPerSecond);
          if (now) firstState.set(current, now);
        },
        dateFinished: (runDate) => {
          const [start, end] = [firstState.get(runDate), cpuSeconds(ticksPerSecond)];
          if (start && end) cpu.set(runDate, { node: end.node - start.node, spark: end.spark - start.spark });
        },
      },
    });
    if (summary.status !== 'succeeded') {
      throw new Error(
        `the pipeline failed at scale ${scale}: ${JSON.stringify(summary.dates.find((d) => d.error)?.error)}`,
      );
    }
    return summary.dates.map((date) => ({ summary: date, cpu: cpu.get(date.run_date) }));
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

function printDay(label: string, { summary: date, cpu }: BenchDay): void {
  console.log(`  ${label}: total ${formatMs(date.ms)}`);
  if (cpu) {
    const total = cpu.node + cpu.spark;
    console.log(
      `    CPU ${total.toFixed(1)} s (Node: pipeline, simulator, songs database, DuckDB ${cpu.node.toFixed(1)} s; ` +
        `Spark runner and JVM ${cpu.spark.toFixed(1)} s), ${(total / cpus().length).toFixed(1)} s on ${cpus().length} cores at best`,
    );
  }
  for (const state of taskStates(date))
    console.log(
      `    ${state.name.padEnd(24)} ${formatMs(state.ms).padStart(10)}  (from ${formatMs(state.started_ms)} to ${formatMs(state.started_ms + state.ms)})`,
    );
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      scales: { type: 'string', default: 'small,medium' },
      'history-days': { type: 'string', default: '30' },
      'history-scale': { type: 'string', default: 'tiny' },
    },
  });
  console.log(`DailyPipeline local benchmark on ${machine()}`);
  console.log('(the first date of a run includes the Spark JVM start-up, as every local run does)');
  for (const scale of values.scales.split(',').filter(Boolean)) {
    const size = resolveScale(scale);
    console.log(
      `\nscale ${scale}: ${size.songs} songs, ${size.usersAtEpoch} users at epoch, ~${size.itemsPerDay} session items/day`,
    );
    // Day 1 pays the Spark JVM start-up; day 2, in the same run, is what every later day costs.
    const [first, second] = await runDays(scale, datesBetween(FIRST_DATE, SECOND_DATE));
    printDay(`day 1 (${first.summary.run_date})`, first);
    printDay(`day 2 (${second.summary.run_date})`, second);
  }

  const days = Number(values['history-days']);
  if (days >= 2) {
    const scale = values['history-scale'];
    const last = new Date(`${FIRST_DATE}T00:00:00Z`);
    last.setUTCDate(last.getUTCDate() + days - 1);
    const dates = datesBetween(FIRST_DATE, last.toISOString().slice(0, 10));
    console.log(`\nhistory: ${days} consecutive days at scale ${scale} in one run (one JVM)`);
    const history = await runDays(scale, dates);
    // Day 1 also pays the JVM start; day 2 is the first steady-state day to compare with.
    printDay(`day 1 (${history[0].summary.run_date})`, history[0]);
    printDay(`day 2 (${history[1].summary.run_date})`, history[1]);
    printDay(`day ${days} (${history[days - 1].summary.run_date})`, history[days - 1]);
    const ratio = history[days - 1].summary.ms / history[1].summary.ms;
    console.log(`  day ${days} / day 2 total time: ${ratio.toFixed(2)}`);
    console.log(`  every day: ${history.map((d) => (d.summary.ms / 1000).toFixed(1)).join(' ')} s`);
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
