import { Match } from 'aws-cdk-lib/assertions';
import { assetHashSerializer, resourcesOfType, synthesizeStage, type SynthesizedStage } from './synth';

expect.addSnapshotSerializer(assetHashSerializer);

describe('Storage and Catalog stacks (dev)', () => {
  let dev: SynthesizedStage;
  beforeAll(() => {
    dev = synthesizeStage('dev');
  });

  it('has one customer-managed key, rotating, retained', () => {
    dev.storage.resourceCountIs('AWS::KMS::Key', 1);
    dev.storage.hasResource('AWS::KMS::Key', {
      Properties: { EnableKeyRotation: true },
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
    });
  });

  it('blocks public access, retains, and enforces TLS on every bucket', () => {
    const buckets = resourcesOfType(dev.storage, 'AWS::S3::Bucket');
    expect(buckets).toHaveLength(5);
    for (const [, properties] of buckets) {
      expect(properties.PublicAccessBlockConfiguration).toEqual({
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      });
    }
    dev.storage.allResources('AWS::S3::Bucket', { DeletionPolicy: 'Retain' });
    const policies = resourcesOfType(dev.storage, 'AWS::S3::BucketPolicy');
    expect(policies).toHaveLength(5);
    for (const [, properties] of policies) {
      const statements = (properties.PolicyDocument as { Statement: Record<string, unknown>[] }).Statement;
      expect(statements).toEqual(
        expect.arrayContaining([
          expect.objectContaining({
            Effect: 'Deny',
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          }),
          expect.objectContaining({
            Effect: 'Deny',
            Condition: { NumericLessThan: { 's3:TlsVersion': 1.2 } },
          }),
        ]),
      );
    }
    dev.storage.resourceCountIs('Custom::S3AutoDeleteObjects', 0);
  });

  it('encrypts the lake buckets with the key through bucket keys, and logs their access', () => {
    const buckets = resourcesOfType(dev.storage, 'AWS::S3::Bucket');
    const lake = buckets.filter(([id]) => !id.includes('AccessLogs'));
    expect(lake.map(([id]) => id.replace(/[0-9A-F]{8}$/, '')).sort()).toEqual([
      'DataLakeAssetsBucket',
      'DataLakeLandingBucket',
      'DataLakeServingBucket',
      'DataLakeTransformBucket',
    ]);
    for (const [, properties] of lake) {
      expect(properties.BucketEncryption).toEqual({
        ServerSideEncryptionConfiguration: [
          {
            BucketKeyEnabled: true,
            ServerSideEncryptionByDefault: {
              SSEAlgorithm: 'aws:kms',
              KMSMasterKeyID: { 'Fn::GetAtt': [expect.stringMatching(/^DataLakeKey/), 'Arn'] },
            },
          },
        ],
      });
      expect(properties.LoggingConfiguration).toEqual({
        DestinationBucketName: { Ref: expect.stringMatching(/^DataLakeAccessLogsBucket/) },
        LogFilePrefix: expect.any(String),
      });
      expect(JSON.stringify(properties.LifecycleConfiguration)).toContain('"AbortIncompleteMultipartUpload"');
    }
  });

  it('versions the landing bucket and tiers it to Standard-IA, then Glacier, then expires it', () => {
    dev.storage.hasResourceProperties('AWS::S3::Bucket', {
      VersioningConfiguration: { Status: 'Enabled' },
      LifecycleConfiguration: {
        Rules: Match.arrayWith([
          Match.objectLike({ AbortIncompleteMultipartUpload: { DaysAfterInitiation: 7 } }),
          Match.objectLike({
            Id: 'TierRawRecords',
            Status: 'Enabled',
            ExpirationInDays: 365,
            Transitions: [
              { StorageClass: 'STANDARD_IA', TransitionInDays: 30 },
              { StorageClass: 'GLACIER', TransitionInDays: 90 },
            ],
          }),
        ]),
      },
    });
  });

  it('lets CloudWatch Logs and alarms use the key, within this account only', () => {
    const key = resourcesOfType(dev.storage, 'AWS::KMS::Key')[0][1];
    const statements = (key.KeyPolicy as { Statement: Record<string, unknown>[] }).Statement;
    expect(statements).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          Sid: 'AllowCloudWatchLogsEncryption',
          Principal: { Service: 'logs.eu-west-1.amazonaws.com' },
          Condition: {
            ArnLike: { 'kms:EncryptionContext:aws:logs:arn': 'arn:aws:logs:eu-west-1:111111111111:*' },
          },
        }),
        expect.objectContaining({
          Sid: 'AllowCloudWatchAlarmsToPublishToEncryptedTopic',
          Principal: { Service: 'cloudwatch.amazonaws.com' },
          Condition: { StringEquals: { 'aws:SourceAccount': '111111111111' } },
        }),
      ]),
    );
  });

  it('creates the transform database under its contract name, retained', () => {
    dev.catalog.hasResource('AWS::Glue::Database', {
      Properties: {
        DatabaseInput: Match.objectLike({ Name: 'deftunes_transform', LocationUri: Match.anyValue() }),
      },
      DeletionPolicy: 'Retain',
    });
  });

  it('matches the snapshots', () => {
    expect(dev.storage.toJSON()).toMatchSnapshot('storage');
    expect(dev.catalog.toJSON()).toMatchSnapshot('catalog');
  });
});

describe('destroyOnRemoval', () => {
  it('deletes and empties buckets, key and database only when the context flag asks', () => {
    const disposable = synthesizeStage('dev', { context: { 'deftunes:destroyOnRemoval': 'true' } });
    disposable.storage.allResources('AWS::S3::Bucket', { DeletionPolicy: 'Delete' });
    disposable.storage.resourceCountIs('Custom::S3AutoDeleteObjects', 5);
    disposable.storage.hasResource('AWS::KMS::Key', { DeletionPolicy: 'Delete' });
    disposable.catalog.hasResource('AWS::Glue::Database', { DeletionPolicy: 'Delete' });
    disposable.warehouse.hasResource('AWS::RedshiftServerless::Namespace', { DeletionPolicy: 'Delete' });
  });
});
