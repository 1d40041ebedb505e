/**
 * The Task states of DailyPipeline's work (Lambda invocations, Glue job runs) with the retry and catch
 * conventions every one of them follows, so a new branch gets them by construction.
 */
import { Duration } from 'aws-cdk-lib';
import type * as glue from 'aws-cdk-lib/aws-glue';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import type { Construct } from 'constructs';
import {
  GLUE_TRANSIENT_ERRORS,
  LAMBDA_TRANSIENT_ERRORS,
  WAREHOUSE_ATTEMPTS,
  WAREHOUSE_TRANSIENT_ERRORS,
} from './daily-pipeline-states';
import { GlueRunJobTask } from './glue-run-job-task';

export interface DailyPipelineTaskTimeouts {
  /** How long a Lambda function may run (its own timeout); the state allows a minute more. */
  readonly functionTimeout: Duration;
  /** How long a Glue job run may take (its own timeout); the state allows queueing time on top. */
  readonly jobTimeout: Duration;
}

/** Builds the pipeline's Task states in one scope (the state names are the construct ids). */
export class DailyPipelineTasks {
  private readonly lambdaTaskTimeout: sfn.Timeout;
  private readonly glueTaskTimeout: Duration;

  constructor(
    private readonly scope: Construct,
    timeouts: DailyPipelineTaskTimeouts,
  ) {
    this.lambdaTaskTimeout = sfn.Timeout.duration(timeouts.functionTimeout.plus(Duration.minutes(1)));
    // Glue may queue a run for a while before it starts (capacity, the previous run finishing).
    this.glueTaskTimeout = timeouts.jobTimeout.plus(Duration.minutes(30));
  }

  /** Retries the Lambda service's own errors (not the handler's): the handlers are idempotent. */
  retryLambda(task: tasks.LambdaInvoke): tasks.LambdaInvoke {
    task.addRetry({
      errors: LAMBDA_TRANSIENT_ERRORS,
      interval: Duration.seconds(5),
      backoffRate: 2,
      maxAttempts: 4,
      maxDelay: Duration.minutes(1),
      jitterStrategy: sfn.JitterType.FULL,
    });
    return task;
  }

  /** Invokes `fn` with `payload`; its result (the function's return value) goes to `resultPath.result`. */
  invoke(
    name: string,
    fn: lambda.IFunction,
    payload: Record<string, unknown>,
    resultPath: string,
  ): tasks.LambdaInvoke {
    return this.retryLambda(
      new tasks.LambdaInvoke(this.scope, name, {
        stateName: name,
        lambdaFunction: fn,
        payload: sfn.TaskInput.fromObject(payload),
        retryOnServiceExceptions: false,
        resultSelector: { 'result.$': '$.Payload' },
        resultPath,
        taskTimeout: this.lambdaTaskTimeout,
      }),
    );
  }

  /** Runs `job` for the run date and waits for it; starting it is retried, a failed run is not. */
  runJob(name: string, job: glue.IJob, resultPath: string): sfn.TaskStateBase {
    return new GlueRunJobTask(this.scope, name, {
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
      stateTimeout: this.glueTaskTimeout,
    }).addRetry({
      errors: GLUE_TRANSIENT_ERRORS,
      interval: Duration.seconds(30),
      backoffRate: 2,
      maxAttempts: 5,
      maxDelay: Duration.minutes(5),
      jitterStrategy: sfn.JitterType.FULL,
    });
  }

  /**
   * The load and the checks are idempotent (a load replaces the date in one transaction; a check only
   * reads and rewrites its result document): run them again when the warehouse was only busy.
   */
  retryWarehouse(task: tasks.LambdaInvoke): tasks.LambdaInvoke {
    task.addRetry({
      errors: WAREHOUSE_TRANSIENT_ERRORS,
      interval: Duration.seconds(30),
      backoffRate: 2,
      maxAttempts: WAREHOUSE_ATTEMPTS - 1,
      maxDelay: Duration.minutes(5),
      jitterStrategy: sfn.JitterType.FULL,
    });
    return task;
  }
}
