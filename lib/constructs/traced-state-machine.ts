import { type Duration, RemovalPolicy } from 'aws-cdk-lib';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import { acknowledge } from '../nag';
import { encryptedLogGroup } from './encrypted-log-group';

/** How a pipeline state machine logs: shared by DailyPipeline and Backfill. */
export interface StateMachineLoggingProps {
  /** Include execution input and output in the logs. */
  readonly logExecutionData: boolean;
  readonly logRetention: logs.RetentionDays;
  /** Encrypts the execution log group. */
  readonly logEncryptionKey: kms.IKey;
  /**
   * Removal policy of the log group.
   * @default RemovalPolicy.RETAIN
   */
  readonly logRemovalPolicy?: RemovalPolicy;
}

export interface TracedStateMachineProps extends StateMachineLoggingProps {
  readonly definition: sfn.IChainable;
  readonly comment: string;
  /** @default no execution timeout */
  readonly timeout?: Duration;
}

/**
 * A STANDARD state machine with X-Ray tracing and ALL-level logging to its own KMS-encrypted log group,
 * created as `LogGroup` and `StateMachine` children of `scope` (a function, not a construct, so the
 * pipelines' logical ids stay as they are).
 */
export function addTracedStateMachine(
  scope: Construct,
  props: TracedStateMachineProps,
): { stateMachine: sfn.StateMachine; logGroup: logs.LogGroup } {
  const logGroup = encryptedLogGroup(scope, 'LogGroup', {
    retention: props.logRetention,
    key: props.logEncryptionKey,
    removalPolicy: props.logRemovalPolicy,
  });
  const stateMachine = new sfn.StateMachine(scope, 'StateMachine', {
    definitionBody: sfn.DefinitionBody.fromChainable(props.definition),
    comment: props.comment,
    stateMachineType: sfn.StateMachineType.STANDARD,
    timeout: props.timeout,
    tracingEnabled: true,
    logs: { destination: logGroup, level: sfn.LogLevel.ALL, includeExecutionData: props.logExecutionData },
  });
  acknowledge(
    stateMachine.role,
    'AwsSolutions-IAM5[Resource::*]',
    'X-Ray tracing (xray:PutTraceSegments, PutTelemetryRecords, GetSamplingRules, GetSamplingTargets) has no resource-level permissions',
  );
  return { stateMachine, logGroup };
}
