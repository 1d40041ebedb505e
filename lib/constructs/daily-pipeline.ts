import { Duration } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as glue from 'aws-cdk-lib/aws-glue';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as sns from 'aws-cdk-lib/aws-sns';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { acknowledgeWildcardResources } from '../nag';
import { RUN_LOCK_ATTRIBUTES } from './run-lock-table';
import { addTracedStateMachine, type StateMachineLoggingProps } from './traced-state-machine';

/**
 * State names of DailyPipeline. The local runner binds Task states by these names, and operators read them
 * in the console: they are a contract (DESIGN.md, Orchestration).
 */
export const DAILY_PIPELINE_STATES = {
  resolveRunDate: 'ResolveRunDate',
  resolveRunDateFailed: 'ResolveRunDateFailed',
  acquireRunLock: 'AcquireRunLock',
  runAlreadyInProgress: 'RunAlreadyInProgress',
  extractAndTransform: 'ExtractAndTransform',
  extractSongs: 'ExtractSongs',
  transformSongs: 'TransformSongs',
  extractApi: 'ExtractApi',
  extractUsers: 'ExtractUsers',
  extractSessions: 'ExtractSessions',
  transformApi: 'TransformApi',
  checkTransformQuality: 'CheckTransformQuality',
  transformQualityGate: 'TransformQualityGate',
  transformQualityFailed: 'TransformQualityFailed',
  loadServing: 'LoadServing',
  checkServingQuality: 'CheckServingQuality',
  servingQualityGate: 'ServingQualityGate',
  servingQualityFailed: 'ServingQualityFailed',
  releaseRunLock: 'ReleaseRunLock',
  notifySuccess: 'NotifySuccess',
  pipelineSucceeded: 'PipelineSucceeded',
  notifyFailure: 'NotifyFailure',
  runLockHeld: 'RunLockHeld',
  releaseRunLockAfterFailure: 'ReleaseRunLockAfterFailure',
  pipelineFailed: 'PipelineFailed',
} as const;

/** Errors of the Lambda service itself (not of the handler): safe to retry, the handlers are idempotent. */
export const LAMBDA_TRANSIENT_ERRORS = [
  'Lambda.ServiceException',
  'Lambda.AWSLambdaException',
  'Lambda.SdkClientException',
  'Lambda.TooManyRequestsException',
  'Lambda.ClientExecutionTimeoutException',
];
/** Errors of the Glue API when starting a run (the run itself failing is not retried: it is alerted). */
export const GLUE_TRANSIENT_ERRORS = [
  'Glue.ConcurrentRunsExceededException',
  'Glue.ThrottlingException',
  'Glue.InternalServiceException',
  'Glue.OperationTimeoutException',
  'Glue.ResourceNumberLimitExceededException',
];
/**
 * Errors the warehouse functions throw when Redshift could not do the work now (throttled, at capacity,
 * paused, a serializable isolation conflict): lambdas/shared/warehouse-errors.ts.
 */
export const WAREHOUSE_TRANSIENT_ERRORS = ['TransientWarehouseError'];
/** Attempts of a warehouse step while the warehouse stays busy: the first and the retries. */
const WAREHOUSE_ATTEMPTS = 4;
/** Errors of DynamoDB that a later attempt may not meet (throttling, a server error). */
export const DYNAMODB_TRANSIENT_ERRORS = [
  'DynamoDB.ProvisionedThroughputExceededException',
  'DynamoDB.RequestLimitExceeded',
  'DynamoDB.ThrottlingException',
  'DynamoDB.InternalServerError',
];
/** The error of a conditional write whose condition does not hold: the run date's lock is someone else's. */
export const CONDITIONAL_CHECK_FAILED = 'DynamoDB.ConditionalCheckFailedException';
/** Take the lock when nobody holds it, or when its holder's lock is stale (expired). */
export const ACQUIRE_RUN_LOCK_CONDITION = `attribute_not_exists(${RUN_LOCK_ATTRIBUTES.runDate}) OR ${RUN_LOCK_ATTRIBUTES.expiresAt} < :now`;
/** Delete the lock only if this execution holds it. */
export const RELEASE_RUN_LOCK_CONDITION = `${RUN_LOCK_ATTRIBUTES.executionId} = :execution`;
export const SNS_TRANSIENT_ERRORS = [
  'SNS.InternalErrorException',
  'SNS.ThrottledException',
  'SNS.KMSThrottlingException',
];

/** The Lambda functions of the pipeline, one per Task. */
export interface DailyPipelineFunctions {
  /** Turns the execution input (a date, a scheduled time or nothing) into the run date. */
  readonly resolveRunDate: lambda.IFunction;
  readonly extractApi: lambda.IFunction;
  readonly extractSongs: lambda.IFunction;
  readonly dataQuality: lambda.IFunction;
  readonly servingLoad: lambda.IFunction;
}

export interface DailyPipelineProps extends StateMachineLoggingProps {
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
  /** How long a Glue job run may take (its own timeout); the task allows queueing time on top. */
  readonly jobTimeout: Duration;
  /** Receives the run's outcome: failures (and quality failures) are alerts, successes are events. */
  readonly alertTopic: sns.ITopic;
  /** Environment name, written in notifications. */
  readonly environmentName: string;
  /** Holds one lock item per run date being run (see {@link DailyPipeline} on mutual exclusion). */
  readonly runLockTable: dynamodb.ITable;
}

const S = DAILY_PIPELINE_STATES;

interface GlueRunJobTaskProps extends tasks.GlueStartJobRunProps {
  /** The state's own TimeoutSeconds (the job keeps its own timeout). */
  readonly stateTimeout: Duration;
}

/**
 * `GlueStartJobRun` turns `taskTimeout` into the job run's `Timeout` argument, overriding the job's own
 * timeout; this keeps the job's timeout and gives the state a TimeoutSeconds of its own instead.
 */
class GlueRunJobTask extends tasks.GlueStartJobRun {
  private readonly stateTimeout: Duration;

  constructor(scope: Construct, id: string, props: GlueRunJobTaskProps) {
    super(scope, id, props);
    this.stateTimeout = props.stateTimeout;
  }

  public toStateJson(topLevelQueryLanguage?: sfn.QueryLanguage): object {
    return { ...super.toStateJson(topLevelQueryLanguage), TimeoutSeconds: this.stateTimeout.toSeconds() };
  }
}

/**
 * The daily run as DESIGN.md draws it: songs and API branches in parallel (extract then transform), a
 * quality gate on the transform zone, the serving load, a quality gate on the serving layer, then a success
 * event; any failure publishes an alert and fails the execution. Input `{"run_date": "YYYY-MM-DD"}`; without
 * it (the schedule passes `{"scheduled_time": ISO}`), the run date is the calendar day before the scheduled
 * time, or before the execution's start, in the schedule's time zone: the last complete day.
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
    const { functions } = props;
    // Upper bound of a whole run: both branches, the load and the checks, with their retries.
    const timeout = dailyPipelineTimeout(props.jobTimeout, props.functionTimeout);
    const lambdaTaskTimeout = sfn.Timeout.duration(props.functionTimeout.plus(Duration.minutes(1)));
    // Glue may queue a run for a while before it starts (capacity, the previous run finishing).
    const glueTaskTimeout = props.jobTimeout.plus(Duration.minutes(30));

    // Both notifications: the outcome as subject, message attribute and message field, retried on SNS
    // throttling; `fields` adds what each outcome reports.
    const notification = (
      stateName: string,
      outcome: 'failed' | 'succeeded',
      fields: Record<string, string>,
    ): tasks.SnsPublish => {
      const publish = new tasks.SnsPublish(this, stateName, {
        stateName,
        topic: props.alertTopic,
        subject: `DeFtunes ${props.environmentName}: DailyPipeline ${outcome}`,
        message: sfn.TaskInput.fromObject({
          outcome,
          environment: props.environmentName,
          run_date: sfn.JsonPath.stringAt('$.run_date'),
          ...fields,
          execution: sfn.JsonPath.executionId,
        }),
        messageAttributes: { outcome: { value: outcome } },
        resultPath: sfn.JsonPath.DISCARD,
        taskTimeout: sfn.Timeout.duration(Duration.seconds(30)),
      });
      publish.addRetry({
        errors: SNS_TRANSIENT_ERRORS,
        interval: Duration.seconds(2),
        backoffRate: 2,
        maxAttempts: 4,
        jitterStrategy: sfn.JitterType.FULL,
      });
      return publish;
    };

    const dynamoRetry: sfn.RetryProps = {
      errors: DYNAMODB_TRANSIENT_ERRORS,
      interval: Duration.seconds(1),
      backoffRate: 2,
      maxAttempts: 5,
      jitterStrategy: sfn.JitterType.FULL,
    };
    const notifyFailure = notification(S.notifyFailure, 'failed', {
      error: sfn.JsonPath.stringAt('$.error.Error'),
      cause: sfn.JsonPath.stringAt('$.error.Cause'),
    });
    const pipelineFailed = new sfn.Fail(this, S.pipelineFailed, {
      stateName: S.pipelineFailed,
      errorPath: '$.error.Error',
      causePath: '$.error.Cause',
    });
    // The alert could not be sent: still fail the execution (the failed-executions alarm then fires).
    // After the alert, release the run date's lock if this execution took it (`$.runLock` is set by
    // AcquireRunLock; the failures before it, and RunAlreadyInProgress, have none).
    const runLock = {
      [RUN_LOCK_ATTRIBUTES.runDate]: tasks.DynamoAttributeValue.fromString(
        sfn.JsonPath.stringAt('$.run_date'),
      ),
    };
    const releaseRunLock = (name: string): sfn.TaskStateBase =>
      new tasks.DynamoDeleteItem(this, name, {
        stateName: name,
        table: props.runLockTable,
        key: runLock,
        conditionExpression: RELEASE_RUN_LOCK_CONDITION,
        expressionAttributeValues: {
          ':execution': tasks.DynamoAttributeValue.fromString(sfn.JsonPath.executionId),
        },
        resultPath: sfn.JsonPath.DISCARD,
        taskTimeout: sfn.Timeout.duration(Duration.seconds(30)),
      }).addRetry(dynamoRetry);
    const releaseRunLockAfterFailure = releaseRunLock(S.releaseRunLockAfterFailure);
    // The run failed already: a lock that cannot be released expires; the original error is what fails it.
    releaseRunLockAfterFailure.addCatch(pipelineFailed, {
      errors: ['States.ALL'],
      resultPath: '$.releaseError',
    });
    releaseRunLockAfterFailure.next(pipelineFailed);
    const runLockHeld = new sfn.Choice(this, S.runLockHeld, { stateName: S.runLockHeld })
      .when(sfn.Condition.isPresent('$.runLock'), releaseRunLockAfterFailure)
      .otherwise(pipelineFailed);
    notifyFailure.addCatch(runLockHeld, { errors: ['States.ALL'], resultPath: '$.notifyError' });
    notifyFailure.next(runLockHeld);

    const retryLambda = (task: tasks.LambdaInvoke): tasks.LambdaInvoke => {
      task.addRetry({
        errors: LAMBDA_TRANSIENT_ERRORS,
        interval: Duration.seconds(5),
        backoffRate: 2,
        maxAttempts: 4,
        maxDelay: Duration.minutes(1),
        jitterStrategy: sfn.JitterType.FULL,
      });
      return task;
    };
    const invoke = (
      name: string,
      fn: lambda.IFunction,
      payload: Record<string, unknown>,
      resultPath: string,
    ) =>
      retryLambda(
        new tasks.LambdaInvoke(this, name, {
          stateName: name,
          lambdaFunction: fn,
          payload: sfn.TaskInput.fromObject(payload),
          retryOnServiceExceptions: false,
          resultSelector: { 'result.$': '$.Payload' },
          resultPath,
          taskTimeout: lambdaTaskTimeout,
        }),
      );
    const runJob = (name: string, job: glue.IJob, resultPath: string) =>
      new GlueRunJobTask(this, name, {
        stateName: name,
        glueJobName: job.jobName,
        integrationPattern: sfn.IntegrationPattern.RUN_JOB,
        arguments: sfn.TaskInput.fromObject({ '--run_date': sfn.JsonPath.stringAt('$.run_date') }),
        resultSelector: {
          'JobRunId.$': '$.Id',
          'JobRunState.$': '$.JobRunState',
          'ExecutionTime.$': '$.ExecutionTime',
        },
        resultPath,
        stateTimeout: glueTaskTimeout,
      }).addRetry({
        errors: GLUE_TRANSIENT_ERRORS,
        interval: Duration.seconds(30),
        backoffRate: 2,
        maxAttempts: 5,
        maxDelay: Duration.minutes(5),
        jitterStrategy: sfn.JitterType.FULL,
      });
    const runDate = { run_date: sfn.JsonPath.stringAt('$.run_date') };

    // --- run date: given, else the day before the scheduled time (or the start) in the schedule's zone ---
    // A path that is absent from the input fails a state's Parameters, so the whole input is passed and the
    // function picks what is there.
    const resolveRunDate = retryLambda(
      new tasks.LambdaInvoke(this, S.resolveRunDate, {
        stateName: S.resolveRunDate,
        lambdaFunction: functions.resolveRunDate,
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
    // --- extract and transform, both sources in parallel ---
    const extractSongs = invoke(S.extractSongs, functions.extractSongs, runDate, '$.extractSongs');
    const transformSongs = runJob(S.transformSongs, props.transformSongsJob, '$.transformSongs');
    const extractUsers = invoke(
      S.extractUsers,
      functions.extractApi,
      { ...runDate, entity: 'users' },
      '$.extractUsers',
    );
    const extractSessions = invoke(
      S.extractSessions,
      functions.extractApi,
      { ...runDate, entity: 'sessions' },
      '$.extractSessions',
    );
    const extractApi = new sfn.Parallel(this, S.extractApi, {
      stateName: S.extractApi,
      resultPath: sfn.JsonPath.DISCARD,
    })
      .branch(extractUsers)
      .branch(extractSessions);
    const transformApi = runJob(S.transformApi, props.transformApiJob, '$.transformApi');
    const extractAndTransform = new sfn.Parallel(this, S.extractAndTransform, {
      stateName: S.extractAndTransform,
      resultPath: sfn.JsonPath.DISCARD,
    })
      .branch(extractSongs.next(transformSongs))
      .branch(extractApi.next(transformApi));
    // Tasks inside the branches cannot reach NotifyFailure; their failure fails the Parallel, caught here.
    extractAndTransform.addCatch(notifyFailure, { errors: ['States.ALL'], resultPath: '$.error' });

    // --- quality gates and the serving load ---
    const qualityFailed = (name: string, resultPath: string) =>
      new sfn.Pass(this, name, {
        stateName: name,
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
    const gate = (name: string, resultPath: string, failedState: string, next: sfn.IChainable) =>
      new sfn.Choice(this, name, { stateName: name })
        .when(
          sfn.Condition.or(
            sfn.Condition.not(sfn.Condition.isPresent(`${resultPath}.result.status`)),
            sfn.Condition.stringEquals(`${resultPath}.result.status`, 'failed'),
          ),
          qualityFailed(failedState, resultPath),
        )
        .otherwise(next);

    const catchToNotify = <T extends sfn.TaskStateBase>(task: T): T => {
      task.addCatch(notifyFailure, { errors: ['States.ALL'], resultPath: '$.error' });
      return task;
    };
    // The load and the checks are idempotent (a load replaces the date in one transaction; a check only
    // reads and rewrites its result document): run them again when the warehouse was only busy.
    const retryWarehouse = (task: tasks.LambdaInvoke): tasks.LambdaInvoke => {
      task.addRetry({
        errors: WAREHOUSE_TRANSIENT_ERRORS,
        interval: Duration.seconds(30),
        backoffRate: 2,
        maxAttempts: WAREHOUSE_ATTEMPTS - 1,
        maxDelay: Duration.minutes(5),
        jitterStrategy: sfn.JitterType.FULL,
      });
      return task;
    };
    const checkTransformQuality = catchToNotify(
      retryWarehouse(
        invoke(
          S.checkTransformQuality,
          functions.dataQuality,
          { ...runDate, stage: 'transform', declared_empty: sfn.JsonPath.stringAt('$.declared_empty') },
          '$.transformQuality',
        ),
      ),
    );
    const loadServing = catchToNotify(
      retryWarehouse(invoke(S.loadServing, functions.servingLoad, runDate, '$.servingLoad')),
    );
    const checkServingQuality = catchToNotify(
      retryWarehouse(
        invoke(
          S.checkServingQuality,
          functions.dataQuality,
          { ...runDate, stage: 'serving' },
          '$.servingQuality',
        ),
      ),
    );
    const pipelineSucceeded = new sfn.Succeed(this, S.pipelineSucceeded, { stateName: S.pipelineSucceeded });
    const notifySuccess = notification(S.notifySuccess, 'succeeded', {
      transform_quality: sfn.JsonPath.stringAt('$.transformQuality.result.status'),
      serving_quality: sfn.JsonPath.stringAt('$.servingQuality.result.status'),
    });
    const releaseRunLockOnSuccess = releaseRunLock(S.releaseRunLock);
    // The lock is no longer this execution's (deleted by hand): nothing to release, the run did succeed.
    releaseRunLockOnSuccess.addCatch(notifySuccess, {
      errors: [CONDITIONAL_CHECK_FAILED],
      resultPath: sfn.JsonPath.DISCARD,
    });
    catchToNotify(releaseRunLockOnSuccess);
    // The data is loaded and checked: a lost success event is not worth failing the run over, but the
    // execution does fail so the alarm says something is wrong with the topic.
    catchToNotify(notifySuccess);

    // NotifyFailure reads `$.run_date`, which an input without one (the schedule's) lacks: name it unresolved.
    const resolveRunDateFailed = new sfn.Pass(this, S.resolveRunDateFailed, {
      stateName: S.resolveRunDateFailed,
      parameters: { run_date: 'unresolved', 'error.$': '$.error' },
    }).next(notifyFailure);
    resolveRunDate.addCatch(resolveRunDateFailed, { errors: ['States.ALL'], resultPath: '$.error' });

    // --- one execution per run date: the lock, before anything is touched ---
    const acquireRunLock = new tasks.DynamoPutItem(this, S.acquireRunLock, {
      stateName: S.acquireRunLock,
      table: props.runLockTable,
      item: {
        ...runLock,
        [RUN_LOCK_ATTRIBUTES.executionId]: tasks.DynamoAttributeValue.fromString(sfn.JsonPath.executionId),
        [RUN_LOCK_ATTRIBUTES.acquiredAt]: tasks.DynamoAttributeValue.numberFromString(
          sfn.JsonPath.stringAt('$.lock.now'),
        ),
        [RUN_LOCK_ATTRIBUTES.expiresAt]: tasks.DynamoAttributeValue.numberFromString(
          sfn.JsonPath.stringAt('$.lock.expires_at'),
        ),
      },
      conditionExpression: ACQUIRE_RUN_LOCK_CONDITION,
      expressionAttributeValues: {
        ':now': tasks.DynamoAttributeValue.numberFromString(sfn.JsonPath.stringAt('$.lock.now')),
      },
      // A marker for the failure path: this execution holds the lock and must release it.
      resultSelector: { acquired: true },
      resultPath: '$.runLock',
      taskTimeout: sfn.Timeout.duration(Duration.seconds(30)),
    }).addRetry(dynamoRetry);
    const runAlreadyInProgress = new sfn.Pass(this, S.runAlreadyInProgress, {
      stateName: S.runAlreadyInProgress,
      parameters: {
        'run_date.$': '$.run_date',
        error: {
          Error: 'RunAlreadyInProgress',
          'Cause.$': `States.Format('run date {} is being run by another execution, which holds its lock in the run-lock table (${RUN_LOCK_ATTRIBUTES.executionId} names it): {}', $.run_date, $.error.Cause)`,
        },
      },
    }).next(notifyFailure);
    acquireRunLock.addCatch(runAlreadyInProgress, {
      errors: [CONDITIONAL_CHECK_FAILED],
      resultPath: '$.error',
    });
    acquireRunLock.addCatch(notifyFailure, { errors: ['States.ALL'], resultPath: '$.error' });
    resolveRunDate.next(acquireRunLock).next(extractAndTransform);
    extractAndTransform
      .next(checkTransformQuality)
      .next(
        gate(
          S.transformQualityGate,
          '$.transformQuality',
          S.transformQualityFailed,
          loadServing.next(
            checkServingQuality.next(
              gate(
                S.servingQualityGate,
                '$.servingQuality',
                S.servingQualityFailed,
                releaseRunLockOnSuccess.next(notifySuccess).next(pipelineSucceeded),
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
      Object.values(functions).map((fn) => `${fn.functionArn}:*`),
      'the CDK LambdaInvoke grant: invoke any version or alias of the pipeline functions, nothing else',
    );
  }
}

/** How long a run-date lock outlives the state machine's timeout, so it never expires under a live run. */
export const RUN_LOCK_GRACE = Duration.hours(1);

/**
 * Upper bound of a whole DailyPipeline run: the longer branch (two extractions then a Glue job, with queueing),
 * then the three warehouse steps, each possibly run {@link WAREHOUSE_ATTEMPTS} times (a serializable
 * isolation conflict can surface at commit, after a full-length attempt), with an hour for the other retries
 * and their waits.
 */
export function dailyPipelineTimeout(jobTimeout: Duration, functionTimeout: Duration): Duration {
  const functionMinutes = Math.ceil(functionTimeout.toMinutes({ integral: false }));
  return Duration.minutes(
    jobTimeout.toMinutes() + 30 + 2 * functionMinutes + 3 * WAREHOUSE_ATTEMPTS * functionMinutes + 60,
  );
}
