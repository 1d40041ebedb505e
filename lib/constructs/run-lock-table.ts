import { RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';

/** Attribute names of a run-lock item; DailyPipeline's lock states and the local binding use them. */
export const RUN_LOCK_ATTRIBUTES = {
  /** Partition key: one lock per run date. */
  runDate: 'run_date',
  /** `$$.Execution.Id` of the holder: only the holder releases it. */
  executionId: 'execution_id',
  /** Epoch seconds the lock was taken. */
  acquiredAt: 'acquired_at',
  /** Epoch seconds after which the lock is stale (and the table's TTL attribute). */
  expiresAt: 'expires_at',
} as const;

export interface RunLockTableProps {
  /** Encrypts the table (the platform's customer-managed key). */
  readonly key: kms.IKey;
  /**
   * What happens to the table when its stack is deleted.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * The DynamoDB table of the run-date locks: DailyPipeline takes an item per run date before it touches any
 * data and deletes it at the end, so two executions of one date (the schedule's and a manual or backfill
 * one) never run at once. One item per date running, a few writes a day: on-demand billing costs cents.
 * Items carry `expires_at` as the TTL attribute, so a lock left by an execution stopped from outside (abort,
 * timeout: no state runs to release it) is both ignored by the next acquisition and, later, deleted.
 */
export class RunLockTable extends Construct {
  public readonly table: dynamodb.Table;

  constructor(scope: Construct, id: string, props: RunLockTableProps) {
    super(scope, id);
    this.table = new dynamodb.Table(this, 'Table', {
      partitionKey: { name: RUN_LOCK_ATTRIBUTES.runDate, type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      encryption: dynamodb.TableEncryption.CUSTOMER_MANAGED,
      encryptionKey: props.key,
      // cdk-nag AwsSolutions-DDB3; the items are short-lived, but recovery costs nothing at this size.
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      timeToLiveAttribute: RUN_LOCK_ATTRIBUTES.expiresAt,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
    });
  }
}
