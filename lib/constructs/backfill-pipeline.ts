import { ArnFormat, Duration, Fn, Stack } from 'aws-cdk-lib';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { acknowledgeWildcardResources } from '../nag';
import { LAMBDA_TRANSIENT_ERRORS } from './daily-pipeline';
import { addTracedStateMachine, type StateMachineLoggingProps } from './traced-state-machine';

export const BACKFILL_STATES = {
  validateInput: 'ValidateInput',
  checkRunDates: 'CheckRunDates',
  runEachDate: 'RunEachDate',
  runDailyPipeline: 'RunDailyPipeline',
  backfillSucceeded: 'BackfillSucceeded',
  invalidInput: 'InvalidInput',
} as const;

export interface BackfillPipelineProps extends StateMachineLoggingProps {
  /** The pipeline run once per date. */
  readonly dailyPipeline: sfn.IStateMachine;
  /** Upper bound of one DailyPipeline execution. */
  readonly dailyTimeout: Duration;
  /**
   * Checks every date of the input against the run-date bounds before the first one runs (the
   * resolve-run-date function, given `{run_dates}`); a date out of bounds fails the backfill with
   * `RunDateOutOfRange` and runs nothing.
   */
  readonly checkRunDates: lambda.IFunction;
  /** Timeout of the `checkRunDates` function. */
  readonly checkRunDatesTimeout: Duration;
}

const B = BACKFILL_STATES;

/**
 * Runs DailyPipeline for each date of `{"run_dates": ["YYYY-MM-DD", ...]}`, one at a time and in the given
 * order (a type-2 dimension must see its snapshots in date order), waiting for each run to finish; the first
 * failed date stops the backfill, so it can be resumed from that date. docs/deploy.md (Backfill) shows how to expand a
 * date range into the list.
 */
export class BackfillPipeline extends Construct {
  public readonly stateMachine: sfn.StateMachine;
  public readonly logGroup: logs.ILogGroup;

  constructor(scope: Construct, id: string, props: BackfillPipelineProps) {
    super(scope, id);
    const runEachDate = this.runEachDate(props);
    const checkRunDates = this.checkRunDates(props);
    const invalidInput = new sfn.Fail(this, B.invalidInput, {
      stateName: B.invalidInput,
      error: 'InvalidBackfillInput',
      cause: 'expected {"run_dates": ["YYYY-MM-DD", ...]} with at least one date',
    });
    const validateInput = new sfn.Choice(this, B.validateInput, { stateName: B.validateInput })
      .when(
        sfn.Condition.and(
          sfn.Condition.isPresent('$.run_dates'),
          sfn.Condition.isPresent('$.run_dates[0]'),
          sfn.Condition.isString('$.run_dates[0]'),
        ),
        checkRunDates
          .next(runEachDate)
          .next(new sfn.Succeed(this, B.backfillSucceeded, { stateName: B.backfillSucceeded })),
      )
      .otherwise(invalidInput);

    ({ stateMachine: this.stateMachine, logGroup: this.logGroup } = addTracedStateMachine(this, {
      ...props,
      definition: validateInput,
      comment: 'DeFtunes backfill: DailyPipeline for each date, in order, one at a time',
    }));
    this.acknowledgeStartExecutionGrants(props);
  }

  /** DailyPipeline for each date of `$.run_dates`, one at a time, waiting for each run to finish. */
  private runEachDate(props: BackfillPipelineProps): sfn.Map {
    const runDailyPipeline = new tasks.StepFunctionsStartExecution(this, B.runDailyPipeline, {
      stateName: B.runDailyPipeline,
      stateMachine: props.dailyPipeline,
      integrationPattern: sfn.IntegrationPattern.RUN_JOB,
      input: sfn.TaskInput.fromObject({ run_date: sfn.JsonPath.stringAt('$.run_date') }),
      // Execution names are unique for 90 days: a name per date would block re-running that date.
      associateWithParent: true,
      resultSelector: { 'Status.$': '$.Status', 'ExecutionArn.$': '$.ExecutionArn' },
      taskTimeout: sfn.Timeout.duration(props.dailyTimeout.plus(Duration.minutes(10))),
    }).addRetry({
      errors: [
        'StepFunctions.ExecutionLimitExceededException',
        'StepFunctions.SdkClientException',
        'StepFunctions.AWSStepFunctionsException',
      ],
      interval: Duration.seconds(10),
      backoffRate: 2,
      maxAttempts: 4,
      jitterStrategy: sfn.JitterType.FULL,
    });

    const runEachDate = new sfn.Map(this, B.runEachDate, {
      stateName: B.runEachDate,
      itemsPath: '$.run_dates',
      itemSelector: { 'run_date.$': '$$.Map.Item.Value' },
      maxConcurrency: 1,
      resultPath: '$.runs',
    });
    runEachDate.itemProcessor(runDailyPipeline);

    return runEachDate;
  }

  /**
   * Each DailyPipeline checks its own date again; this refuses the whole list before anything is loaded,
   * so a typo in the tenth date does not leave nine loaded days behind.
   */
  private checkRunDates(props: BackfillPipelineProps): sfn.TaskStateBase {
    return new tasks.LambdaInvoke(this, B.checkRunDates, {
      stateName: B.checkRunDates,
      lambdaFunction: props.checkRunDates,
      payload: sfn.TaskInput.fromObject({ 'run_dates.$': '$.run_dates' }),
      retryOnServiceExceptions: false,
      resultPath: sfn.JsonPath.DISCARD,
      taskTimeout: sfn.Timeout.duration(props.checkRunDatesTimeout.plus(Duration.seconds(30))),
    }).addRetry({
      errors: LAMBDA_TRANSIENT_ERRORS,
      interval: Duration.seconds(5),
      backoffRate: 2,
      maxAttempts: 4,
      jitterStrategy: sfn.JitterType.FULL,
    });
  }

  /** The wildcards of the CDK's grants to the state machine's role, for cdk-nag. */
  private acknowledgeStartExecutionGrants(props: BackfillPipelineProps): void {
    acknowledgeWildcardResources(
      this.stateMachine.role,
      [`${props.checkRunDates.functionArn}:*`],
      'the CDK LambdaInvoke grant: invoke any version or alias of the resolve-run-date function, nothing else',
    );
    acknowledgeWildcardResources(
      this.stateMachine.role,
      [
        Stack.of(this).formatArn({
          service: 'states',
          resource: 'execution',
          arnFormat: ArnFormat.COLON_RESOURCE_NAME,
          resourceName: `${Fn.select(6, Fn.split(':', props.dailyPipeline.stateMachineArn))}*`,
        }),
      ],
      'the CDK StepFunctionsStartExecution grant: describe and stop the executions of DailyPipeline only (their names are generated)',
    );
  }
}
