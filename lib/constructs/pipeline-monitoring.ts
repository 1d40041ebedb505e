import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as glue from 'aws-cdk-lib/aws-glue';
import type * as firehose from 'aws-cdk-lib/aws-kinesisfirehose';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { DAILY_PIPELINE_STATES } from './daily-pipeline';

export interface PipelineMonitoringProps {
  readonly environmentName: string;
  readonly dailyPipeline: sfn.IStateMachine;
  /** Where DailyPipeline logs its state transitions (quality failures are counted from it). */
  readonly dailyPipelineLogGroup: logs.ILogGroup;
  readonly backfill: sfn.IStateMachine;
  /** Functions by the name shown in alarms and on the dashboard. */
  readonly functions: Record<string, lambda.IFunction>;
  /** Glue jobs by the name shown in alarms and on the dashboard. */
  readonly jobs: Record<string, glue.IJob>;
  /**
   * Firehose delivery streams by the name shown in alarms and on the dashboard, each with its buffering
   * interval (the freshness alarm allows that much on top of {@link DELIVERY_FRESHNESS_MARGIN}).
   * @default none
   */
  readonly deliveryStreams?: Record<
    string,
    { stream: firehose.IDeliveryStream; bufferingInterval: Duration }
  >;
  /** Schedule invocations that could not be delivered. */
  readonly scheduleDeadLetterQueue: sqs.IQueue;
  readonly alertTopic: sns.ITopic;
}

/** Metric namespace of the counts derived from the state machine's logs. */
export const PIPELINE_METRICS_NAMESPACE = 'DeFtunes/Pipeline';

/**
 * How far behind its buffering interval a delivery stream may fall before it alarms: records wait at most the
 * interval in the buffer, then S3 is written within seconds; beyond this Firehose is retrying a failing S3
 * or KMS (and keeps the records for a day, after which they are lost).
 */
export const DELIVERY_FRESHNESS_MARGIN = Duration.minutes(15);
/** Consecutive 5-minute periods of failed S3 deliveries before alarming (Firehose retries on its own first). */
export const DELIVERY_FAILURE_PERIODS = 3;

/** Period of the alarms' metrics. */
const ALARM_PERIOD = Duration.minutes(5);

/** A delivery stream by the name shown in alarms and on the dashboard, with its buffering interval. */
type DeliveryStreamEntry = [string, { stream: firehose.IDeliveryStream; bufferingInterval: Duration }];

/** The age (seconds) of the oldest undelivered record above which a delivery stream alarms. */
export function deliveryFreshnessThreshold(bufferingInterval: Duration): number {
  return bufferingInterval.plus(DELIVERY_FRESHNESS_MARGIN).toSeconds();
}

/**
 * Alarms on everything that means "the day's data is not served": failed, timed-out or aborted executions,
 * Lambda errors, Glue job failures and timeouts, failed quality gates, undelivered schedule invocations,
 * Firehose deliveries that fall behind or fail; all of them notify the alert topic. A dashboard shows the pipeline at a glance.
 */
export class PipelineMonitoring extends Construct {
  public readonly alarms: cloudwatch.Alarm[] = [];
  public readonly dashboard: cloudwatch.Dashboard;
  private readonly alertAction: actions.SnsAction;
  private readonly environmentName: string;

  constructor(scope: Construct, id: string, props: PipelineMonitoringProps) {
    super(scope, id);
    this.alertAction = new actions.SnsAction(props.alertTopic);
    this.environmentName = props.environmentName;
    this.alarmOnExecutions(props.dailyPipeline, props.backfill);
    this.alarmOnFunctionErrors(props.functions);
    this.alarmOnJobFailures(props.jobs);
    const qualityFailures = this.alarmOnQualityGates(props.dailyPipelineLogGroup);
    const deliveryStreams = Object.entries(props.deliveryStreams ?? {});
    this.alarmOnDeliveries(deliveryStreams);
    this.alarmOn(
      'ScheduleUndeliveredAlarm',
      props.scheduleDeadLetterQueue.metricApproximateNumberOfMessagesVisible({
        period: ALARM_PERIOD,
        statistic: 'Maximum',
      }),
      'the daily schedule could not start DailyPipeline (message in the dead-letter queue)',
    );
    this.dashboard = this.buildDashboard(props, qualityFailures, deliveryStreams);
  }

  /** An alarm notifying the alert topic; by default on one occurrence in a period. */
  private alarmOn(
    alarmId: string,
    metric: cloudwatch.IMetric,
    description: string,
    condition: Partial<
      Pick<cloudwatch.AlarmProps, 'threshold' | 'comparisonOperator' | 'evaluationPeriods'>
    > = {},
  ): cloudwatch.Alarm {
    const alarm = new cloudwatch.Alarm(this, alarmId, {
      metric,
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      ...condition,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      alarmDescription: `DeFtunes ${this.environmentName}: ${description}`,
    });
    alarm.addAlarmAction(this.alertAction);
    this.alarms.push(alarm);
    return alarm;
  }

  /** Failed, timed-out or aborted executions of DailyPipeline, failed or timed-out backfills. */
  private alarmOnExecutions(daily: sfn.IStateMachine, backfill: sfn.IStateMachine): void {
    const period = ALARM_PERIOD;
    this.alarmOn(
      'DailyPipelineFailedAlarm',
      daily.metricFailed({ period, statistic: 'Sum' }),
      'a DailyPipeline execution failed',
    );
    this.alarmOn(
      'DailyPipelineTimedOutAlarm',
      daily.metricTimedOut({ period, statistic: 'Sum' }),
      'a DailyPipeline execution timed out',
    );
    this.alarmOn(
      'DailyPipelineAbortedAlarm',
      daily.metricAborted({ period, statistic: 'Sum' }),
      'a DailyPipeline execution was aborted',
    );
    this.alarmOn(
      'BackfillFailedAlarm',
      backfill.metricFailed({ period, statistic: 'Sum' }),
      'a backfill execution failed',
    );
    this.alarmOn(
      'BackfillTimedOutAlarm',
      backfill.metricTimedOut({ period, statistic: 'Sum' }),
      'a backfill execution timed out',
    );
  }

  private alarmOnFunctionErrors(functions: Record<string, lambda.IFunction>): void {
    for (const [name, fn] of Object.entries(functions)) {
      this.alarmOn(
        `${name}ErrorsAlarm`,
        fn.metricErrors({ period: ALARM_PERIOD, statistic: 'Sum' }),
        `Lambda ${name} returned errors`,
      );
    }
  }

  private alarmOnJobFailures(jobs: Record<string, glue.IJob>): void {
    for (const [name, job] of Object.entries(jobs)) {
      this.alarmOn(
        `${name}FailedAlarm`,
        job.metricFailure({ period: ALARM_PERIOD, statistic: 'Sum' }),
        `Glue job ${name} failed`,
      );
      this.alarmOn(
        `${name}TimedOutAlarm`,
        job.metricTimeout({ period: ALARM_PERIOD, statistic: 'Sum' }),
        `Glue job ${name} timed out`,
      );
    }
  }

  /**
   * A failed gate is logged as its Pass state being entered: a metric filter counts those events, an alarm
   * watches each count. Returns the counts by state name, for the dashboard.
   */
  private alarmOnQualityGates(dailyPipelineLogGroup: logs.ILogGroup): Record<string, cloudwatch.Metric> {
    const qualityFailures: Record<string, cloudwatch.Metric> = {};
    for (const state of [
      DAILY_PIPELINE_STATES.transformQualityFailed,
      DAILY_PIPELINE_STATES.servingQualityFailed,
    ]) {
      const filter = new logs.MetricFilter(this, `${state}Filter`, {
        logGroup: dailyPipelineLogGroup,
        filterPattern: logs.FilterPattern.all(
          logs.FilterPattern.stringValue('$.type', '=', 'PassStateEntered'),
          logs.FilterPattern.stringValue('$.details.name', '=', state),
        ),
        metricNamespace: PIPELINE_METRICS_NAMESPACE,
        metricName: state,
        dimensions: undefined,
        metricValue: '1',
        unit: cloudwatch.Unit.COUNT,
      });
      qualityFailures[state] = filter.metric({ period: ALARM_PERIOD, statistic: 'Sum' });
      this.alarmOn(`${state}Alarm`, qualityFailures[state], `quality gate failed (${state})`);
    }
    return qualityFailures;
  }

  /** Firehose deliveries that fall behind their buffering interval or fail. */
  private alarmOnDeliveries(deliveryStreams: DeliveryStreamEntry[]): void {
    const period = ALARM_PERIOD;
    for (const [name, { stream, bufferingInterval }] of deliveryStreams) {
      const threshold = deliveryFreshnessThreshold(bufferingInterval);
      this.alarmOn(
        `${name}DataFreshnessAlarm`,
        stream.metric('DeliveryToS3.DataFreshness', { period, statistic: 'Maximum' }),
        `Firehose ${name}: the oldest undelivered record is over ${threshold} s old (S3 or KMS failing?)`,
        { threshold, comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD },
      );
      // DeliveryToS3.Success is the share of S3 puts that succeeded: below 1, some failed.
      this.alarmOn(
        `${name}DeliveryFailedAlarm`,
        stream.metric('DeliveryToS3.Success', { period, statistic: 'Minimum' }),
        `Firehose ${name}: deliveries to S3 failing for ${DELIVERY_FAILURE_PERIODS * 5} minutes (see its error log group)`,
        {
          threshold: 1,
          comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
          evaluationPeriods: DELIVERY_FAILURE_PERIODS,
        },
      );
    }
  }

  /** The pipeline at a glance: executions, step errors, Glue runs, quality gates, alarms, deliveries. */
  private buildDashboard(
    props: PipelineMonitoringProps,
    qualityFailures: Record<string, cloudwatch.Metric>,
    deliveryStreams: DeliveryStreamEntry[],
  ): cloudwatch.Dashboard {
    const daily = props.dailyPipeline;
    return new cloudwatch.Dashboard(this, 'Dashboard', {
      defaultInterval: Duration.days(7),
      widgets: [
        [
          new cloudwatch.TextWidget({
            markdown: `# DeFtunes ${props.environmentName}: daily pipeline\nExecutions, step errors, Glue runs and quality gates. Alarms notify the alert topic.`,
            width: 24,
            height: 2,
          }),
        ],
        [
          new cloudwatch.GraphWidget({
            title: 'DailyPipeline executions',
            left: [
              daily.metricStarted({ period: Duration.hours(1), statistic: 'Sum' }),
              daily.metricSucceeded({ period: Duration.hours(1), statistic: 'Sum' }),
              daily.metricFailed({ period: Duration.hours(1), statistic: 'Sum' }),
              daily.metricTimedOut({ period: Duration.hours(1), statistic: 'Sum' }),
            ],
            width: 12,
          }),
          new cloudwatch.GraphWidget({
            title: 'DailyPipeline duration (ms)',
            left: [daily.metricTime({ period: Duration.hours(1), statistic: 'Maximum' })],
            width: 12,
          }),
        ],
        [
          new cloudwatch.GraphWidget({
            title: 'Lambda errors',
            left: Object.entries(props.functions).map(([name, fn]) =>
              fn.metricErrors({ period: Duration.hours(1), statistic: 'Sum', label: name }),
            ),
            width: 8,
          }),
          new cloudwatch.GraphWidget({
            title: 'Lambda duration p99 (ms)',
            left: Object.entries(props.functions).map(([name, fn]) =>
              fn.metricDuration({ period: Duration.hours(1), statistic: 'p99', label: name }),
            ),
            width: 8,
          }),
          new cloudwatch.GraphWidget({
            title: 'Glue job failures and timeouts',
            left: Object.entries(props.jobs).flatMap(([name, job]) => [
              job.metricFailure({ period: Duration.hours(1), statistic: 'Sum', label: `${name} failed` }),
              job.metricTimeout({ period: Duration.hours(1), statistic: 'Sum', label: `${name} timed out` }),
            ]),
            width: 8,
          }),
        ],
        [
          new cloudwatch.GraphWidget({
            title: 'Quality gate failures',
            left: Object.entries(qualityFailures).map(([name, metric]) =>
              metric.with({ label: name, period: Duration.hours(1) }),
            ),
            width: 12,
          }),
          new cloudwatch.AlarmStatusWidget({ title: 'Alarms', alarms: this.alarms, width: 12 }),
        ],
        deliveryStreams.map(
          ([name, { stream }]) =>
            new cloudwatch.GraphWidget({
              title: `Firehose ${name}: records in, age of the oldest undelivered (s)`,
              left: [stream.metricIncomingRecords({ period: Duration.hours(1), statistic: 'Sum' })],
              right: [
                stream.metric('DeliveryToS3.DataFreshness', {
                  period: Duration.hours(1),
                  statistic: 'Maximum',
                }),
              ],
              width: 12,
            }),
        ),
      ],
    });
  }
}
