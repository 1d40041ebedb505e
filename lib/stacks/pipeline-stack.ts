import { CfnOutput, Duration, RemovalPolicy, Stack, TimeZone, type StackProps } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as logs from 'aws-cdk-lib/aws-logs';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as targets from 'aws-cdk-lib/aws-scheduler-targets';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { NamedEnvironmentConfig } from '../config';
import { BackfillPipeline } from '../constructs/backfill-pipeline';
import { DailyPipeline, dailyPipelineTimeout } from '../constructs/daily-pipeline';
import { PipelineMonitoring } from '../constructs/pipeline-monitoring';
import { RunLockTable } from '../constructs/run-lock-table';
import type { EnrichmentFunctions } from '../constructs/enrichment-functions';
import type { ListeningEventsStream } from '../constructs/listening-events-stream';
import { RESOLVE_RUN_DATE_TIMEOUT, type PipelineFunctions } from '../constructs/pipeline-functions';
import type { TransformJobs } from '../constructs/transform-jobs';
import { acknowledge } from '../nag';

export interface PipelineStackProps extends StackProps {
  readonly config: NamedEnvironmentConfig;
  readonly key: kms.IKey;
  readonly functions: PipelineFunctions;
  readonly enrichmentFunctions: EnrichmentFunctions;
  readonly jobs: TransformJobs;
  /** Watched: its deliveries alarm when they fall behind or fail. */
  readonly listeningEvents: ListeningEventsStream;
  readonly logRetention: logs.RetentionDays;
  /** @default RemovalPolicy.RETAIN */
  readonly logRemovalPolicy?: RemovalPolicy;
  /**
   * Removal policy of the run-lock table (stateful, though its items live only as long as a run).
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * The alert topic, DailyPipeline with its run-lock table, the backfill, the daily schedule and the
 * monitoring. Stateless but for the lock table, whose items only live as long as a run.
 */
export class PipelineStack extends Stack {
  public readonly alertTopic: sns.ITopic;
  public readonly dailyPipeline: DailyPipeline;
  public readonly runLocks: RunLockTable;
  public readonly backfill: BackfillPipeline;
  public readonly schedule: scheduler.Schedule;
  public readonly monitoring: PipelineMonitoring;

  constructor(scope: Construct, id: string, props: PipelineStackProps) {
    super(scope, id, props);
    const { config } = props;
    this.alertTopic = this.createAlertTopic(props);
    this.runLocks = new RunLockTable(this, 'RunLocks', {
      key: props.key,
      removalPolicy: props.removalPolicy,
    });
    const functionTimeout = Duration.seconds(config.lambda.timeoutSeconds);
    const jobTimeout = Duration.minutes(config.glue.timeoutMinutes);
    this.dailyPipeline = this.createDailyPipeline(props, functionTimeout, jobTimeout);
    // The topic and the schedule's dead-letter queue are encrypted with the platform key: writing needs it.
    const useKeyForTopicAndQueue = new iam.PolicyStatement({
      actions: ['kms:GenerateDataKey', 'kms:Decrypt'],
      resources: [props.key.keyArn],
    });
    this.grantDailyPipelineKeyUse(props.key, useKeyForTopicAndQueue);
    this.backfill = new BackfillPipeline(this, 'Backfill', {
      dailyPipeline: this.dailyPipeline.stateMachine,
      dailyTimeout: dailyPipelineTimeout(jobTimeout, functionTimeout),
      checkRunDates: props.functions.resolveRunDate.function,
      checkRunDatesTimeout: RESOLVE_RUN_DATE_TIMEOUT,
      logExecutionData: config.logExecutionData,
      logRetention: props.logRetention,
      logEncryptionKey: props.key,
      logRemovalPolicy: props.logRemovalPolicy,
    });

    const scheduleDeadLetterQueue = this.createScheduleDeadLetterQueue(props.key);
    this.schedule = this.createDailySchedule(config, scheduleDeadLetterQueue, useKeyForTopicAndQueue);
    this.monitoring = this.createMonitoring(props, scheduleDeadLetterQueue);
    this.addOutputs();
  }

  /**
   * The alert topic. Success events stay on the topic for integrations; the mailbox only gets failures and
   * alarms.
   */
  private createAlertTopic(props: PipelineStackProps): sns.Topic {
    const { config } = props;
    const alertTopic = new sns.Topic(this, 'AlertTopic', {
      displayName: `DeFtunes ${config.name} alerts`,
      masterKey: props.key,
      enforceSSL: true,
    });
    // Alarm messages carry no `outcome` attribute, hence the `exists: false` branch.
    alertTopic.addSubscription(
      new subscriptions.EmailSubscription(config.alertEmail, {
        filterPolicy: {
          outcome: new sns.SubscriptionFilter([{ 'anything-but': ['succeeded'] }, { exists: false }]),
        },
      }),
    );
    return alertTopic;
  }

  private createDailyPipeline(
    props: PipelineStackProps,
    functionTimeout: Duration,
    jobTimeout: Duration,
  ): DailyPipeline {
    const { config, functions, jobs, enrichmentFunctions } = props;
    return new DailyPipeline(this, 'DailyPipeline', {
      functions: {
        resolveRunDate: functions.resolveRunDate.function,
        extractApi: functions.extractApi.function,
        extractSongs: functions.extractSongs.function,
        extractConcerts: enrichmentFunctions.extractConcerts.function,
        extractArtistStats: enrichmentFunctions.extractArtistStats.function,
        dataQuality: functions.dataQuality.function,
        servingLoad: functions.servingLoad.function,
      },
      functionTimeout,
      resolveRunDateTimeout: RESOLVE_RUN_DATE_TIMEOUT,
      scheduleTimeZone: config.schedule.timeZone,
      transformApiJob: jobs.apiJob,
      transformSongsJob: jobs.songsJob,
      transformEnrichmentJob: jobs.enrichmentJob,
      transformListensJob: jobs.listensJob,
      jobTimeout,
      alertTopic: this.alertTopic,
      environmentName: config.name,
      runLockTable: this.runLocks.table,
      logExecutionData: config.logExecutionData,
      logRetention: props.logRetention,
      logEncryptionKey: props.key,
      logRemovalPolicy: props.logRemovalPolicy,
    });
  }

  /**
   * DailyPipeline publishes to the encrypted topic (`useKeyForTopicAndQueue`) and writes to the run-lock
   * table, encrypted with the same key.
   */
  private grantDailyPipelineKeyUse(key: kms.IKey, useKeyForTopicAndQueue: iam.PolicyStatement): void {
    this.dailyPipeline.stateMachine.addToRolePolicy(useKeyForTopicAndQueue);
    // The run-lock table's key: DynamoDB uses the key on its caller's behalf (the actions the DynamoDB
    // documentation lists for a table's users), and only through DynamoDB.
    this.dailyPipeline.stateMachine.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['kms:Encrypt', 'kms:Decrypt', 'kms:GenerateDataKey', 'kms:DescribeKey'],
        resources: [key.keyArn],
        conditions: { StringEquals: { 'kms:ViaService': `dynamodb.${this.region}.amazonaws.com` } },
      }),
    );
  }

  /** Where the daily schedule puts the invocations it could not deliver. */
  private createScheduleDeadLetterQueue(key: kms.IKey): sqs.Queue {
    const scheduleDeadLetterQueue = new sqs.Queue(this, 'ScheduleDeadLetterQueue', {
      encryption: sqs.QueueEncryption.KMS,
      encryptionMasterKey: key,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    acknowledge(
      scheduleDeadLetterQueue,
      'AwsSolutions-SQS3',
      'this queue is itself the dead-letter queue of the daily schedule (an alarm watches it)',
    );
    return scheduleDeadLetterQueue;
  }

  /** The daily schedule that starts DailyPipeline. */
  private createDailySchedule(
    config: NamedEnvironmentConfig,
    scheduleDeadLetterQueue: sqs.IQueue,
    useKeyForTopicAndQueue: iam.PolicyStatement,
  ): scheduler.Schedule {
    // The schedule's own role (the target adds states:StartExecution and sqs:SendMessage to it), with the key
    // of the encrypted dead-letter queue.
    const scheduleRole = new iam.Role(this, 'ScheduleRole', {
      description: 'EventBridge Scheduler: start DailyPipeline, dead-letter undelivered invocations',
      assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': this.account } },
      }),
    });
    scheduleRole.addToPolicy(useKeyForTopicAndQueue);
    return new scheduler.Schedule(this, 'DailySchedule', {
      description: `DeFtunes ${config.name}: start DailyPipeline every day at ${pad(config.schedule.hour)}:${pad(config.schedule.minute)} ${config.schedule.timeZone}`,
      schedule: scheduler.ScheduleExpression.cron({
        minute: String(config.schedule.minute),
        hour: String(config.schedule.hour),
        timeZone: TimeZone.of(config.schedule.timeZone),
      }),
      enabled: config.schedule.enabled,
      timeWindow: scheduler.TimeWindow.off(),
      target: new targets.StepFunctionsStartExecution(this.dailyPipeline.stateMachine, {
        // DailyPipeline's ResolveRunDate turns the scheduled time into the run date (the day before it).
        input: scheduler.ScheduleTargetInput.fromObject({
          scheduled_time: scheduler.ContextAttribute.scheduledTime,
        }),
        role: scheduleRole,
        deadLetterQueue: scheduleDeadLetterQueue,
        retryAttempts: 3,
        maxEventAge: Duration.hours(2),
      }),
    });
  }

  private createMonitoring(
    props: PipelineStackProps,
    scheduleDeadLetterQueue: sqs.IQueue,
  ): PipelineMonitoring {
    const { config, functions, jobs, enrichmentFunctions } = props;
    return new PipelineMonitoring(this, 'Monitoring', {
      environmentName: config.name,
      dailyPipeline: this.dailyPipeline.stateMachine,
      dailyPipelineLogGroup: this.dailyPipeline.logGroup,
      backfill: this.backfill.stateMachine,
      functions: {
        ResolveRunDate: functions.resolveRunDate.function,
        ExtractApi: functions.extractApi.function,
        ExtractSongs: functions.extractSongs.function,
        ExtractConcerts: enrichmentFunctions.extractConcerts.function,
        ExtractArtistStats: enrichmentFunctions.extractArtistStats.function,
        DataQuality: functions.dataQuality.function,
        ServingLoad: functions.servingLoad.function,
      },
      jobs: {
        TransformApi: jobs.apiJob,
        TransformSongs: jobs.songsJob,
        TransformEnrichment: jobs.enrichmentJob,
        TransformListens: jobs.listensJob,
      },
      deliveryStreams: {
        ListeningEvents: {
          stream: props.listeningEvents.deliveryStream,
          bufferingInterval: Duration.seconds(config.stream.bufferingIntervalSeconds),
        },
      },
      scheduleDeadLetterQueue,
      alertTopic: this.alertTopic,
    });
  }

  /** What an operator needs to start a run or a backfill, the alert topic and the dashboard. */
  private addOutputs(): void {
    new CfnOutput(this, 'DailyPipelineArn', {
      description: 'Start a run: aws stepfunctions start-execution --input \'{"run_date":"YYYY-MM-DD"}\'',
      value: this.dailyPipeline.stateMachine.stateMachineArn,
    });
    new CfnOutput(this, 'BackfillArn', {
      description: 'Backfill: aws stepfunctions start-execution --input \'{"run_dates":["YYYY-MM-DD",...]}\'',
      value: this.backfill.stateMachine.stateMachineArn,
    });
    new CfnOutput(this, 'AlertTopicArn', { value: this.alertTopic.topicArn });
    new CfnOutput(this, 'DashboardName', { value: this.monitoring.dashboard.dashboardName });
  }
}

function pad(value: number): string {
  return String(value).padStart(2, '0');
}
