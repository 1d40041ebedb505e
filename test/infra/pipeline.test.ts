import { Match } from 'aws-cdk-lib/assertions';
import {
  assetHashSerializer,
  propertiesByIdPrefix,
  resourcesOfType,
  synthesizeStage,
  type SynthesizedStage,
} from './synth';

expect.addSnapshotSerializer(assetHashSerializer);

type Definition = { StartAt: string; States: Record<string, Record<string, unknown>> };

/** Parses a state machine's DefinitionString (Fn::Join of strings and references). */
function definitionOf(properties: Record<string, unknown>): Definition {
  const value = properties.DefinitionString as string | { 'Fn::Join': [string, unknown[]] };
  const text =
    typeof value === 'string'
      ? value
      : value['Fn::Join'][1].map((part) => (typeof part === 'string' ? part : 'REF')).join('');
  return JSON.parse(text) as Definition;
}

describe('Pipeline stack (dev)', () => {
  let dev: SynthesizedStage;
  let machines: [string, Record<string, unknown>][];
  beforeAll(() => {
    dev = synthesizeStage('dev');
    machines = resourcesOfType(dev.pipeline, 'AWS::StepFunctions::StateMachine');
  });
  const machine = (prefix: string) => propertiesByIdPrefix(machines, prefix, 'state machine');

  it('keeps the run-date locks in an on-demand, KMS-encrypted table with point-in-time recovery and TTL, retained', () => {
    const tables = resourcesOfType(dev.pipeline, 'AWS::DynamoDB::Table');
    expect(tables).toHaveLength(1);
    dev.pipeline.hasResource('AWS::DynamoDB::Table', {
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
      Properties: {
        KeySchema: [{ AttributeName: 'run_date', KeyType: 'HASH' }],
        BillingMode: 'PAY_PER_REQUEST',
        SSESpecification: { SSEEnabled: true, SSEType: 'KMS', KMSMasterKeyId: Match.anyValue() },
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        TimeToLiveSpecification: { AttributeName: 'expires_at', Enabled: true },
      },
    });
    const disposable = synthesizeStage('dev', { context: { 'deftunes:destroyOnRemoval': 'true' } });
    disposable.pipeline.hasResource('AWS::DynamoDB::Table', { DeletionPolicy: 'Delete' });
  });

  it('lets only DailyPipeline touch the lock table: PutItem and DeleteItem on that table, nothing else', () => {
    const [[tableId]] = resourcesOfType(dev.pipeline, 'AWS::DynamoDB::Table');
    const statements = resourcesOfType(dev.pipeline, 'AWS::IAM::Policy').flatMap(([policy, properties]) =>
      (properties.PolicyDocument as { Statement: Record<string, unknown>[] }).Statement.map((statement) => ({
        policy,
        statement,
      })),
    );
    const dynamo = statements.filter(({ statement }) =>
      [statement.Action].flat().some((action) => String(action).startsWith('dynamodb:')),
    );
    expect(dynamo).toHaveLength(1);
    expect(dynamo[0].policy).toMatch(/^DailyPipeline/);
    expect(dynamo[0].statement).toEqual({
      Action: ['dynamodb:DeleteItem', 'dynamodb:PutItem'],
      Effect: 'Allow',
      Resource: { 'Fn::Join': ['', [expect.stringContaining(':table/'), { Ref: tableId }]] },
    });
  });

  it('publishes alerts on a KMS-encrypted, TLS-only topic; the mailbox gets failures and alarms, not successes', () => {
    dev.pipeline.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: Match.anyValue() });
    dev.pipeline.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
    dev.pipeline.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'data-alerts-dev@example.com',
      FilterPolicy: { outcome: [{ 'anything-but': ['succeeded'] }, { exists: false }] },
    });
  });

  it('logs every DailyPipeline event with execution data in dev, and traces with X-Ray', () => {
    expect(machine('DailyPipelineStateMachine')).toMatchObject({
      StateMachineType: 'STANDARD',
      TracingConfiguration: { Enabled: true },
      LoggingConfiguration: { Level: 'ALL', IncludeExecutionData: true, Destinations: [expect.anything()] },
    });
    const definition = definitionOf(machine('DailyPipelineStateMachine'));
    expect(definition.StartAt).toBe('ResolveRunDate');
    expect(typeof (definition as unknown as { TimeoutSeconds: number }).TimeoutSeconds).toBe('number');
  });

  it('backfills a list of dates one at a time, in order, waiting for each DailyPipeline run', () => {
    const backfill = machine('BackfillStateMachine');
    expect(backfill).toMatchObject({
      TracingConfiguration: { Enabled: true },
      LoggingConfiguration: { Level: 'ALL' },
    });
    const definition = definitionOf(backfill);
    expect(definition.StartAt).toBe('ValidateInput');
    const map = definition.States.RunEachDate as {
      Type: string;
      MaxConcurrency: number;
      ItemsPath: string;
      ItemProcessor: Definition;
    };
    expect(map).toMatchObject({ Type: 'Map', MaxConcurrency: 1, ItemsPath: '$.run_dates' });
    const run = map.ItemProcessor.States.RunDailyPipeline as Record<string, unknown>;
    expect(run.Resource).toBe('arn:REF:states:::states:startExecution.sync:2');
    expect(run.TimeoutSeconds).toEqual(expect.any(Number));
    expect(run.Parameters).toMatchObject({ Input: { 'run_date.$': '$.run_date' } });
    expect((run.Retry as unknown[]).length).toBeGreaterThan(0);
    expect(definition.States.InvalidInput).toMatchObject({ Type: 'Fail', Error: 'InvalidBackfillInput' });
  });

  it('schedules DailyPipeline daily at the configured time and zone, passing the scheduled time', () => {
    dev.pipeline.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'cron(0 2 * * ? *)',
      ScheduleExpressionTimezone: 'Europe/Paris',
      State: 'ENABLED',
      FlexibleTimeWindow: { Mode: 'OFF' },
      Target: Match.objectLike({
        Input: '{"scheduled_time":"<aws.scheduler.scheduled-time>"}',
        RetryPolicy: { MaximumRetryAttempts: 3, MaximumEventAgeInSeconds: 7200 },
        DeadLetterConfig: { Arn: Match.anyValue() },
      }),
    });
    dev.pipeline.hasResourceProperties('AWS::SQS::Queue', { KmsMasterKeyId: Match.anyValue() });
  });

  it('alarms to the alert topic on failures, timeouts, Lambda errors, Glue failures, quality gates, the schedule and Firehose', () => {
    const alarms = resourcesOfType(dev.pipeline, 'AWS::CloudWatch::Alarm');
    for (const [, alarm] of alarms) {
      expect(alarm.AlarmActions).toEqual([{ Ref: expect.stringMatching(/^AlertTopic/) }]);
      expect(alarm.TreatMissingData).toBe('notBreaching');
    }
    const metrics = alarms.map(([, alarm]) => `${alarm.Namespace}/${alarm.MetricName}`);
    expect(metrics.filter((metric) => metric === 'AWS/States/ExecutionsFailed')).toHaveLength(2);
    expect(metrics.filter((metric) => metric === 'AWS/States/ExecutionsTimedOut')).toHaveLength(2);
    expect(metrics.filter((metric) => metric === 'AWS/Lambda/Errors')).toHaveLength(7);
    // Glue failures and timeouts are counted by EventBridge rules on the job state changes.
    expect(metrics.filter((metric) => metric === 'AWS/Events/TriggeredRules')).toHaveLength(8);
    expect(metrics).toEqual(
      expect.arrayContaining([
        'DeFtunes/Pipeline/TransformQualityFailed',
        'DeFtunes/Pipeline/ServingQualityFailed',
        'AWS/SQS/ApproximateNumberOfMessagesVisible',
        'AWS/Firehose/DeliveryToS3.DataFreshness',
        'AWS/Firehose/DeliveryToS3.Success',
      ]),
    );
    dev.pipeline.hasResourceProperties('AWS::Logs::MetricFilter', {
      FilterPattern: '{ ($.type = "PassStateEntered") && ($.details.name = "TransformQualityFailed") }',
    });
    dev.pipeline.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
  });

  it('matches the snapshot', () => {
    expect(dev.pipeline.toJSON()).toMatchSnapshot('pipeline');
  });
});

describe('prod', () => {
  let prod: SynthesizedStage;
  beforeAll(() => {
    prod = synthesizeStage('prod');
  });

  it('protects the stateful stacks, and only them, against deletion', () => {
    const { stage } = prod;
    expect(
      [stage.storage, stage.catalog, stage.warehouse].map((stack) => stack.terminationProtection),
    ).toEqual([true, true, true]);
    expect([stage.compute, stage.pipeline].map((stack) => stack.terminationProtection)).toEqual([
      false,
      false,
    ]);
  });

  it('uses the prod sizes and keeps execution data out of the logs', () => {
    prod.compute.allResourcesProperties('AWS::Glue::Job', {
      WorkerType: 'G.2X',
      NumberOfWorkers: 10,
      Timeout: 120,
    });
    prod.warehouse.hasResourceProperties('AWS::RedshiftServerless::Workgroup', {
      BaseCapacity: 32,
      MaxCapacity: 128,
    });
    prod.pipeline.allResourcesProperties('AWS::StepFunctions::StateMachine', {
      LoggingConfiguration: Match.objectLike({ Level: 'ALL', IncludeExecutionData: false }),
    });
    prod.pipeline.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'cron(30 2 * * ? *)',
    });
    const glueEndpoint = resourcesOfType(prod.warehouse, 'AWS::EC2::VPCEndpoint').find(([, endpoint]) =>
      JSON.stringify(endpoint.ServiceName).includes('.glue'),
    );
    expect(glueEndpoint?.[1].SubnetIds).toHaveLength(3);
  });
});

describe('keys for the encrypted topic and queue', () => {
  it('lets the state machine publish to the KMS-encrypted topic and the schedule dead-letter to the encrypted queue', () => {
    const dev = synthesizeStage('dev');
    const policies = resourcesOfType(dev.pipeline, 'AWS::IAM::Policy');
    const kmsGrantees = policies
      .filter(([, policy]) => JSON.stringify(policy.PolicyDocument).includes('"kms:GenerateDataKey"'))
      .map(([, policy]) => JSON.stringify(policy.Roles));
    expect(kmsGrantees.some((roles) => roles.includes('DailyPipelineStateMachineRole'))).toBe(true);
    expect(kmsGrantees.some((roles) => roles.includes('ScheduleRole'))).toBe(true);
    dev.pipeline.hasResourceProperties('AWS::Scheduler::Schedule', {
      Target: Match.objectLike({
        RoleArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^ScheduleRole'), 'Arn'] },
      }),
    });
  });
});
