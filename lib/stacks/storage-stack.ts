import { CfnOutput, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { DataLakeStorage, type LandingLifecycle } from '../constructs/data-lake-storage';

export interface StorageStackProps extends StackProps {
  readonly landingLifecycle: LandingLifecycle;
  /** @default RemovalPolicy.RETAIN */
  readonly removalPolicy?: RemovalPolicy;
}

/** Stateful: the lake's buckets and the platform key. */
export class StorageStack extends Stack {
  public readonly storage: DataLakeStorage;

  constructor(scope: Construct, id: string, props: StorageStackProps) {
    super(scope, id, props);
    this.storage = new DataLakeStorage(this, 'DataLake', {
      landingLifecycle: props.landingLifecycle,
      removalPolicy: props.removalPolicy,
    });
    new CfnOutput(this, 'LandingBucketName', { value: this.storage.landingBucket.bucketName });
    new CfnOutput(this, 'ServingBucketName', {
      description: 'Quality results: dq-results/run_date=YYYY-MM-DD/<stage>.json',
      value: this.storage.servingBucket.bucketName,
    });
  }
}
