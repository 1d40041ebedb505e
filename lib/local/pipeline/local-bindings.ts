/**
 * DailyPipeline's Task states, by name, bound to the same functions the deployed Lambdas and Glue jobs
 * run, on the local stand-ins. Each adapter speaks the service integration's shapes, so the deployed
 * definition's Parameters and ResultSelectors work unchanged:
 * - Lambda (`lambda:invoke`): receives `{FunctionName, Payload}`, returns `{Payload, StatusCode}`;
 * - Glue (`glue:startJobRun.sync`): receives `{JobName, Arguments}`, returns a finished JobRun;
 * - SNS (`sns:publish`): receives `{TopicArn, Message, Subject}`, writes the notification to the run log;
 * - DynamoDB (`dynamodb:putItem`, `dynamodb:deleteItem`) on the run-lock table: a lock file per run date in
 *   the data directory (./local-run-locks.ts).
 *
 * Every Lambda state's `run_date` is checked against the run-date bounds before its function runs, as the
 * deployed handlers do with theirs.
 */
import { runDataQuality } from '../../../lambdas/data-quality/run-data-quality';
import { openLocalDataQuality } from '../local-data-quality';
import { runExtractApi } from '../../../lambdas/extract-api/extract-api';
import { runExtractArtistStats } from '../../../lambdas/extract-artist-stats/extract-artist-stats';
import { runExtractConcerts } from '../../../lambdas/extract-concerts/extract-concerts';
import { runExtractSongs } from '../../../lambdas/extract-songs/extract-songs';
import { runResolveRunDate } from '../../../lambdas/resolve-run-date/resolve-run-date';
import { runServingLoad } from '../../../lambdas/serving-load/load';
import { urlConnectionFactory } from '../adapters/pg-url-connection';
import { checkEventRunDate, type RunDateBounds } from '../../../lambdas/shared/run-date';
import type { ServingPlan } from '../../../lambdas/shared/serving-plan';
import {
  DAILY_PIPELINE_STATES as S,
  type DailyPipelineTaskState,
} from '../../constructs/daily-pipeline-states';
import {
  TRANSFORM_JOB_TABLES,
  transformListensArguments,
  type TransformJobId,
} from '../../constructs/transform-job-specs';
import { localEnvironmentConfig } from '../run-date-bounds';
import type { LocalServices } from './local-services';
import { TransformViews, type ListDataFiles } from './transform-views';
import { LocalRunLocks } from './local-run-locks';
import { requireObject, type JsonObject, type JsonValue, type LocalTaskHandler } from './task-states';

/** The local Glue: runs a job's script on the run's one Spark session and lists Iceberg data files. */
export interface LocalGlue {
  runJob(job: string, args: Record<string, string>): Promise<Record<string, unknown>>;
  /** Each table's current data files, in one request ([] for a table not created yet). */
  listDataFiles: ListDataFiles;
}

export interface LocalBindingContext {
  readonly services: LocalServices;
  readonly glue: () => Promise<LocalGlue>;
  readonly plan: ServingPlan;
  /** What the deployed functions read from EARLIEST_RUN_DATE and RUN_DATE_TIME_ZONE (locally: cdk.json). */
  readonly runDateBounds: RunDateBounds;
  /**
   * How long after its day a play may arrive and still count for it: TransformListens's `--lateness_hours`,
   * which the deployed job has as a default argument (lib/constructs/transform-jobs.ts).
   * @default cdk.json `dev`'s `stream.latenessHours`
   */
  readonly latenessHours?: number;
  /** Called with each notification, after it is written to the run log. */
  readonly onNotification?: (subject: string, message: unknown) => void;
}

function lambdaTask(
  state: string,
  context: LocalBindingContext,
  run: (payload: JsonValue) => Promise<unknown>,
): LocalTaskHandler {
  return async (input) => {
    const request = requireObject(input, `${state} (lambda:invoke)`);
    try {
      const result = await run(checkEventRunDate(request.Payload ?? null, context.runDateBounds));
      return { Payload: JSON.parse(JSON.stringify(result)) as JsonValue, StatusCode: 200 };
    } finally {
      // What the handler's metrics middleware does in AWS, whether the invocation succeeded or failed.
      context.services.flushMetrics();
    }
  };
}

/**
 * Glue's `--name` arguments as plain names: the job's own defaults (as the deployed job has them), then the
 * run's (which win, as in Glue); the local data paths replace the deployed bucket paths.
 */
function jobArguments(
  state: string,
  request: JsonObject,
  context: LocalBindingContext,
  jobDefaults: Record<string, string>,
): Record<string, string> {
  const deployed = requireObject(request.Arguments ?? {}, `${state} (glue:startJobRun) Arguments`);
  const args: Record<string, string> = {};
  for (const [name, value] of Object.entries({ ...jobDefaults, ...deployed })) {
    args[name.replace(/^--/, '')] = String(value);
  }
  const paths = context.services.paths;
  return { ...args, landing_path: paths.landing, warehouse_path: paths.warehouse };
}

function glueTask(
  state: TransformJobId,
  job: string,
  context: LocalBindingContext,
  views: TransformViews,
  jobDefaults: Record<string, string> = {},
): LocalTaskHandler {
  return async (input) => {
    const request = requireObject(input, `${state} (glue:startJobRun.sync)`);
    const started = Date.now();
    const glue = await context.glue();
    const outcome = await glue.runJob(job, jobArguments(state, request, context, jobDefaults)).then(
      (result) => ({ result }),
      (error: unknown) => ({ error }),
    );
    // Even a failed job may have committed some of its tables (or its maintenance removed files): the
    // views follow them either way; the job's own error is the one reported.
    const refreshed = views.refresh((tables) => glue.listDataFiles(tables), TRANSFORM_JOB_TABLES[state]);
    if ('error' in outcome) {
      await refreshed.catch(() => undefined);
      throw outcome.error;
    }
    await refreshed;
    const { result } = outcome;
    return {
      Id: `local-${job}-${started}`,
      JobName: String(request.JobName ?? job),
      JobRunState: 'SUCCEEDED',
      ExecutionTime: Math.round((Date.now() - started) / 1000),
      Result: JSON.parse(JSON.stringify(result)) as JsonValue,
    };
  };
}

function snsTask(state: string, context: LocalBindingContext): LocalTaskHandler {
  return async (input) => {
    const request = requireObject(input, `${state} (sns:publish)`);
    const subject = String(request.Subject ?? state);
    const message = typeof request.Message === 'string' ? request.Message : JSON.stringify(request.Message);
    context.services.log({ level: 'INFO', message: 'notification', state, subject, notification: message });
    context.onNotification?.(subject, request.Message);
    return { MessageId: `local-${Date.now()}` };
  };
}

function dataQualityTask(state: string, context: LocalBindingContext): LocalTaskHandler {
  const { services } = context;
  return lambdaTask(state, context, async (payload) => {
    const gate = await openLocalDataQuality({
      dataDir: services.paths.root,
      warehouse: services.warehouse,
      plan: context.plan,
      logger: services.logger('data-quality'),
      metrics: services.metrics('data-quality'),
    });
    try {
      return await runDataQuality(payload, gate.deps);
    } finally {
      await gate.close();
    }
  });
}

/** Every Task state of DailyPipeline, by name: a state without its binding does not compile. */
export function dailyPipelineBindings(
  context: LocalBindingContext,
): Record<DailyPipelineTaskState, LocalTaskHandler> {
  const { services } = context;
  const { enrichment } = services;
  const views = new TransformViews(services.warehouse);
  const extractApi = (state: string) =>
    lambdaTask(state, context, (payload) =>
      runExtractApi(payload, {
        store: services.landing,
        apiBaseUrl: services.apiUrl,
        logger: services.logger('extract-api'),
        metrics: services.metrics('extract-api'),
      }),
    );
  const runLocks = new LocalRunLocks(services.paths.runLocks);
  return {
    [S.acquireRunLock]: runLocks.acquire(S.acquireRunLock),
    [S.releaseRunLock]: runLocks.release(S.releaseRunLock),
    [S.releaseRunLockAfterFailure]: runLocks.release(S.releaseRunLockAfterFailure),
    [S.resolveRunDate]: lambdaTask(S.resolveRunDate, context, async (payload) =>
      runResolveRunDate(payload, { bounds: context.runDateBounds }),
    ),
    [S.extractUsers]: extractApi(S.extractUsers),
    [S.extractSessions]: extractApi(S.extractSessions),
    [S.extractSongs]: lambdaTask(S.extractSongs, context, (payload) =>
      runExtractSongs(payload, {
        store: services.landing,
        connections: urlConnectionFactory(services.songsDbUrl),
        logger: services.logger('extract-songs'),
        metrics: services.metrics('extract-songs'),
      }),
    ),
    [S.transformSongs]: glueTask(S.transformSongs, 'transform_songs', context, views),
    [S.transformApi]: glueTask(S.transformApi, 'transform_api', context, views),
    // The artist enrichment: the simulator's APIs (or the given ones) with cdk.json's dev settings.
    [S.extractConcerts]: lambdaTask(S.extractConcerts, context, (payload) =>
      runExtractConcerts(payload, {
        store: services.landing,
        apiBaseUrl: enrichment.concerts.url,
        apiKey: enrichment.concerts.key,
        settings: enrichment.concerts.settings,
        timeoutMs: enrichment.timeoutMs,
        logger: services.logger('extract-concerts'),
        metrics: services.metrics('extract-concerts'),
      }),
    ),
    [S.extractArtistStats]: lambdaTask(S.extractArtistStats, context, (payload) =>
      runExtractArtistStats(payload, {
        store: services.landing,
        apiBaseUrl: enrichment.artistStats.url,
        apiKey: enrichment.artistStats.key,
        settings: enrichment.artistStats.settings,
        timeoutMs: enrichment.timeoutMs,
        connections: urlConnectionFactory(services.songsDbUrl),
        logger: services.logger('extract-artist-stats'),
        metrics: services.metrics('extract-artist-stats'),
      }),
    ),
    [S.transformEnrichment]: glueTask(S.transformEnrichment, 'transform_enrichment', context, views),
    // The listening events: Firehose's stand-in has delivered them before the run (no extraction).
    [S.transformListens]: glueTask(
      S.transformListens,
      'transform_listens',
      context,
      views,
      transformListensArguments(context.latenessHours ?? localEnvironmentConfig().stream.latenessHours),
    ),
    [S.checkTransformQuality]: dataQualityTask(S.checkTransformQuality, context),
    [S.loadServing]: lambdaTask(S.loadServing, context, (payload) =>
      runServingLoad(payload, {
        warehouse: services.warehouse,
        plan: context.plan,
        logger: services.logger('serving-load'),
      }),
    ),
    [S.checkServingQuality]: dataQualityTask(S.checkServingQuality, context),
    [S.notifySuccess]: snsTask(S.notifySuccess, context),
    [S.notifyFailure]: snsTask(S.notifyFailure, context),
  };
}
