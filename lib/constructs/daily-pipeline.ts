import { Duration } from 'aws-cdk-lib';
import type * as glue from 'aws-cdk-lib/aws-glue';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as logs from 'aws-cdk-lib/aws-logs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { ZONES } from '../../lambdas/shared/platform-names';
import { acknowledgeWildcardResources } from '../nag';
import { DailyPipelineOutcomes, type DailyPipelineOutcomesProps } from './daily-pipeline-outcomes';
import { CONDITIONAL_CHECK_FAILED, DAILY_PIPELINE_STATES, WAREHOUSE_ATTEMPTS } from './daily-pipeline-states';
import { DailyPipelineTasks } from './daily-pipeline-tasks';
import { addTracedStateMachine, type StateMachineLoggingProps } from './traced-state-machine';

// The contract (state names, retried errors, lock conditions) lives beside the construct; importers of this
// module keep finding it here.
export * from './daily-pipeline-states';

/** The Lambda functions of the pipeline, one per Task. */
export interface DailyPipelineFunctions {
  /** Turns the execution input (a date, a scheduled time or nothing) into the run date. */
  readonly resolveRunDate: lambda.IFunction;
  readonly extractApi: lambda.IFunction;
  readonly extractSongs: lambda.IFunction;
  readonly extractConcerts: lambda.IFunction;
  readonly extractArtistStats: lambda.IFunction;
  readonly dataQuality: lambda.IFunction;
  readonly servingLoad: lambda.IFunction;
}

export interface DailyPipelineProps extends StateMachineLoggingProps, DailyPipelineOutcomesProps {
  readonly functions: DailyPipelineFunctions;
  /** How long a Lambda task may take before the state times out (the functions' own timeout). */
  readonly functionTimeout: Duration;
  /** The resolve-run-date function's own timeout (much shorter than the others'). */
  readonly resolveRunDateTimeout: Duration;
  /**
   * IANA time zone of the daily schedule: an execution without `run_date` processes the previous calendar
   * day in this zone.
   */
  readonly scheduleTimeZone: string;
  readonly transformApiJob: glue.IJob;
  readonly transformSongsJob: glue.IJob;
  readonly transformEnrichmentJob: glue.IJob;
  /** The listening events' transform (docs/listening-events.md): no extraction, Firehose has landed them. */
  readonly transformListensJob: glue.IJob;
  /** How long a Glue job run may take (its own timeout); the task allows queueing time on top. */
  readonly jobTimeout: Duration;
}

const S = DAILY_PIPELINE_STATES;
/** The payload of every step that works on the run date. */
const RUN_DATE = { run_date: sfn.JsonPath.stringAt('$.run_date') };

/**
 * The daily run as docs/design.md draws it: songs, API and artist-enrichment branches in parallel (extract then
 * transform; docs/artist-enrichment.md for the third) with the listening events' transform as a fourth
 * (docs/listening-events.md: Firehose has landed them, there is nothing to extract), a quality gate on the transform zone, the serving
 * load, a quality gate on the serving layer, then a success event; any failure publishes an alert and fails
 * the execution. Input `{"run_date": "YYYY-MM-DD"}`; without it (the schedule passes `{"scheduled_time":
 * ISO}`), the run date is the calendar day before the scheduled time, or before the execution's start, in
 * the schedule's time zone: the last complete day.
 *
 * Mutual exclusion: one execution per run date at a time. Two executions of one date (the schedule's and a
 * manual or backfill one) would overwrite each other's landing objects and Iceberg partitions and could load
 * the type-2 user history out of order. Right after ResolveRunDate, `AcquireRunLock` puts an item keyed by
 * the run date in the run-lock table with the condition {@link ACQUIRE_RUN_LOCK_CONDITION}; a held lock
 * fails the execution as `RunAlreadyInProgress` through NotifyFailure (an alert), touching nothing.
 * `ReleaseRunLock` (success) and `ReleaseRunLockAfterFailure` (every failure after the lock was taken)
 * delete it, on the condition that this execution holds it. Why this mechanism: it is one conditional
 * write through the Step Functions DynamoDB integration, atomic and strongly consistent, with no function
 * or polling; Step Functions itself has no per-input concurrency limit, and listing running executions
 * before starting would race. Why an expiry: an execution stopped from outside (aborted, timed out) runs no
 * release; its lock expires {@link RUN_LOCK_GRACE} after the state machine's own timeout, so no lock can
 * outlive its execution and none blocks a date for more than a run's length.
 */
export class DailyPipeline extends Construct {
  public readonly stateMachine: sfn.StateMachine;
  public readonly logGroup: logs.ILogGroup;

  constructor(scope: Construct, id: string, props: DailyPipelineProps) {
    super(scope, id);
    // Upper bound of a whole run: the longest branch, the load and the checks, with their retries.
    const timeout = dailyPipelineTimeout(props.jobTimeout, props.functionTimeout);
    const work = new DailyPipelineTasks(this, props);
    const outcomes = new DailyPipelineOutcomes(this, props);

    const resolveRunDate = this.resolveRunDate(work, props, timeout);
    const extractAndTransform = this.extractAndTransform(work, outcomes, props);
    const { checkTransformQuality, loadServing, checkServingQuality } = this.warehouseSteps(
      work,
      outcomes,
      props.functions,
    );
    const succeed = this.releaseLockAndNotifySuccess(outcomes);
    // The failure handlers are wired in this order (NotifyFailure's predecessors, hence the order of the
    // states in the definition): the run-date failure, the lock, then the gates.
    const { notifyFailure } = outcomes;
    this.notifyResolveRunDateFailure(resolveRunDate, notifyFailure);

    // --- one execution per run date: the lock, before anything is touched ---
    resolveRunDate.next(outcomes.acquireRunLock()).next(extractAndTransform);
    extractAndTransform
      .next(checkTransformQuality)
      .next(
        this.qualityGate(
          S.transformQualityGate,
          '$.transformQuality',
          S.transformQualityFailed,
          notifyFailure,
          loadServing.next(
            checkServingQuality.next(
              this.qualityGate(
                S.servingQualityGate,
                '$.servingQuality',
                S.servingQualityFailed,
                notifyFailure,
                succeed,
              ),
            ),
          ),
        ),
      );

    ({ stateMachine: this.stateMachine, logGroup: this.logGroup } = addTracedStateMachine(this, {
      ...props,
      definition: resolveRunDate,
      comment: `DeFtunes ${props.environmentName} daily pipeline: extract, transform, quality gate, serve, quality gate`,
      timeout,
    }));
    acknowledgeWildcardResources(
      this.stateMachine.role,
      Object.values(props.functions).map((fn) => `${fn.functionArn}:*`),
      'the CDK LambdaInvoke grant: invoke any version or alias of the pipeline functions, nothing else',
    );
  }

  /** The run date: given, else the day before the scheduled time (or the start) in the schedule's zone. */
  private resolveRunDate(
    work: DailyPipelineTasks,
    props: DailyPipelineProps,
    timeout: Duration,
  ): tasks.LambdaInvoke {
    // A path that is absent from the input fails a state's Parameters, so the whole input is passed and the
    // function picks what is there.
    return work.retryLambda(
      new tasks.LambdaInvoke(this, S.resolveRunDate, {
        stateName: S.resolveRunDate,
        lambdaFunction: props.functions.resolveRunDate,
        payload: sfn.TaskInput.fromObject({
          execution_input: sfn.JsonPath.entirePayload,
          execution_start_time: sfn.JsonPath.stringAt('$$.Execution.StartTime'),
          time_zone: props.scheduleTimeZone,
          lock_ttl_seconds: timeout.plus(RUN_LOCK_GRACE).toSeconds(),
        }),
        retryOnServiceExceptions: false,
        // No ResultPath (the default, `$`): the rest of the run sees `{run_date, lock}` only, whatever the
        // input held. An explicit "$" would do the same in AWS, but aws-local-stepfunctions 3 merges instead.
        resultSelector: {
          'run_date.$': '$.Payload.run_date',
          'declared_empty.$': '$.Payload.declared_empty',
          'lock.$': '$.Payload.lock',
        },
        taskTimeout: sfn.Timeout.duration(props.resolveRunDateTimeout.plus(Duration.seconds(30))),
      }),
    );
  }

  /**
   * A failure to resolve the run date goes to NotifyFailure, which reads `$.run_date`: an input without one
   * (the schedule's) lacks it, so it is named `unresolved`.
   */
  private notifyResolveRunDateFailure(
    resolveRunDate: sfn.TaskStateBase,
    notifyFailure: sfn.IChainable,
  ): void {
    const resolveRunDateFailed = new sfn.Pass(this, S.resolveRunDateFailed, {
      stateName: S.resolveRunDateFailed,
      parameters: { run_date: 'unresolved', 'error.$': '$.error' },
    }).next(notifyFailure);
    resolveRunDate.addCatch(resolveRunDateFailed, { errors: ['States.ALL'], resultPath: '$.error' });
  }

  /** Extract and transform, the four sources in parallel; a failure in any branch goes to NotifyFailure. */
  private extractAndTransform(
    work: DailyPipelineTasks,
    outcomes: DailyPipelineOutcomes,
    props: DailyPipelineProps,
  ): sfn.Parallel {
    const { functions } = props;
    const songsBranch = work
      .invoke(S.extractSongs, functions.extractSongs, RUN_DATE, '$.extractSongs')
      .next(work.runJob(S.transformSongs, props.transformSongsJob, '$.transformSongs'));
    const apiBranch = this.parallel(
      S.extractApi,
      work.invoke(S.extractUsers, functions.extractApi, { ...RUN_DATE, entity: 'users' }, '$.extractUsers'),
      work.invoke(
        S.extractSessions,
        functions.extractApi,
        { ...RUN_DATE, entity: 'sessions' },
        '$.extractSessions',
      ),
    ).next(work.runJob(S.transformApi, props.transformApiJob, '$.transformApi'));
    const enrichmentBranch = this.parallel(
      S.extractEnrichment,
      work.invoke(S.extractConcerts, functions.extractConcerts, RUN_DATE, '$.extractConcerts'),
      work.invoke(S.extractArtistStats, functions.extractArtistStats, RUN_DATE, '$.extractArtistStats'),
    ).next(work.runJob(S.transformEnrichment, props.transformEnrichmentJob, '$.transformEnrichment'));
    const listensBranch = work.runJob(S.transformListens, props.transformListensJob, '$.transformListens');
    // Tasks inside the branches cannot reach NotifyFailure; their failure fails the Parallel, caught here.
    return outcomes.catchToNotify(
      this.parallel(S.extractAndTransform, songsBranch, apiBranch, enrichmentBranch, listensBranch),
    );
  }

  /** A Parallel state whose branches' results are discarded. */
  private parallel(name: string, ...branches: sfn.IChainable[]): sfn.Parallel {
    const state = new sfn.Parallel(this, name, { stateName: name, resultPath: sfn.JsonPath.DISCARD });
    for (const branch of branches) state.branch(branch);
    return state;
  }

  /** The three warehouse steps: the transform zone's quality check, the serving load, the serving layer's. */
  private warehouseSteps(
    work: DailyPipelineTasks,
    outcomes: DailyPipelineOutcomes,
    functions: DailyPipelineFunctions,
  ): Record<'checkTransformQuality' | 'loadServing' | 'checkServingQuality', tasks.LambdaInvoke> {
    const warehouseStep = (name: string, fn: lambda.IFunction, payload: object, resultPath: string) =>
      outcomes.catchToNotify(work.retryWarehouse(work.invoke(name, fn, { ...payload }, resultPath)));
    return {
      checkTransformQuality: warehouseStep(
        S.checkTransformQuality,
        functions.dataQuality,
        { ...RUN_DATE, stage: ZONES.transform, declared_empty: sfn.JsonPath.stringAt('$.declared_empty') },
        '$.transformQuality',
      ),
      loadServing: warehouseStep(S.loadServing, functions.servingLoad, RUN_DATE, '$.servingLoad'),
      // The load's result, with its measures of the tests it guarded: the gate reports them instead of running
      // them again. The whole result, not its guard_measures: a JSONPath to a missing field is a
      // States.Runtime error, which no Catch sees.
      checkServingQuality: warehouseStep(
        S.checkServingQuality,
        functions.dataQuality,
        {
          ...RUN_DATE,
          stage: ZONES.serving,
          serving_load: sfn.JsonPath.objectAt('$.servingLoad.result'),
        },
        '$.servingQuality',
      ),
    };
  }

  /** ReleaseRunLock, NotifySuccess, PipelineSucceeded. */
  private releaseLockAndNotifySuccess(outcomes: DailyPipelineOutcomes): sfn.Chain {
    const pipelineSucceeded = new sfn.Succeed(this, S.pipelineSucceeded, { stateName: S.pipelineSucceeded });
    const notifySuccess = outcomes.notification(S.notifySuccess, 'succeeded', {
      transform_quality: sfn.JsonPath.stringAt('$.transformQuality.result.status'),
      serving_quality: sfn.JsonPath.stringAt('$.servingQuality.result.status'),
    });
    const releaseRunLockOnSuccess = outcomes.releaseRunLock(S.releaseRunLock);
    // The lock is no longer this execution's (deleted by hand): nothing to release, the run did succeed.
    releaseRunLockOnSuccess.addCatch(notifySuccess, {
      errors: [CONDITIONAL_CHECK_FAILED],
      resultPath: sfn.JsonPath.DISCARD,
    });
    outcomes.catchToNotify(releaseRunLockOnSuccess);
    // The data is loaded and checked: a lost success event is not worth failing the run over, but the
    // execution does fail so the alarm says something is wrong with the topic.
    outcomes.catchToNotify(notifySuccess);
    return releaseRunLockOnSuccess.next(notifySuccess).next(pipelineSucceeded);
  }

  /**
   * A gate on a quality check's result: on to `next` unless the status is `failed` or missing; then a Pass
   * (`failedState`) turns the result into a `QualityGateFailed` error for NotifyFailure.
   */
  private qualityGate(
    name: string,
    resultPath: string,
    failedState: string,
    notifyFailure: sfn.IChainable,
    next: sfn.IChainable,
  ): sfn.Choice {
    const failed = new sfn.Pass(this, failedState, {
      stateName: failedState,
      parameters: {
        'run_date.$': '$.run_date',
        // The lock is held: NotifyFailure's successor releases it.
        'runLock.$': '$.runLock',
        error: {
          Error: 'QualityGateFailed',
          'Cause.$': `States.JsonToString(${resultPath}.result)`,
        },
      },
    }).next(notifyFailure);
    return new sfn.Choice(this, name, { stateName: name })
      .when(
        sfn.Condition.or(
          sfn.Condition.not(sfn.Condition.isPresent(`${resultPath}.result.status`)),
          sfn.Condition.stringEquals(`${resultPath}.result.status`, 'failed'),
        ),
        failed,
      )
      .otherwise(next);
  }
}

/** How long a run-date lock outlives the state machine's timeout, so it never expires under a live run. */
export const RUN_LOCK_GRACE = Duration.hours(1);

/**
 * Upper bound of a whole DailyPipeline run: the longest of the four branches (the API and enrichment ones
 * are alike: two extractions side by side, then a Glue job with queueing; two function lengths are allowed
 * for the extractions), then the three warehouse steps, each possibly run {@link WAREHOUSE_ATTEMPTS} times (a
 * serializable isolation conflict can surface at commit, after a full-length attempt), with an hour for the
 * other retries and their waits.
 */
export function dailyPipelineTimeout(jobTimeout: Duration, functionTimeout: Duration): Duration {
  const functionMinutes = Math.ceil(functionTimeout.toMinutes({ integral: false }));
  return Duration.minutes(
    jobTimeout.toMinutes() + 30 + 2 * functionMinutes + 3 * WAREHOUSE_ATTEMPTS * functionMinutes + 60,
  );
}
