/**
 * `deftunes run` without the command line: synthesizes the CDK app, takes DailyPipeline's deployed
 * definition and runs it once per date, in order, with every Task state bound by name to its local
 * handler. One Spark session (one JVM) serves every Glue state of the run. A failed date stops the run:
 * later dates would build on a day that is not there (the type-2 user dimension is cumulative).
 */
import * as path from 'node:path';
import { loadLocalPlan } from '../local-data-quality';
import type { RunDateBounds } from '../../../lambdas/shared/run-date';
import type { ServingPlan } from '../../../lambdas/shared/serving-plan';
import { synthesizeDailyPipelineDefinition } from '../../daily-pipeline-definition';
import { buildDashboard, DASHBOARD_FILE_NAME } from '../dashboard';
import { acquireDataDirLock } from '../data-dir-lock';
import { redactUrl } from '../redact-url';
import { localEnvironmentConfig, localRunDateBounds } from '../run-date-bounds';
import { executeDefinition, type ExecutionObserver, type ExecutionOutcome } from './execute-definition';
import { dailyPipelineBindings, type LocalGlue } from './local-bindings';
import { deliverListensBefore, localListensDelivery } from './listens-delivery';
import { LocalServices, type LocalServicesOptions } from './local-services';
import { formatMs } from './progress';
import type { StateMachineDefinition } from './local-stepfunctions';
import { buildRunSummary, summarizeStates, type DateSummary, type RunSummary } from './run-summary';
import {
  bindTaskStates,
  collectTaskStates,
  singleStateDefinition,
  type LocalTaskHandler,
} from './task-states';

export interface RunObserver extends ExecutionObserver {
  dateStarted?(runDate: string, index: number, total: number): void;
  dateFinished?(runDate: string, status: string, ms: number): void;
  note?(message: string): void;
}

export interface RunPipelineOptions extends LocalServicesOptions {
  /** Run dates, run in this order. */
  readonly dates: readonly string[];
  /** The environment whose DailyPipeline is synthesized. @default 'dev' */
  readonly environment?: string;
  readonly observer?: RunObserver;
  /** Starts the local Glue (the Spark runner); called at most once per run. */
  readonly startGlue: (dataDir: string) => Promise<LocalGlue & { close(): Promise<void> }>;
  /** @default DailyPipeline synthesized from the CDK app for `environment` */
  readonly definition?: StateMachineDefinition;
  /** @default the duckdb plan built by `npm run build` */
  readonly plan?: ServingPlan;
  /** @default the bounds of `environment` in cdk.json */
  readonly runDateBounds?: RunDateBounds;
  /** Write the dashboard at the end. @default true */
  readonly dashboard?: boolean;
  /**
   * Run dates whose source day is declared empty (`declared_empty` in the execution input): the gate's
   * empty-day rules warn instead of failing for them.
   * @default none
   */
  readonly declaredEmpty?: readonly string[];
  /**
   * Before each date, the simulator's listening events are delivered up to the end of the date's window;
   * up to this time (ISO 8601) when it is earlier: a run that happens before the late events arrive.
   * @default the end of each date's window (docs/listening-events.md, Local)
   */
  readonly listensDeliveredUntil?: string;
}

export async function loadDailyPipeline(environment = 'dev'): Promise<StateMachineDefinition> {
  const { definition } = await synthesizeDailyPipelineDefinition(environment);
  return definition as unknown as StateMachineDefinition;
}

interface LocalPipeline {
  readonly services: LocalServices;
  readonly handlers: Record<string, LocalTaskHandler>;
}

/**
 * Takes the data directory's lock (one run per directory; `command` is what the lock says), starts the
 * stand-ins, binds the definition's Task states, runs `body`, and closes everything.
 */
async function withLocalPipeline<T>(
  options: Omit<RunPipelineOptions, 'dates'>,
  definition: StateMachineDefinition,
  command: string,
  body: (pipeline: LocalPipeline) => Promise<T>,
  bindOptions: { allowUnusedBindings?: boolean } = {},
): Promise<T> {
  const note = (message: string) => options.observer?.note?.(message);
  const lock = acquireDataDirLock(options.dataDir, {
    command,
    warn: (message) => note(`warning: ${message}`),
  });
  try {
    return await withLocalServices(options, definition, body, bindOptions);
  } finally {
    lock.release();
  }
}

async function withLocalServices<T>(
  options: Omit<RunPipelineOptions, 'dates'>,
  definition: StateMachineDefinition,
  body: (pipeline: LocalPipeline) => Promise<T>,
  bindOptions: { allowUnusedBindings?: boolean },
): Promise<T> {
  const plan = options.plan ?? loadLocalPlan();
  const note = (message: string) => options.observer?.note?.(message);
  const started = Date.now();
  note(
    options.apiUrl && options.songsDbUrl && options.concertsApiUrl && options.artistStatsApiUrl
      ? 'opening the local warehouse'
      : `starting the sources (API simulator and songs database at scale ${options.scale ?? 'tiny'})`,
  );
  const services = await LocalServices.start(options);
  const { concerts, artistStats } = services.enrichment;
  note(
    `sources ready in ${formatMs(Date.now() - started)}: API ${redactUrl(services.apiUrl)}, songs ${redactUrl(services.songsDbUrl)}, ` +
      `concerts ${redactUrl(concerts.url)} (${concerts.settings.requestsPerSecond}/s), ` +
      `artist statistics ${redactUrl(artistStats.url)} (${artistStats.settings.requestsPerSecond}/s)`,
  );
  let glue: Promise<LocalGlue & { close(): Promise<void> }> | undefined;
  const startGlue = () => (glue ??= options.startGlue(services.paths.root));
  try {
    const bindings = dailyPipelineBindings({
      services,
      plan,
      runDateBounds: options.runDateBounds ?? localRunDateBounds(options.environment),
      latenessHours: localEnvironmentConfig(options.environment).stream.latenessHours,
      glue: startGlue,
      onNotification: (subject) => options.observer?.note?.(`notification: ${subject}`),
    });
    const handlers = bindTaskStates(definition, bindings, bindOptions);
    if (collectTaskStates(definition).some((task) => task.service === 'glue')) {
      // The JVM starts while the extracts run; a failure to start surfaces in the first Glue state.
      startGlue().catch(() => undefined);
    }
    return await body({ services, handlers });
  } finally {
    await glue?.then((runner) => runner.close()).catch(() => undefined);
    await services.close();
  }
}

export async function runPipeline(options: RunPipelineOptions): Promise<RunSummary> {
  const definition = options.definition ?? (await loadDailyPipeline(options.environment));
  const observer = options.observer;
  const command = `deftunes run ${options.dates[0]}..${options.dates[options.dates.length - 1]}`;
  const note = (message: string) => observer?.note?.(message);
  return withLocalPipeline(options, definition, command, async ({ services, handlers }) => {
    const dates: DateSummary[] = [];
    for (const [index, runDate] of options.dates.entries()) {
      if (dates.some((date) => date.status === 'failed')) {
        dates.push({ run_date: runDate, status: 'skipped', ms: 0, states: [] });
        continue;
      }
      observer?.dateStarted?.(runDate, index, options.dates.length);
      await deliverListensBefore(runDate, localListensDelivery(services, { ...options, note }));
      services.log({ level: 'INFO', message: 'execution started', run_date: runDate });
      const outcome = await executeDefinition({
        definition,
        input: {
          run_date: runDate,
          ...(options.declaredEmpty?.includes(runDate) ? { declared_empty: true } : {}),
        },
        handlers,
        observer,
      });
      services.log({
        level: outcome.status === 'succeeded' ? 'INFO' : 'ERROR',
        message: `execution ${outcome.status}`,
        run_date: runDate,
        ms: outcome.ms,
        error: outcome.failure,
      });
      observer?.dateFinished?.(runDate, outcome.status, outcome.ms);
      dates.push({
        run_date: runDate,
        status: outcome.status,
        ms: outcome.ms,
        states: summarizeStates(outcome.states),
        error: outcome.failure,
      });
    }

    const summary = await buildRunSummary(services, dates);
    if (options.dashboard !== false) {
      const dashboard = await buildDashboard({
        warehouse: services.warehouse,
        resultsStore: services.serving,
        outFile: path.join(services.paths.serving, DASHBOARD_FILE_NAME),
        source: `the local warehouse ${services.paths.warehouseDb}`,
      });
      summary.dashboard = dashboard.path;
      for (const check of dashboard.checks.filter((candidate) => !candidate.ok)) {
        options.observer?.note?.(`dashboard check failed: ${check.name}: ${check.detail}`);
        services.log({
          level: 'WARN',
          message: 'dashboard check failed',
          check: check.name,
          detail: check.detail,
        });
      }
      for (const note of dashboard.notes) options.observer?.note?.(`dashboard: ${note}`);
    }
    return summary;
  });
}

export interface SingleStateOptions extends Omit<RunPipelineOptions, 'dates' | 'dashboard'> {
  readonly state: string;
  readonly runDate: string;
}

/** Runs one state of DailyPipeline with input `{run_date}` (`deftunes step`). */
export async function runSingleState(
  options: SingleStateOptions,
): Promise<ExecutionOutcome & { run_log: string }> {
  const definition = singleStateDefinition(
    options.definition ?? (await loadDailyPipeline(options.environment)),
    options.state,
  );
  return withLocalPipeline(
    options,
    definition,
    `deftunes step ${options.state} ${options.runDate}`,
    async ({ services, handlers }) => {
      const note = (message: string) => options.observer?.note?.(message);
      await deliverListensBefore(options.runDate, localListensDelivery(services, { ...options, note }));
      const outcome = await executeDefinition({
        definition,
        input: { run_date: options.runDate },
        handlers,
        observer: options.observer,
      });
      services.log({
        level: 'INFO',
        message: `step ${options.state} ${outcome.status}`,
        run_date: options.runDate,
      });
      return { ...outcome, run_log: services.paths.runLog };
    },
    { allowUnusedBindings: true },
  );
}

/** The number of Task states a date runs through when all goes well (sizes the progress bar). */
export function happyPathTaskCount(definition: StateMachineDefinition): number {
  const failurePath = new Set(['NotifyFailure', 'ReleaseRunLockAfterFailure']);
  return collectTaskStates(definition).filter((task) => !failurePath.has(task.name)).length;
}
