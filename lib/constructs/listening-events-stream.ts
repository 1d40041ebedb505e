import { ArnFormat, type Duration, RemovalPolicy, type Size, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as firehose from 'aws-cdk-lib/aws-kinesisfirehose';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { LISTENS_LANDING_PREFIXES } from '../../lambdas/shared/landing-keys';
import { acknowledgeWildcardResources } from '../nag';
import { encryptedLogGroup } from './encrypted-log-group';

/** Firehose's S3 prefix: the arrival time (UTC), never the event time. */
export const LISTENS_DATA_PREFIX = `${LISTENS_LANDING_PREFIXES.data}/arrived_on=!{timestamp:yyyy-MM-dd}/hour=!{timestamp:HH}/`;
/** Firehose's S3 error prefix: by error type, then arrival time. */
export const LISTENS_ERROR_PREFIX = `${LISTENS_LANDING_PREFIXES.errors}/!{firehose:error-output-type}/arrived_on=!{timestamp:yyyy-MM-dd}/hour=!{timestamp:HH}/`;
/** Objects are gzipped JSON lines; Firehose would otherwise name them `.gz`. */
export const LISTENS_FILE_EXTENSION = '.jsonl.gz';

export interface ListeningEventsStreamProps {
  /** The landing zone: Firehose writes under {@link LISTENS_LANDING_PREFIXES} only. */
  readonly landingBucket: s3.IBucket;
  /**
   * The platform key: server-side encryption of the stream, encryption of the delivered objects (the
   * landing bucket's own key) and of the error log group.
   */
  readonly key: kms.IKey;
  /** Firehose buffering interval (cdk.json `stream.bufferingIntervalSeconds`): 0 to 900 seconds. */
  readonly bufferingInterval: Duration;
  /** Firehose buffering size (cdk.json `stream.bufferingSizeMiB`): 1 to 128 MiB. */
  readonly bufferingSize: Size;
  /** Retention of the delivery error log group. */
  readonly logRetention: logs.RetentionDays;
  /**
   * Removal policy of the delivery error log group.
   * @default RemovalPolicy.RETAIN
   */
  readonly logRemovalPolicy?: RemovalPolicy;
  /**
   * Who may assume the producer role (the app's backend, which sends the plays). The app runs outside this
   * CDK app, so its role cannot be named here; the account root principal delegates the decision to IAM:
   * only a principal of this account whose own policy allows `sts:AssumeRole` on the producer role may
   * assume it, and nobody outside the account can. A producer in another account passes that account's
   * principal (`new iam.AccountPrincipal(id)`).
   * @default new iam.AccountRootPrincipal() - any principal of this stack's account whose IAM policy lets it assume the role
   */
  readonly producerPrincipal?: iam.IPrincipal;
}

/**
 * The listening events' Direct PUT delivery stream (docs/listening-events.md, Delivery): the app puts one JSON
 * line per play; Firehose buffers them, encrypted at rest with the platform key, and writes gzipped objects
 * to the landing bucket under the arrival hour. Delivery errors are logged to an encrypted log group and
 * their records written under the error prefix. Firehose's own role may write only those two prefixes; the
 * producer role may only put records into this stream.
 */
export class ListeningEventsStream extends Construct {
  public readonly deliveryStream: firehose.IDeliveryStream;
  /** The role the app assumes to send plays: `firehose:PutRecord` and `PutRecordBatch` on this stream only. */
  public readonly producerRole: iam.IRole;
  /** Firehose's delivery errors (S3 access, KMS). */
  public readonly errorLogGroup: logs.ILogGroup;

  constructor(scope: Construct, id: string, props: ListeningEventsStreamProps) {
    super(scope, id);
    const problems = firehosePrefixProblems(LISTENS_DATA_PREFIX, LISTENS_ERROR_PREFIX);
    if (problems.length > 0) throw new Error(`Firehose would refuse the prefixes: ${problems.join('; ')}`);
    this.errorLogGroup = encryptedLogGroup(this, 'ErrorLogGroup', {
      retention: props.logRetention,
      key: props.key,
      removalPolicy: props.logRemovalPolicy,
    });

    const deliveryStream = this.createDeliveryStream(props);
    this.deliveryStream = deliveryStream;
    this.producerRole = this.createProducerRole(props, deliveryStream);
  }

  /**
   * The delivery stream, with a role that may write only the two listening-events prefixes (with the key,
   * through S3) and the error log stream.
   */
  private createDeliveryStream(props: ListeningEventsStreamProps): firehose.DeliveryStream {
    const stack = Stack.of(this);
    const { landingBucket, key } = props;
    // Firehose passes the account id as the external id (console-made Firehose roles carry the same
    // condition): only this account's streams may use the role.
    const deliveryRole = new iam.Role(this, 'DeliveryRole', {
      description: 'Firehose: deliver listening events to the landing bucket (stream/listens*)',
      assumedBy: new iam.ServicePrincipal('firehose.amazonaws.com'),
      externalIds: [stack.account],
    });
    // The L2 destination would grant read-write on the whole bucket and its key; the role is handed over
    // immutable and given exactly what delivery needs below.
    const destination = new firehose.S3Bucket(landingBucket, {
      role: deliveryRole.withoutPolicyUpdates(),
      dataOutputPrefix: LISTENS_DATA_PREFIX,
      errorOutputPrefix: LISTENS_ERROR_PREFIX,
      compression: firehose.Compression.GZIP,
      fileExtension: LISTENS_FILE_EXTENSION,
      bufferingInterval: props.bufferingInterval,
      bufferingSize: props.bufferingSize,
      encryptionKey: key,
      loggingConfig: new firehose.EnableLogging(this.errorLogGroup),
    });
    const deliveryStream = new firehose.DeliveryStream(this, 'DeliveryStream', {
      destination,
      role: deliveryRole.withoutPolicyUpdates(),
      // Firehose uses the key through a grant it creates for itself (with the deployer's credentials), so
      // neither its role nor the producers need the key.
      encryption: firehose.StreamEncryption.customerManagedKey(key),
    });

    // The destination adds the log stream to the group; it goes with the group.
    const logStream = this.errorLogGroup.node.findChild(ERROR_LOG_STREAM_ID) as logs.LogStream;
    logStream.applyRemovalPolicy(props.logRemovalPolicy ?? RemovalPolicy.RETAIN);
    const deliveryPolicy = new iam.Policy(this, 'DeliveryPolicy', {
      roles: [deliveryRole],
      statements: deliveryStatements({
        landingBucket,
        key,
        region: stack.region,
        logStreamArn: logStreamArnOf(stack, this.errorLogGroup.logGroupName, logStream.logStreamName),
      }),
    });
    // Firehose checks its access when the stream is created: the policy must exist by then.
    deliveryStream.node.addDependency(deliveryPolicy);
    acknowledgeWildcardResources(
      deliveryPolicy,
      Object.values(LISTENS_LANDING_PREFIXES).map((prefix) => landingBucket.arnForObjects(`${prefix}/*`)),
      'Firehose names its objects itself (arrival hour, stream name, uuid) below the two listening-events prefixes; write-only',
    );

    return deliveryStream;
  }

  /** The role the app assumes to send plays. */
  private createProducerRole(
    props: ListeningEventsStreamProps,
    deliveryStream: firehose.DeliveryStream,
  ): iam.IRole {
    const producerRole = new iam.Role(this, 'ProducerRole', {
      description: 'The app: put listening events into their Firehose delivery stream',
      assumedBy: props.producerPrincipal ?? new iam.AccountRootPrincipal(),
    });
    deliveryStream.grants.putRecords(producerRole);
    return producerRole;
  }
}

/** What the delivery role needs, and no more (docs: "Grant Firehose access to an Amazon S3 destination"). */
function deliveryStatements(options: {
  landingBucket: s3.IBucket;
  key: kms.IKey;
  region: string;
  logStreamArn: string;
}): iam.PolicyStatement[] {
  const { landingBucket, key } = options;
  const objectArns = Object.values(LISTENS_LANDING_PREFIXES).map((prefix) =>
    landingBucket.arnForObjects(`${prefix}/*`),
  );
  return [
    new iam.PolicyStatement({
      sid: 'LocateLandingBucket',
      actions: ['s3:GetBucketLocation', 's3:ListBucketMultipartUploads'],
      resources: [landingBucket.bucketArn],
    }),
    new iam.PolicyStatement({
      sid: 'WriteListeningEvents',
      actions: ['s3:PutObject', 's3:AbortMultipartUpload'],
      resources: objectArns,
    }),
    // SSE-KMS objects through S3 only. With S3 bucket keys the encryption context is the bucket's ARN,
    // without them the object's: both are allowed, nothing else.
    new iam.PolicyStatement({
      sid: 'EncryptListeningEvents',
      actions: ['kms:GenerateDataKey', 'kms:Decrypt'],
      resources: [key.keyArn],
      conditions: {
        StringEquals: { 'kms:ViaService': `s3.${options.region}.amazonaws.com` },
        StringLike: { 'kms:EncryptionContext:aws:s3:arn': [landingBucket.bucketArn, ...objectArns] },
      },
    }),
    new iam.PolicyStatement({
      sid: 'LogDeliveryErrors',
      actions: ['logs:PutLogEvents'],
      resources: [options.logStreamArn],
    }),
  ];
}

/** The id `firehose.S3Bucket` gives the log stream it adds to the error log group. */
const ERROR_LOG_STREAM_ID = 'S3Destination';

function logStreamArnOf(stack: Stack, logGroupName: string, logStreamName: string): string {
  return stack.formatArn({
    service: 'logs',
    resource: 'log-group',
    resourceName: `${logGroupName}:log-stream:${logStreamName}`,
    arnFormat: ArnFormat.COLON_RESOURCE_NAME,
  });
}

const EXPRESSION = /!\{([^{}]*)\}/g;
const TIMESTAMP_PATTERN = /^[yMdHhmsS\-_./]+$/;
const PREFIX_MAX_LENGTH = 1024;

/**
 * What Firehose would refuse in a data prefix and its error prefix (docs "Custom prefixes for Amazon S3
 * objects"), checked at synthesis because CloudFormation only finds out at deployment: expressions are
 * `!{timestamp:<pattern>}`, `!{firehose:random-string}` or, in the error prefix only,
 * `!{firehose:error-output-type}` (partition keys need dynamic partitioning, which this stream does not
 * use); a prefix with expressions needs an error prefix, and an error prefix with expressions must contain
 * `!{firehose:error-output-type}`; each is at most 1024 characters.
 */
export function firehosePrefixProblems(prefix: string, errorOutputPrefix?: string): string[] {
  const problems: string[] = [];
  const check = (value: string, what: string, errorOutput: boolean): string[] => {
    if (value.length > PREFIX_MAX_LENGTH)
      problems.push(`${what} is longer than ${PREFIX_MAX_LENGTH} characters`);
    if (value.replace(EXPRESSION, '').includes('!{')) problems.push(`${what} has an unclosed expression`);
    const expressions = [...value.matchAll(EXPRESSION)].map((match) => match[1]);
    for (const expression of expressions) {
      const [namespace, ...rest] = expression.split(':');
      const argument = rest.join(':');
      const valid =
        (namespace === 'timestamp' && TIMESTAMP_PATTERN.test(argument)) ||
        (namespace === 'firehose' && argument === 'random-string') ||
        (namespace === 'firehose' && argument === 'error-output-type' && errorOutput);
      if (!valid) problems.push(`${what} has an expression Firehose does not accept here: !{${expression}}`);
    }
    return expressions;
  };
  const expressions = check(prefix, 'the prefix', false);
  if (errorOutputPrefix === undefined) {
    if (expressions.length > 0) problems.push('a prefix with expressions needs an error output prefix');
    return problems;
  }
  const errorExpressions = check(errorOutputPrefix, 'the error output prefix', true);
  if (errorExpressions.length > 0 && !errorExpressions.includes('firehose:error-output-type')) {
    problems.push('an error output prefix with expressions must contain !{firehose:error-output-type}');
  }
  return problems;
}
