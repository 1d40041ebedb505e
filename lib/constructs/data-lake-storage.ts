import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';

/** Lifecycle of the landing zone's raw objects. */
export interface LandingLifecycle {
  /** Days before objects move to S3 Standard-IA. */
  readonly infrequentAccessAfterDays: number;
  /** Days before objects move to S3 Glacier Flexible Retrieval. */
  readonly glacierAfterDays: number;
  /** Days before objects (and their old versions) are deleted. */
  readonly expireAfterDays: number;
}

export interface DataLakeStorageProps {
  /** Tiering and expiry of the landing zone. */
  readonly landingLifecycle: LandingLifecycle;
  /**
   * What happens to the buckets and the key when the stack is deleted. DESTROY also empties the buckets.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * The medallion zones on S3: landing (raw records as received), transform (the Iceberg warehouse), serving
 * (exports and reports of the serving layer) and assets (Glue temporary files), all encrypted with one
 * rotating customer-managed KMS key through S3 bucket keys, TLS-only, never public, and logged to an
 * access-logs bucket.
 */
export class DataLakeStorage extends Construct {
  /** The customer-managed key of every zone, the alert topic and the Glue security configuration. */
  public readonly key: kms.IKey;
  public readonly accessLogsBucket: s3.IBucket;
  public readonly landingBucket: s3.IBucket;
  public readonly transformBucket: s3.IBucket;
  public readonly servingBucket: s3.IBucket;
  public readonly assetsBucket: s3.IBucket;

  constructor(scope: Construct, id: string, props: DataLakeStorageProps) {
    super(scope, id);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    this.key = this.createKey(removalPolicy);
    const common: s3.BucketProps = {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      removalPolicy,
      autoDeleteObjects: removalPolicy === RemovalPolicy.DESTROY,
    };
    // Server access logs can only be delivered to an S3-managed-key bucket.
    this.accessLogsBucket = new s3.Bucket(this, 'AccessLogsBucket', {
      ...common,
      encryption: s3.BucketEncryption.S3_MANAGED,
      lifecycleRules: [ABORT_INCOMPLETE_UPLOADS, { id: 'ExpireAccessLogs', expiration: Duration.days(365) }],
    });
    const lakeBucket = (id: string, extra: Partial<s3.BucketProps>): s3.Bucket =>
      new s3.Bucket(this, id, {
        ...common,
        encryption: s3.BucketEncryption.KMS,
        encryptionKey: this.key,
        bucketKeyEnabled: true,
        serverAccessLogsBucket: this.accessLogsBucket,
        serverAccessLogsPrefix: `${id}/`,
        ...extra,
      });
    // Versioned: a re-run replaces a date's keys, and the replaced objects stay recoverable for a while.
    this.landingBucket = lakeBucket('LandingBucket', {
      versioned: true,
      lifecycleRules: landingLifecycleRules(props.landingLifecycle),
    });
    // Iceberg manages its own files (snapshots expire through table maintenance), so no tiering here.
    this.transformBucket = lakeBucket('TransformBucket', { lifecycleRules: [ABORT_INCOMPLETE_UPLOADS] });
    this.servingBucket = lakeBucket('ServingBucket', { lifecycleRules: [ABORT_INCOMPLETE_UPLOADS] });
    this.assetsBucket = lakeBucket('AssetsBucket', {
      lifecycleRules: [
        ABORT_INCOMPLETE_UPLOADS,
        { id: 'ExpireGlueTemporaryFiles', prefix: 'glue-temp/', expiration: Duration.days(7) },
      ],
    });
  }

  /**
   * The rotating customer-managed key, which CloudWatch Logs and CloudWatch alarms (publishing to the
   * encrypted topic) may use on this account's behalf.
   */
  private createKey(removalPolicy: RemovalPolicy): kms.Key {
    const stack = Stack.of(this);
    const key = new kms.Key(this, 'Key', {
      description: 'DeFtunes data platform: lake zones, alerts, Glue logs and bookmarks',
      enableKeyRotation: true,
      removalPolicy,
      pendingWindow: Duration.days(30),
    });
    // Services that encrypt with the key on our behalf, each limited to this account.
    key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowCloudWatchLogsEncryption',
        principals: [new iam.ServicePrincipal(`logs.${stack.region}.amazonaws.com`)],
        actions: ['kms:Encrypt*', 'kms:Decrypt*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'],
        resources: ['*'],
        conditions: {
          ArnLike: {
            'kms:EncryptionContext:aws:logs:arn': `arn:${stack.partition}:logs:${stack.region}:${stack.account}:*`,
          },
        },
      }),
    );
    key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowCloudWatchAlarmsToPublishToEncryptedTopic',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
        conditions: { StringEquals: { 'aws:SourceAccount': stack.account } },
      }),
    );
    return key;
  }
}

/** Every bucket drops the parts of multipart uploads left incomplete for a week. */
const ABORT_INCOMPLETE_UPLOADS: s3.LifecycleRule = {
  id: 'AbortIncompleteMultipartUploads',
  abortIncompleteMultipartUploadAfter: Duration.days(7),
};

/** The landing zone's tiering and expiry, and the expiry of the versions a re-run replaced. */
function landingLifecycleRules(lifecycle: LandingLifecycle): s3.LifecycleRule[] {
  const { infrequentAccessAfterDays, glacierAfterDays, expireAfterDays } = lifecycle;
  return [
    ABORT_INCOMPLETE_UPLOADS,
    {
      id: 'TierRawRecords',
      transitions: [
        {
          storageClass: s3.StorageClass.INFREQUENT_ACCESS,
          transitionAfter: Duration.days(infrequentAccessAfterDays),
        },
        { storageClass: s3.StorageClass.GLACIER, transitionAfter: Duration.days(glacierAfterDays) },
      ],
      expiration: Duration.days(expireAfterDays),
    },
    { id: 'ExpireReplacedVersions', noncurrentVersionExpiration: Duration.days(30) },
  ];
}
