import { RemovalPolicy } from 'aws-cdk-lib';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';

/** What every log group of the platform is given. */
export interface EncryptedLogGroupProps {
  readonly retention: logs.RetentionDays;
  /** The platform key, which encrypts the group. */
  readonly key: kms.IKey;
  /**
   * What happens to the group (and its logs) when the stack is deleted.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/** A log group encrypted with the platform key, kept for `retention`, retained by default. */
export function encryptedLogGroup(
  scope: Construct,
  id: string,
  props: EncryptedLogGroupProps,
): logs.LogGroup {
  return new logs.LogGroup(scope, id, {
    retention: props.retention,
    encryptionKey: props.key,
    removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
  });
}
