/**
 * `deftunes run --from D1 [--to D2]`: runs the deployed DailyPipeline definition locally, once per date,
 * on the embedded stand-ins, then prints a summary (a table, or one JSON object with --json).
 * `deftunes step STATE --date D`: runs one state of that definition.
 */
import { Command, Option } from 'commander';
import { DEFAULT_DATA_DIR, requireUsableDataDir } from '../data-dir';
import { ARTIST_STATS_API_KEY_ENV, CONCERTS_API_KEY_ENV } from '../enrichment-settings';
import { checkDataDirFree } from '../data-dir-lock';
import type { ExecutionFailure } from '../pipeline/execute-definition';
import { startLocalGlue } from '../pipeline/local-glue';
import { checkLocalSparkToolchain } from '../spark-runner';
import { ProgressReporter, formatMs } from '../pipeline/progress';
import {
  happyPathTaskCount,
  loadDailyPipeline,
  runPipeline,
  runSingleState,
  type RunPipelineOptions,
} from '../pipeline/run-pipeline';
import type { RunSummary } from '../pipeline/run-summary';
import {
  datesBetween,
  parseIsoTime,
  parseRunDate,
  parseRunDateList,
  parseRate,
  parseScale,
  parseSeed,
  parseUrl,
} from './options';

interface SourceOptions {
  dataDir: string;
  scale: string;
  seed: number;
  apiFaultRate: number;
  badRecordRate: number;
  tidyShapes?: boolean;
  apiUrl?: string;
  songsDbUrl?: string;
  concertsApiUrl?: string;
  artistStatsApiUrl?: string;
  listensDeliveredUntil?: string;
  json?: boolean;
}

function addSourceOptions(command: Command): Command {
  return command
    .addOption(
      new Option(
        '--data-dir <dir>',
        'local data directory (landing, Iceberg warehouse, DuckDB, run log)',
      ).default(process.env.DEFTUNES_DATA_DIR ?? DEFAULT_DATA_DIR),
    )
    .addOption(
      new Option('--scale <name|factor>', 'simulator data size').default('tiny').argParser(parseScale),
    )
    .addOption(new Option('--seed <n>', 'simulator seed').default(42).argParser(parseSeed))
    .addOption(
      new Option('--api-fault-rate <r>', 'fraction of API requests the simulator fails')
        .default(0)
        .argParser(parseRate),
    )
    .addOption(
      new Option('--bad-record-rate <r>', 'fraction of source records the simulator corrupts')
        .default(0)
        .argParser(parseRate),
    )
    .option(
      '--tidy-shapes',
      'the simulator serves tidy records (UTC times with Z, time order, one artist spelling, every buyer ' +
        'profiled) instead of the real API shapes',
    )
    .addOption(
      new Option('--api-url <url>', 'use this DeFtunes API instead of the simulator').argParser(parseUrl),
    )
    .addOption(
      new Option(
        '--songs-db-url <url>',
        'use this Postgres (postgres://...) instead of the embedded songs database',
      ).argParser(parseUrl),
    )
    .addOption(
      new Option(
        '--concerts-api-url <url>',
        `use this concerts API instead of the simulator's (its key from ${CONCERTS_API_KEY_ENV}; paced as in cdk.json)`,
      ).argParser(parseUrl),
    )
    .addOption(
      new Option(
        '--artist-stats-api-url <url>',
        `use this artist statistics API instead of the simulator's (its key from ${ARTIST_STATS_API_KEY_ENV}; paced as in cdk.json)`,
      ).argParser(parseUrl),
    )
    .addOption(
      new Option(
        '--listens-delivered-until <time>',
        "deliver the simulator's listening events up to this time (ISO 8601, e.g. 2020-01-02T06:00:00Z) at " +
          "most, instead of up to the end of each date's window (its day + cdk.json's stream.latenessHours): " +
          'a run that happens before the late events arrive',
      ).argParser(parseIsoTime),
    )
    .option('--json', 'print the summary as one JSON object on stdout (progress stays on stderr)');
}

function failureLine(runDate: string, failure: ExecutionFailure, runLog: string): string {
  return `${runDate} failed at ${failure.state}: ${failure.error}: ${failure.cause}\n  details: ${runLog}`;
}

export function formatSummary(summary: RunSummary): string {
  const lines: string[] = [];
  lines.push(`DailyPipeline ${summary.status} for ${summary.dates.length} date(s)`);
  for (const date of summary.dates) {
    lines.push(`  ${date.run_date}  ${date.status.padEnd(9)} ${formatMs(date.ms)}`);
    for (const state of date.states.filter(
      (candidate) => candidate.ms > 0 || candidate.status !== 'succeeded',
    )) {
      lines.push(`    ${state.name.padEnd(24)} ${state.status.padEnd(9)} ${formatMs(state.ms)}`);
    }
    if (date.error) lines.push(`    ${failureLine(date.run_date, date.error, summary.run_log)}`);
  }
  lines.push('Serving tables (rows):');
  for (const [table, rows] of Object.entries(summary.tables)) lines.push(`  ${table.padEnd(28)} ${rows}`);
  lines.push('Quarantined records (extraction + transform):');
  for (const [source, counts] of Object.entries(summary.quarantined)) {
    lines.push(`  ${source.padEnd(28)} ${counts.total} (${counts.extraction} + ${counts.transform})`);
  }
  lines.push('Data quality:');
  for (const [runDate, stages] of Object.entries(summary.dq)) {
    for (const [stage, result] of Object.entries(stages)) {
      const detail = [
        result.failed.length ? `failed: ${result.failed.join(', ')}` : '',
        result.warned.length ? `warned: ${result.warned.join(', ')}` : '',
      ]
        .filter(Boolean)
        .join('; ');
      lines.push(`  ${runDate} ${stage.padEnd(10)} ${result.status}${detail ? ` (${detail})` : ''}`);
    }
  }
  lines.push(`Data directory: ${summary.data_dir}`);
  lines.push(`Run log:        ${summary.run_log}`);
  if (summary.dashboard) lines.push(`Dashboard:      ${summary.dashboard}`);
  return `${lines.join('\n')}\n`;
}

function pipelineOptions(options: SourceOptions): Omit<RunPipelineOptions, 'dates'> {
  return {
    dataDir: options.dataDir,
    scale: options.scale,
    seed: options.seed,
    apiFaultRate: options.apiFaultRate,
    badRecordRate: options.badRecordRate,
    tidyShapes: options.tidyShapes ?? false,
    apiUrl: options.apiUrl,
    songsDbUrl: options.songsDbUrl,
    concertsApiUrl: options.concertsApiUrl,
    artistStatsApiUrl: options.artistStatsApiUrl,
    listensDeliveredUntil: options.listensDeliveredUntil,
    // Keys come from the environment only, never from the command line (it shows in `ps`).
    concertsApiKey: process.env[CONCERTS_API_KEY_ENV] || undefined,
    artistStatsApiKey: process.env[ARTIST_STATS_API_KEY_ENV] || undefined,
    startGlue: startLocalGlue,
  };
}

export function registerRunCommand(program: Command): void {
  addSourceOptions(
    program
      .command('run')
      .description(
        'Run the deployed DailyPipeline state machine definition locally, once per date in order, on the embedded ' +
          'stand-ins (simulator, PGlite, local Spark with Iceberg, DuckDB); then print a summary and write the dashboard.',
      )
      .requiredOption('--from <date>', 'first run date (YYYY-MM-DD)', parseRunDate)
      .option('--to <date>', 'last run date (YYYY-MM-DD); default: --from', parseRunDate)
      .option(
        '--declared-empty <dates>',
        'comma-separated run dates whose source day is really empty (an outage, a shutdown): their empty or ' +
          'collapsed volume warns instead of failing the gate',
        parseRunDateList,
      ),
  ).action(async (options: SourceOptions & { from: string; to?: string; declaredEmpty?: string[] }) => {
    const dates = datesBetween(options.from, options.to ?? options.from);
    const outside = (options.declaredEmpty ?? []).filter((date) => !dates.includes(date));
    if (outside.length > 0)
      throw new Error(
        `--declared-empty ${outside.join(', ')}: not a date of this run (${dates[0]}..${dates.at(-1)})`,
      );
    requireUsableDataDir(options.dataDir);
    checkDataDirFree(options.dataDir);
    checkLocalSparkToolchain();
    process.stderr.write("synthesizing the CDK app for DailyPipeline's definition\n");
    const definition = await loadDailyPipeline();
    const progress = new ProgressReporter({ taskCount: happyPathTaskCount(definition) });
    const summary = await runPipeline({
      ...pipelineOptions(options),
      dates,
      definition,
      observer: progress,
      declaredEmpty: options.declaredEmpty,
    });
    process.stdout.write(options.json ? `${JSON.stringify(summary, null, 2)}\n` : formatSummary(summary));
    for (const date of summary.dates) {
      if (date.error)
        process.stderr.write(`deftunes: ${failureLine(date.run_date, date.error, summary.run_log)}\n`);
    }
    if (summary.status !== 'succeeded') process.exitCode = 1;
  });
}

export function registerStepCommand(program: Command): void {
  addSourceOptions(
    program
      .command('step')
      .description(
        'Run one state of DailyPipeline locally (a Task, or a Parallel with its branches) with input {"run_date": D}, ' +
          'against the data directory left by earlier runs.',
      )
      .argument(
        '<state>',
        'state name, e.g. ExtractSessions, TransformApi, CheckTransformQuality, LoadServing',
      )
      .requiredOption('--date <date>', 'run date (YYYY-MM-DD)', parseRunDate),
  ).action(async (state: string, options: SourceOptions & { date: string }) => {
    requireUsableDataDir(options.dataDir);
    checkDataDirFree(options.dataDir);
    checkLocalSparkToolchain();
    const outcome = await runSingleState({ ...pipelineOptions(options), state, runDate: options.date });
    const report = { state, run_date: options.date, ...outcome };
    if (options.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    else {
      process.stdout.write(`${state} ${outcome.status} in ${formatMs(outcome.ms)}\n`);
      if (outcome.output !== undefined) process.stdout.write(`${JSON.stringify(outcome.output, null, 2)}\n`);
    }
    if (outcome.failure) {
      process.stderr.write(`deftunes: ${failureLine(options.date, outcome.failure, outcome.run_log)}\n`);
      process.exitCode = 1;
    }
  });
}
