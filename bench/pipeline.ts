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
import { mkdtempSync, rmSync } from 'node:fs';
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

async function runDays(scale: string, dates: string[]): Promise<DateSummary[]> {
  const dataDir = mkdtempSync(path.join(tmpdir(), `deftunes-bench-${scale}-`));
  try {
    const definition = await loadDailyPipeline();
    const summary = await runPipeline({
      dataDir,
      scale,
      dates,
      definition,
      startGlue: startLocalGlue,
      dashboard: false,
    });
    if (summary.status !== 'succeeded') {
      throw new Error(
        `the pipeline failed at scale ${scale}: ${JSON.stringify(summary.dates.find((d) => d.error)?.error)}`,
      );
    }
    return summary.dates;
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

function printDay(label: string, date: DateSummary): void {
  console.log(`  ${label}: total ${formatMs(date.ms)}`);
  for (const state of taskStates(date))
    console.log(`    ${state.name.padEnd(24)} ${formatMs(state.ms).padStart(10)}`);
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
    printDay(`day 1 (${first.run_date})`, first);
    printDay(`day 2 (${second.run_date})`, second);
  }

  const days = Number(values['history-days']);
  if (days >= 2) {
    const scale = values['history-scale'];
    const last = new Date(`${FIRST_DATE}T00:00:00Z`);
    last.setUTCDate(last.getUTCDate() + days - 1);
    const dates = datesBetween(FIRST_DATE, last.toISOString().slice(0, 10));
    console.log(`\nhistory: ${days} consecutive days at scale ${scale} in one run (one JVM)`);
    const summaries = await runDays(scale, dates);
    // Day 1 also pays the JVM start; day 2 is the first steady-state day to compare with.
    printDay(`day 1 (${summaries[0].run_date})`, summaries[0]);
    printDay(`day 2 (${summaries[1].run_date})`, summaries[1]);
    printDay(`day ${days} (${summaries[days - 1].run_date})`, summaries[days - 1]);
    const ratio = summaries[days - 1].ms / summaries[1].ms;
    console.log(`  day ${days} / day 2 total time: ${ratio.toFixed(2)}`);
    console.log(`  every day: ${summaries.map((d) => (d.ms / 1000).toFixed(1)).join(' ')} s`);
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
