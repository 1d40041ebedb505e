import { ArnFormat, Duration, Fn, Stack } from 'aws-cdk-lib';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { acknowledgeWildcardResources } from '../nag';
import { addTracedStateMachine, type StateMachineLoggingProps } from './traced-state-machine';

export const BACKFILL_STATES = {
  validateInput: 'ValidateInput',
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
}

const B = BACKFILL_STATES;

/**
 * Runs DailyPipeline for each date of `{"run_dates": ["YYYY-MM-DD", ...]}`, one at a time and in the given
 * order (a type-2 dimension must see its snapshots in date order), waiting for each run to finish; the first
 * failed date stops the backfill, so it can be resumed from that date. The README shows how to expand a
 * date range into the list.
 */
export class BackfillPipeline extends Construct {
  public readonly stateMachine: sfn.StateMachine;
  public readonly logGroup: logs.ILogGroup;

  constructor(scope: Construct, id: string, props: BackfillPipelineProps) {
    super(scope, id);
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
        runEachDate.next(new sfn.Succeed(this, B.backfillSucceeded, { stateName: B.backfillSucceeded })),
      )
      .otherwise(invalidInput);

    ({ stateMachine: this.stateMachine, logGroup: this.logGroup } = addTracedStateMachine(this, {
      ...props,
      definition: validateInput,
      comment: 'DeFtunes backfill: DailyPipeline for each date, in order, one at a time',
    }));
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
