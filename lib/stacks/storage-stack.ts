import { CfnOutput, Duration, RemovalPolicy, Size, Stack, type StackProps } from 'aws-cdk-lib';
import type * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { QUALITY_RESULTS_PREFIX } from '../../lambdas/shared/platform-names';
import type { StreamConfig } from '../config';
import { DataLakeStorage, type LandingLifecycle } from '../constructs/data-lake-storage';
import { ListeningEventsStream } from '../constructs/listening-events-stream';

export interface StorageStackProps extends StackProps {
  readonly landingLifecycle: LandingLifecycle;
  /** The listening events' Firehose buffering (cdk.json `stream`). */
  readonly stream: StreamConfig;
  /** Retention of the delivery stream's error log group. */
  readonly logRetention: logs.RetentionDays;
  /** @default RemovalPolicy.RETAIN */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * Stateful: the lake's buckets, the platform key, and the listening events' delivery stream. The stream is
 * the landing zone's door for the app: the app is configured with its name and producer role, and it holds
 * up to a day of undelivered records, so it lives with the bucket it fills rather than in a stack that is
 * replaced at will (and nothing of it crosses a stack: bucket, key and stream are together).
 */
export class StorageStack extends Stack {
  public readonly storage: DataLakeStorage;
  public readonly listeningEvents: ListeningEventsStream;

  constructor(scope: Construct, id: string, props: StorageStackProps) {
    super(scope, id, props);
    this.storage = new DataLakeStorage(this, 'DataLake', {
      landingLifecycle: props.landingLifecycle,
      removalPolicy: props.removalPolicy,
    });
    this.listeningEvents = new ListeningEventsStream(this, 'ListeningEvents', {
      landingBucket: this.storage.landingBucket,
      key: this.storage.key,
      bufferingInterval: Duration.seconds(props.stream.bufferingIntervalSeconds),
      bufferingSize: Size.mebibytes(props.stream.bufferingSizeMiB),
      logRetention: props.logRetention,
      logRemovalPolicy: props.removalPolicy,
    });
    new CfnOutput(this, 'LandingBucketName', { value: this.storage.landingBucket.bucketName });
    new CfnOutput(this, 'ServingBucketName', {
      description: `Quality results: ${QUALITY_RESULTS_PREFIX}/run_date=YYYY-MM-DD/<stage>.json`,
      value: this.storage.servingBucket.bucketName,
    });
    new CfnOutput(this, 'ListeningEventsStreamName', {
      description:
        'The app puts one JSON line per play here (firehose put-record-batch), as the producer role',
      value: this.listeningEvents.deliveryStream.deliveryStreamName,
    });
    new CfnOutput(this, 'ListeningEventsProducerRoleArn', {
      description: 'The role the app assumes to put listening events (PutRecord and PutRecordBatch only)',
      value: this.listeningEvents.producerRole.roleArn,
    });
  }
}
