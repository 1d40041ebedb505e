/**
 * How a DailyPipeline execution begins and ends around its work: the run date's lock (taken right after
 * ResolveRunDate, released on success and after any failure) and the notifications of the outcome.
 */
import { Duration } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as sns from 'aws-cdk-lib/aws-sns';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import type { Construct } from 'constructs';
import {
  ACQUIRE_RUN_LOCK_CONDITION,
  CONDITIONAL_CHECK_FAILED,
  DAILY_PIPELINE_STATES as S,
  DYNAMODB_TRANSIENT_ERRORS,
  RELEASE_RUN_LOCK_CONDITION,
  SNS_TRANSIENT_ERRORS,
} from './daily-pipeline-states';
import { RUN_LOCK_ATTRIBUTES } from './run-lock-table';

export interface DailyPipelineOutcomesProps {
  /** Receives the run's outcome: failures (and quality failures) are alerts, successes are events. */
  readonly alertTopic: sns.ITopic;
  /** Environment name, written in notifications. */
  readonly environmentName: string;
  /** Holds one lock item per run date being run. */
  readonly runLockTable: dynamodb.ITable;
}

const dynamoRetry: sfn.RetryProps = {
  errors: DYNAMODB_TRANSIENT_ERRORS,
  interval: Duration.seconds(1),
  backoffRate: 2,
  maxAttempts: 5,
  jitterStrategy: sfn.JitterType.FULL,
};

/** The states every execution passes through before and after its work, built in one scope. */
export class DailyPipelineOutcomes {
  /** Publishes the failure, releases the lock if this execution holds it, and fails the execution. */
  readonly notifyFailure: tasks.SnsPublish;
  private readonly runLock: Record<string, tasks.DynamoAttributeValue>;

  constructor(
    private readonly scope: Construct,
    private readonly props: DailyPipelineOutcomesProps,
  ) {
    this.runLock = {
      [RUN_LOCK_ATTRIBUTES.runDate]: tasks.DynamoAttributeValue.fromString(
        sfn.JsonPath.stringAt('$.run_date'),
      ),
    };
    this.notifyFailure = this.notification(S.notifyFailure, 'failed', {
      error: sfn.JsonPath.stringAt('$.error.Error'),
      cause: sfn.JsonPath.stringAt('$.error.Cause'),
    });
    const pipelineFailed = new sfn.Fail(scope, S.pipelineFailed, {
      stateName: S.pipelineFailed,
      errorPath: '$.error.Error',
      causePath: '$.error.Cause',
    });
    // The alert could not be sent: still fail the execution (the failed-executions alarm then fires).
    // After the alert, release the run date's lock if this execution took it (`$.runLock` is set by
    // AcquireRunLock; the failures before it, and RunAlreadyInProgress, have none).
    const releaseRunLockAfterFailure = this.releaseRunLock(S.releaseRunLockAfterFailure);
    // The run failed already: a lock that cannot be released expires; the original error is what fails it.
    releaseRunLockAfterFailure.addCatch(pipelineFailed, {
      errors: ['States.ALL'],
      resultPath: '$.releaseError',
    });
    releaseRunLockAfterFailure.next(pipelineFailed);
    const runLockHeld = new sfn.Choice(scope, S.runLockHeld, { stateName: S.runLockHeld })
      .when(sfn.Condition.isPresent('$.runLock'), releaseRunLockAfterFailure)
      .otherwise(pipelineFailed);
    this.notifyFailure.addCatch(runLockHeld, { errors: ['States.ALL'], resultPath: '$.notifyError' });
    this.notifyFailure.next(runLockHeld);
  }

  /** Sends `task`'s every error to NotifyFailure, with the error at `$.error`. */
  catchToNotify<T extends sfn.TaskStateBase | sfn.Parallel>(task: T): T {
    task.addCatch(this.notifyFailure, { errors: ['States.ALL'], resultPath: '$.error' });
    return task;
  }

  /**
   * A notification: the outcome as subject, message attribute and message field, retried on SNS
   * throttling; `fields` adds what each outcome reports.
   */
  notification(
    stateName: string,
    outcome: 'failed' | 'succeeded',
    fields: Record<string, string>,
  ): tasks.SnsPublish {
    const publish = new tasks.SnsPublish(this.scope, stateName, {
      stateName,
      topic: this.props.alertTopic,
      subject: `DeFtunes ${this.props.environmentName}: DailyPipeline ${outcome}`,
      message: sfn.TaskInput.fromObject({
        outcome,
        environment: this.props.environmentName,
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
  }

  /** Deletes the run date's lock on the condition that this execution holds it. */
  releaseRunLock(name: string): sfn.TaskStateBase {
    return new tasks.DynamoDeleteItem(this.scope, name, {
      stateName: name,
      table: this.props.runLockTable,
      key: this.runLock,
      conditionExpression: RELEASE_RUN_LOCK_CONDITION,
      expressionAttributeValues: {
        ':execution': tasks.DynamoAttributeValue.fromString(sfn.JsonPath.executionId),
      },
      resultPath: sfn.JsonPath.DISCARD,
      taskTimeout: sfn.Timeout.duration(Duration.seconds(30)),
    }).addRetry(dynamoRetry);
  }

  /**
   * Puts the run date's lock item, on the condition {@link ACQUIRE_RUN_LOCK_CONDITION}; a lock held by
   * another execution fails this one as `RunAlreadyInProgress` through NotifyFailure, touching nothing.
   */
  acquireRunLock(): sfn.TaskStateBase {
    const acquireRunLock = new tasks.DynamoPutItem(this.scope, S.acquireRunLock, {
      stateName: S.acquireRunLock,
      table: this.props.runLockTable,
      item: {
        ...this.runLock,
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
    const runAlreadyInProgress = new sfn.Pass(this.scope, S.runAlreadyInProgress, {
      stateName: S.runAlreadyInProgress,
      parameters: {
        'run_date.$': '$.run_date',
        error: {
          Error: 'RunAlreadyInProgress',
          'Cause.$': `States.Format('run date {} is being run by another execution, which holds its lock in the run-lock table (${RUN_LOCK_ATTRIBUTES.executionId} names it): {}', $.run_date, $.error.Cause)`,
        },
      },
    }).next(this.notifyFailure);
    acquireRunLock.addCatch(runAlreadyInProgress, {
      errors: [CONDITIONAL_CHECK_FAILED],
      resultPath: '$.error',
    });
    acquireRunLock.addCatch(this.notifyFailure, { errors: ['States.ALL'], resultPath: '$.error' });
    return acquireRunLock;
  }
}
