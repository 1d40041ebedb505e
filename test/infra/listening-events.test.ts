/**
 * The listening events' infrastructure (docs/listening-events.md): the Firehose delivery stream (what AWS
 * would refuse at deployment is checked here, at synthesis), its two roles, the transform_listens job and
 * its grants, and the alarms. The local binding of TransformListens: listening-events-local.test.ts.
 */
import { Validations } from 'aws-cdk-lib';
import { parseEnvironments } from '../../lib/config';
import {
  firehosePrefixProblems,
  LISTENS_DATA_PREFIX,
  LISTENS_ERROR_PREFIX,
} from '../../lib/constructs/listening-events-stream';
import { readCdkJsonContext } from '../../lib/deftunes-app';
import { policyStatements, resourcesOfType, synthesizeStage, type SynthesizedStage } from './synth';

type Props = Record<string, unknown>;
type Statement = { policy: string; Sid?: string; Action?: unknown; Resource?: unknown; Condition?: unknown };

const environments = () =>
  structuredClone(readCdkJsonContext()['deftunes:environments']) as Record<string, Record<string, unknown>>;
const text = (value: unknown) => JSON.stringify(value);
const only = <T>(found: T[], what: string): T => {
  if (found.length !== 1) throw new Error(`expected one ${what}, found ${found.length}`);
  return found[0];
};
const deliveryStreamOf = (template: SynthesizedStage['storage']) =>
  only(resourcesOfType(template, 'AWS::KinesisFirehose::DeliveryStream'), 'delivery stream');

describe('Firehose prefix rules (what CreateDeliveryStream refuses)', () => {
  it("accepts the contract's prefixes", () => {
    expect(firehosePrefixProblems(LISTENS_DATA_PREFIX, LISTENS_ERROR_PREFIX)).toEqual([]);
    expect(LISTENS_DATA_PREFIX).toBe(
      'stream/listens/arrived_on=!{timestamp:yyyy-MM-dd}/hour=!{timestamp:HH}/',
    );
    expect(LISTENS_ERROR_PREFIX).toBe(
      'stream/listens_errors/!{firehose:error-output-type}/arrived_on=!{timestamp:yyyy-MM-dd}/hour=!{timestamp:HH}/',
    );
  });

  it('refuses a prefix with expressions but no error prefix, or an error prefix without the error type', () => {
    expect(firehosePrefixProblems(LISTENS_DATA_PREFIX)).toEqual([
      'a prefix with expressions needs an error output prefix',
    ]);
    expect(firehosePrefixProblems('plain/prefix/')).toEqual([]);
    expect(firehosePrefixProblems(LISTENS_DATA_PREFIX, 'errors/!{timestamp:yyyy}/')).toEqual([
      'an error output prefix with expressions must contain !{firehose:error-output-type}',
    ]);
  });

  it('refuses expressions Firehose does not know, or not in that prefix', () => {
    const problems = (prefix: string) => firehosePrefixProblems(prefix, LISTENS_ERROR_PREFIX);
    expect(problems('a/!{firehose:error-output-type}/')).toEqual([
      'the prefix has an expression Firehose does not accept here: !{firehose:error-output-type}',
    ]);
    // Partition keys need dynamic partitioning, which this stream does not use.
    expect(problems('a/!{partitionKeyFromQuery:device}/')).toHaveLength(1);
    expect(problems('a/!{timestamp:yyyy-MM-dd HH:mm}/')).toHaveLength(1);
    expect(problems('a/!{timestamp:yyyy/')).toEqual(['the prefix has an unclosed expression']);
    expect(problems('a/!{firehose:random-string}/')).toEqual([]);
    expect(problems(`${'x'.repeat(1025)}/`)).toEqual(['the prefix is longer than 1024 characters']);
  });
});

describe('listening events infrastructure (dev)', () => {
  let dev: SynthesizedStage;
  let storageStatements: Statement[];
  const [devConfig] = parseEnvironments(environments());
  beforeAll(() => {
    dev = synthesizeStage('dev');
    storageStatements = policyStatements(dev.storage).map(({ policy, statement }) => ({
      policy,
      ...statement,
    }));
  });
  const statementsOf = (policyPrefix: string) =>
    storageStatements.filter((s) => s.policy.startsWith(policyPrefix));

  it('is a Direct PUT stream encrypted at rest with the platform key, into the landing bucket as the contract says', () => {
    const [, stream] = deliveryStreamOf(dev.storage);
    const [keyId] = only(resourcesOfType(dev.storage, 'AWS::KMS::Key'), 'key');
    const landing = only(
      resourcesOfType(dev.storage, 'AWS::S3::Bucket').filter(([id]) =>
        id.startsWith('DataLakeLandingBucket'),
      ),
      'landing bucket',
    );
    expect(stream).toMatchObject({
      DeliveryStreamType: 'DirectPut',
      DeliveryStreamEncryptionConfigurationInput: {
        KeyType: 'CUSTOMER_MANAGED_CMK',
        KeyARN: { 'Fn::GetAtt': [keyId, 'Arn'] },
      },
      ExtendedS3DestinationConfiguration: {
        BucketARN: { 'Fn::GetAtt': [landing[0], 'Arn'] },
        Prefix: LISTENS_DATA_PREFIX,
        ErrorOutputPrefix: LISTENS_ERROR_PREFIX,
        CompressionFormat: 'GZIP',
        FileExtension: '.jsonl.gz',
        BufferingHints: {
          IntervalInSeconds: devConfig.stream.bufferingIntervalSeconds,
          SizeInMBs: devConfig.stream.bufferingSizeMiB,
        },
        // The objects are encrypted with the landing bucket's own key.
        EncryptionConfiguration: { KMSEncryptionConfig: { AWSKMSKeyARN: { 'Fn::GetAtt': [keyId, 'Arn'] } } },
        CloudWatchLoggingOptions: { Enabled: true },
      },
    });
    expect(text(landing[1].BucketEncryption)).toContain(keyId);
    // Neither a processor (dynamic partitioning) nor a backup: the prefixes above are all there is.
    const destination = (stream as Props).ExtendedS3DestinationConfiguration as Props;
    expect(destination.ProcessingConfiguration).toBeUndefined();
    expect(destination.S3BackupMode ?? 'Disabled').toBe('Disabled');
    // Arrival hours are UTC: Firehose's default time zone, not overridden.
    expect(destination.CustomTimeZone ?? 'UTC').toBe('UTC');
  });

  it('stays within what AWS accepts (checked at synthesis, not at deployment)', () => {
    const [, stream] = deliveryStreamOf(dev.storage);
    const destination = stream.ExtendedS3DestinationConfiguration as {
      Prefix: string;
      ErrorOutputPrefix?: string;
      FileExtension: string;
      BufferingHints: { IntervalInSeconds: number; SizeInMBs: number };
    };
    expect(firehosePrefixProblems(destination.Prefix, destination.ErrorOutputPrefix)).toEqual([]);
    expect(destination.BufferingHints.IntervalInSeconds).toBeGreaterThanOrEqual(0);
    expect(destination.BufferingHints.IntervalInSeconds).toBeLessThanOrEqual(900);
    expect(destination.BufferingHints.SizeInMBs).toBeGreaterThanOrEqual(1);
    expect(destination.BufferingHints.SizeInMBs).toBeLessThanOrEqual(128);
    // Firehose: a leading period, then 0-9a-z!-_.*'() only, at most 128 characters.
    expect(destination.FileExtension).toMatch(/^\.[0-9a-z!\-_.*'()]{1,127}$/);
    // A name of our own would have to fit 1-64 characters of [a-zA-Z0-9_.-]; CloudFormation's does.
    const name = stream.DeliveryStreamName as string | undefined;
    if (name !== undefined) expect(name).toMatch(/^[a-zA-Z0-9_.-]{1,64}$/);
    // The buffering is cdk.json's for each environment (prod too), and config refuses what Firehose would.
    const [, prodStream] = deliveryStreamOf(synthesizeStage('prod').storage);
    const [, prodConfig] = parseEnvironments(environments());
    expect(text(prodStream.ExtendedS3DestinationConfiguration)).toContain(
      text({
        IntervalInSeconds: prodConfig.stream.bufferingIntervalSeconds,
        SizeInMBs: prodConfig.stream.bufferingSizeMiB,
      }),
    );
    for (const [key, value] of [
      ['bufferingIntervalSeconds', 901],
      ['bufferingSizeMiB', 0],
      ['bufferingSizeMiB', 129],
    ] as const) {
      const raw = environments();
      (raw.dev.stream as Record<string, unknown>)[key] = value;
      expect(() => parseEnvironments(raw)).toThrow(new RegExp(`dev\\.stream\\.${key}`));
    }
  });

  it('logs delivery errors to a log group encrypted with the platform key, with the environment retention', () => {
    const [, stream] = deliveryStreamOf(dev.storage);
    const [keyId] = only(resourcesOfType(dev.storage, 'AWS::KMS::Key'), 'key');
    const logging = (stream.ExtendedS3DestinationConfiguration as Props).CloudWatchLoggingOptions as Props;
    const [logGroupId, logGroup] = only(
      resourcesOfType(dev.storage, 'AWS::Logs::LogGroup').filter(([id]) => id.startsWith('ListeningEvents')),
      'error log group',
    );
    expect(logging.LogGroupName).toEqual({ Ref: logGroupId });
    expect(logGroup).toMatchObject({
      RetentionInDays: devConfig.logRetentionDays,
      KmsKeyId: { 'Fn::GetAtt': [keyId, 'Arn'] },
    });
    // Retained like the other stateful resources (and destroyed with them when asked).
    const resources = dev.storage.toJSON().Resources as Record<string, { DeletionPolicy?: string }>;
    expect(resources[logGroupId].DeletionPolicy).toBe('Retain');
    const logStreamId = (logging.LogStreamName as { Ref: string }).Ref;
    expect(resources[logStreamId].DeletionPolicy).toBe('Retain');
    const destroyed = synthesizeStage('dev', { context: { 'deftunes:destroyOnRemoval': 'true' } }).storage;
    const destroyedResources = destroyed.toJSON().Resources as Record<string, { DeletionPolicy?: string }>;
    expect(destroyedResources[logGroupId].DeletionPolicy).toBe('Delete');
    expect(destroyedResources[logStreamId].DeletionPolicy).toBe('Delete');
  });

  it("gives Firehose's role only its two prefixes, the key through S3, and its log stream; no wildcard resource", () => {
    const [streamId] = deliveryStreamOf(dev.storage);
    const [roleId, role] = only(
      resourcesOfType(dev.storage, 'AWS::IAM::Role').filter(([id]) =>
        id.startsWith('ListeningEventsDeliveryRole'),
      ),
      'delivery role',
    );
    expect(role.AssumeRolePolicyDocument).toEqual({
      Version: '2012-10-17',
      Statement: [
        {
          Action: 'sts:AssumeRole',
          Effect: 'Allow',
          Principal: { Service: 'firehose.amazonaws.com' },
          Condition: { StringEquals: { 'sts:ExternalId': devConfig.account } },
        },
      ],
    });
    const attached = storageStatements.filter((s) => policyRoles(dev, s.policy).includes(roleId));
    expect(attached.map((s) => s.Sid).sort()).toEqual([
      'EncryptListeningEvents',
      'LocateLandingBucket',
      'LogDeliveryErrors',
      'WriteListeningEvents',
    ]);
    const bySid = (sid: string) => attached.find((s) => s.Sid === sid) as Statement;
    expect([bySid('WriteListeningEvents').Action].flat().sort()).toEqual([
      's3:AbortMultipartUpload',
      's3:PutObject',
    ]);
    const written = ([bySid('WriteListeningEvents').Resource].flat() as unknown[]).map(
      (resource) => text(resource).match(/"(\/[^"]*)"\]\]\}$/)?.[1],
    );
    expect(written.sort()).toEqual(['/stream/listens/*', '/stream/listens_errors/*']);
    expect(bySid('EncryptListeningEvents').Condition).toMatchObject({
      StringEquals: { 'kms:ViaService': 's3.eu-west-1.amazonaws.com' },
    });
    expect(text(bySid('LogDeliveryErrors').Resource)).toContain(':log-stream:');
    for (const statement of attached) {
      expect([statement.Resource].flat()).not.toContain('*');
      expect(text(statement.Action)).not.toMatch(/Delete|GetObject|\*"/);
    }
    // Firehose checks its access when the stream is created: the policy is there first.
    const dependsOn = (dev.storage.toJSON().Resources[streamId] as { DependsOn?: string[] }).DependsOn ?? [];
    expect(dependsOn.some((id) => id.startsWith('ListeningEventsDeliveryPolicy'))).toBe(true);
  });

  it('lets the producer role, assumable in the account, only put records into this stream', () => {
    const [streamId] = deliveryStreamOf(dev.storage);
    const [, role] = only(
      resourcesOfType(dev.storage, 'AWS::IAM::Role').filter(([id]) =>
        id.startsWith('ListeningEventsProducerRole'),
      ),
      'producer role',
    );
    expect(text(role.AssumeRolePolicyDocument)).toContain(`"AWS":"arn:aws:iam::${devConfig.account}:root"`);
    const statements = statementsOf('ListeningEventsProducerRole');
    expect(statements).toEqual([
      expect.objectContaining({
        Action: ['firehose:PutRecord', 'firehose:PutRecordBatch'],
        Resource: { 'Fn::GetAtt': [streamId, 'Arn'] },
      }),
    ]);
    const outputs = dev.storage.toJSON().Outputs as Record<string, { Value: unknown }>;
    expect(outputs.ListeningEventsStreamName.Value).toEqual({ Ref: streamId });
    expect(text(outputs.ListeningEventsProducerRoleArn.Value)).toContain('ListeningEventsProducerRole');
  });

  it('runs transform_listens with the other jobs’ arguments plus --lateness_hours, reading stream/listens only', () => {
    const jobs = resourcesOfType(dev.compute, 'AWS::Glue::Job');
    const jobOf = (id: string) =>
      only(
        jobs.filter(([logicalId]) => logicalId.startsWith(id)),
        id,
      )[1];
    const listens = jobOf('TransformJobsTransformListensJob');
    const api = jobOf('TransformJobsTransformApiJob');
    expect(text(listens.Command)).toMatch(/\.py"/);
    expect(listens).toMatchObject({
      GlueVersion: '5.0',
      MaxRetries: 0,
      ExecutionProperty: { MaxConcurrentRuns: 1 },
    });
    const args = listens.DefaultArguments as Record<string, unknown>;
    const apiArgs = api.DefaultArguments as Record<string, unknown>;
    expect(Object.keys(args).sort()).toEqual([...Object.keys(apiArgs), '--lateness_hours'].sort());
    expect(args['--lateness_hours']).toBe(String(devConfig.stream.latenessHours));
    // Only this job gets it: the others refuse the argument.
    for (const [, job] of jobs.filter(([id]) => !id.startsWith('TransformJobsTransformListensJob'))) {
      expect(job.DefaultArguments as Props).not.toHaveProperty('--lateness_hours');
    }
    const role = policyStatements(dev.compute)
      .filter(({ policy }) => policy.startsWith('TransformJobsTransformListensRole'))
      .map(({ statement }) => statement as Statement);
    const bySid = (sid: string) => role.find((s) => s.Sid === sid);
    expect(bySid('ListLandingPrefixes')?.Condition).toEqual({
      StringLike: { 's3:prefix': ['stream/listens/*'] },
    });
    expect(text(bySid('ReadLandingPrefixes')?.Resource)).toMatch(/"\/stream\/listens\/\*"\]\]\}$/);
    const tables = [...new Set(text(role).match(/table\/deftunes_transform\/\w+/g) ?? [])].sort();
    expect(tables).toEqual(['table/deftunes_transform/listens', 'table/deftunes_transform/quarantine']);
    for (const other of ['TransformApi', 'TransformSongs', 'TransformEnrichment']) {
      const otherRole = policyStatements(dev.compute).filter(({ policy }) =>
        policy.startsWith(`TransformJobs${other}Role`),
      );
      expect(text(otherRole)).not.toMatch(/stream\/|\/listens/);
    }
  });

  it('fixes cdk-nag findings on the stream (KDF1: encrypted) rather than acknowledging them, but its two prefixes', () => {
    const acknowledged = dev.stage.storage.listeningEvents.node
      .findAll()
      .flatMap(({ node }) => node.metadata)
      .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((entry) => Object.keys(entry.data as object));
    expect(acknowledged.map((id) => id.replace(/\[.*\/(stream\/[a-z_]+)\/\*\]$/, '[$1]')).sort()).toEqual([
      'Annotation::AwsSolutions-IAM5[stream/listens]',
      'Annotation::AwsSolutions-IAM5[stream/listens_errors]',
    ]);
  });

  it('takes the lateness window from cdk.json', () => {
    const raw = environments();
    (raw.dev.stream as Record<string, unknown>).latenessHours = 30;
    const changed = synthesizeStage('dev', { context: { 'deftunes:environments': raw } });
    const [[, job]] = resourcesOfType(changed.compute, 'AWS::Glue::Job').filter(([id]) =>
      id.startsWith('TransformJobsTransformListensJob'),
    );
    expect((job.DefaultArguments as Props)['--lateness_hours']).toBe('30');
  });

  it('alarms to the alert topic when deliveries fall behind or fail, and when the job fails', () => {
    const alarms = resourcesOfType(dev.pipeline, 'AWS::CloudWatch::Alarm');
    const alarm = (metric: string) =>
      only(
        alarms.filter(([, a]) => a.MetricName === metric),
        `${metric} alarm`,
      )[1];
    const freshness = alarm('DeliveryToS3.DataFreshness');
    expect(freshness).toMatchObject({
      Namespace: 'AWS/Firehose',
      Statistic: 'Maximum',
      ComparisonOperator: 'GreaterThanThreshold',
      Threshold: devConfig.stream.bufferingIntervalSeconds + 15 * 60,
      TreatMissingData: 'notBreaching',
    });
    const failed = alarm('DeliveryToS3.Success');
    expect(failed).toMatchObject({
      Namespace: 'AWS/Firehose',
      Statistic: 'Minimum',
      ComparisonOperator: 'LessThanThreshold',
      Threshold: 1,
      EvaluationPeriods: 3,
    });
    const [topicId] = only(resourcesOfType(dev.pipeline, 'AWS::SNS::Topic'), 'alert topic');
    for (const watched of [freshness, failed]) {
      expect(text(watched.Dimensions)).toContain('DeliveryStreamName');
      expect(text(watched.Dimensions)).toContain('ListeningEventsDeliveryStream');
      expect(watched.AlarmActions).toEqual([{ Ref: topicId }]);
    }
    const jobAlarms = alarms.filter(([id]) => id.startsWith('MonitoringTransformListens')).map(([id]) => id);
    expect(jobAlarms.map((id) => id.replace(/[0-9A-F]{8}$/, '')).sort()).toEqual([
      'MonitoringTransformListensFailedAlarm',
      'MonitoringTransformListensTimedOutAlarm',
    ]);
  });
});

/** The logical ids of the roles a policy of the stack is attached to. */
function policyRoles(stage: SynthesizedStage, policyId: string): string[] {
  const resources = stage.storage.toJSON().Resources as Record<
    string,
    { Properties?: { Roles?: { Ref: string }[] } }
  >;
  return (resources[policyId]?.Properties?.Roles ?? []).map((role) => role.Ref);
}
