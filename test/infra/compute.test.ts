import { Match } from 'aws-cdk-lib/assertions';
import {
  assetHashSerializer,
  policyStatements,
  propertiesByIdPrefix,
  resourcesOfType,
  synthesizeStage,
  type SynthesizedStage,
} from './synth';

expect.addSnapshotSerializer(assetHashSerializer);

type GlueJob = { DefaultArguments: Record<string, unknown> } & Record<string, unknown>;

/** Actions that have no resource-level permissions, the only ones allowed on `*`. */
const ACTIONS_WITHOUT_RESOURCES = new Set([
  'xray:PutTraceSegments',
  'xray:PutTelemetryRecords',
  'cloudwatch:PutMetricData',
  'redshift-data:DescribeStatement',
  'redshift-data:GetStatementResult',
  'redshift-data:CancelStatement',
  'redshift-data:ListStatements',
]);

describe('Compute stack (dev)', () => {
  let dev: SynthesizedStage;
  let jobs: [string, Record<string, unknown>][];
  beforeAll(() => {
    dev = synthesizeStage('dev');
    jobs = resourcesOfType(dev.compute, 'AWS::Glue::Job');
  });

  const jobNamed = (prefix: string) => propertiesByIdPrefix(jobs, prefix, 'Glue job') as GlueJob;

  it('runs the four transforms as Glue 5.0 PySpark jobs sized per environment, retried by the state machine only', () => {
    expect(jobs).toHaveLength(4);
    for (const [, job] of jobs) {
      expect(job).toMatchObject({
        GlueVersion: '5.0',
        WorkerType: 'G.1X',
        NumberOfWorkers: 2,
        Timeout: 60,
        MaxRetries: 0,
        ExecutionProperty: { MaxConcurrentRuns: 1 },
        Command: { Name: 'glueetl', PythonVersion: '3' },
        SecurityConfiguration: { Ref: expect.stringMatching(/^TransformJobsSecurityConfiguration/) },
      });
    }
  });

  it('configures Iceberg on the Glue catalog, continuous logs and metrics, and the job arguments', () => {
    for (const prefix of [
      'TransformJobsTransformApiJob',
      'TransformJobsTransformSongsJob',
      'TransformJobsTransformEnrichmentJob',
      'TransformJobsTransformListensJob',
    ]) {
      const args = jobNamed(prefix).DefaultArguments;
      expect(args['--datalake-formats']).toBe('iceberg');
      expect(args['--enable-continuous-cloudwatch-log']).toBe('true');
      expect(args['--enable-metrics']).toBe('');
      expect(args['--enable-observability-metrics']).toBe('true');
      expect(args['--catalog_name']).toBe('glue_catalog');
      expect(args['--database']).toBe('deftunes_transform');
      expect(args['--job-bookmark-option']).toBe('job-bookmark-disable');
      const conf = JSON.stringify(args['--conf']);
      for (const setting of [
        'spark.sql.catalog.glue_catalog=org.apache.iceberg.spark.SparkCatalog',
        'spark.sql.catalog.glue_catalog.catalog-impl=org.apache.iceberg.aws.glue.GlueCatalog',
        'spark.sql.catalog.glue_catalog.io-impl=org.apache.iceberg.aws.s3.S3FileIO',
        'spark.sql.extensions=org.apache.iceberg.spark.extensions.IcebergSparkSessionExtensions',
        'spark.sql.catalog.glue_catalog.warehouse=s3://',
      ]) {
        expect(conf).toContain(setting);
      }
      expect(JSON.stringify(args['--landing_path'])).toContain('s3://');
      expect(JSON.stringify(args['--warehouse_path'])).toContain('/warehouse');
      expect(JSON.stringify(args['--job_results_path'])).toContain('/_job_results');
      expect(JSON.stringify(args['--extra-py-files'])).toMatch(/\.zip"/);
    }
    expect(JSON.stringify(jobNamed('TransformJobsTransformApiJob').Command)).toMatch(/\.py/);
  });

  it("encrypts the jobs' S3 output, logs and bookmarks with the platform key", () => {
    dev.compute.hasResourceProperties('AWS::Glue::SecurityConfiguration', {
      EncryptionConfiguration: {
        S3Encryptions: [{ S3EncryptionMode: 'SSE-KMS', KmsKeyArn: Match.anyValue() }],
        CloudWatchEncryption: { CloudWatchEncryptionMode: 'SSE-KMS', KmsKeyArn: Match.anyValue() },
        JobBookmarksEncryption: { JobBookmarksEncryptionMode: 'CSE-KMS', KmsKeyArn: Match.anyValue() },
      },
    });
  });

  it('lets each job read only its own landing prefix and write only its own tables', () => {
    const byPolicy = (prefix: string) =>
      policyStatements(dev.compute)
        .filter(({ policy }) => policy.startsWith(prefix))
        .map(({ statement }) => statement);
    const api = byPolicy('TransformJobsTransformApiRole');
    const songs = byPolicy('TransformJobsTransformSongsRole');
    const text = (statements: Record<string, unknown>[]) => JSON.stringify(statements);
    expect(text(api)).toContain('/api/*');
    expect(text(api)).not.toContain('/db/');
    expect(text(songs)).toContain('/db/*');
    expect(text(songs)).not.toContain('/api/');
    const tables = (statements: Record<string, unknown>[]) =>
      [...new Set(text(statements).match(/table\/deftunes_transform\/\w+/g) ?? [])].sort();
    expect(tables(api)).toEqual([
      'table/deftunes_transform/quarantine',
      'table/deftunes_transform/sessions',
      'table/deftunes_transform/users',
    ]);
    expect(tables(songs)).toEqual(['table/deftunes_transform/quarantine', 'table/deftunes_transform/songs']);
    for (const statement of [...api, ...songs]) {
      expect([statement.Action].flat()).not.toContain('s3:*');
      expect([statement.Action].flat()).not.toContain('glue:DeleteTable');
    }
  });

  it('runs seven Node.js 22 arm64 Lambdas with X-Ray, JSON logs, source maps and Powertools settings', () => {
    const functions = resourcesOfType(dev.compute, 'AWS::Lambda::Function');
    expect(functions).toHaveLength(7);
    for (const [, fn] of functions) {
      expect(fn).toMatchObject({
        Runtime: 'nodejs22.x',
        Architectures: ['arm64'],
        TracingConfig: { Mode: 'Active' },
        LoggingConfig: { LogFormat: 'JSON', LogGroup: expect.anything() },
        Environment: {
          Variables: expect.objectContaining({
            NODE_OPTIONS: '--enable-source-maps',
            POWERTOOLS_SERVICE_NAME: expect.any(String),
            POWERTOOLS_METRICS_NAMESPACE: 'DeFtunes',
          }),
        },
      });
    }
    dev.compute.resourceCountIs('AWS::Lambda::EventInvokeConfig', 7);
    dev.compute.allResourcesProperties('AWS::Lambda::EventInvokeConfig', { MaximumRetryAttempts: 0 });
  });

  it('gives each handler the environment it validates at cold start', () => {
    const envOf = (service: string) =>
      resourcesOfType(dev.compute, 'AWS::Lambda::Function')
        .map(([, fn]) => (fn.Environment as { Variables: Record<string, unknown> }).Variables)
        .find((variables) => variables.POWERTOOLS_SERVICE_NAME === service) as Record<string, unknown>;
    expect(Object.keys(envOf('extract-api'))).toEqual(
      expect.arrayContaining(['LANDING_BUCKET', 'API_BASE_URL']),
    );
    expect(envOf('extract-api').API_BASE_URL).toBe('https://api.dev.deftunes.example.com');
    expect(envOf('extract-songs')).toMatchObject({ SONGS_DB_SECRET_ID: 'deftunes/dev/songs-db' });
    expect(envOf('serving-load')).toMatchObject({
      REDSHIFT_WORKGROUP: 'deftunes-dev',
      REDSHIFT_DATABASE: 'deftunes',
      SERVING_PLAN_PATH: '/var/task/serving-plan.json',
    });
    expect(envOf('data-quality')).toMatchObject({
      REDSHIFT_WORKGROUP: 'deftunes-dev',
      SERVING_PLAN_PATH: '/var/task/serving-plan.json',
      JOB_RESULTS_PREFIX: '_job_results',
    });
    expect(Object.keys(envOf('data-quality'))).toEqual(
      expect.arrayContaining(['LANDING_BUCKET', 'RESULTS_BUCKET', 'JOB_RESULTS_BUCKET']),
    );
  });

  it("gives every function the run-date bounds of cdk.json: earliestRunDate and the schedule's time zone", () => {
    const functions = resourcesOfType(dev.compute, 'AWS::Lambda::Function').map(
      ([, fn]) => (fn.Environment as { Variables: Record<string, unknown> }).Variables,
    );
    const pipelineFunctions = functions.filter((variables) =>
      [
        'resolve-run-date',
        'extract-api',
        'extract-songs',
        'extract-concerts',
        'extract-artist-stats',
        'serving-load',
        'data-quality',
      ].includes(String(variables.POWERTOOLS_SERVICE_NAME)),
    );
    expect(pipelineFunctions).toHaveLength(7);
    for (const variables of pipelineFunctions) {
      expect(variables).toMatchObject({
        EARLIEST_RUN_DATE: '2020-01-01',
        RUN_DATE_TIME_ZONE: 'Europe/Paris',
      });
    }
  });

  it('lets resolve-run-date do nothing but write its logs and traces', () => {
    const [[, fn]] = resourcesOfType(dev.compute, 'AWS::Lambda::Function').filter(
      ([, candidate]) =>
        (candidate.Environment as { Variables: Record<string, unknown> }).Variables
          .POWERTOOLS_SERVICE_NAME === 'resolve-run-date',
    );
    expect(fn).toMatchObject({ Timeout: 30, MemorySize: 256 });
    // The handler reads only the run-date bounds beside the runtime's own variables.
    expect(Object.keys((fn.Environment as { Variables: Record<string, unknown> }).Variables).sort()).toEqual([
      'EARLIEST_RUN_DATE',
      'NODE_OPTIONS',
      'POWERTOOLS_LOGGER_LOG_EVENT',
      'POWERTOOLS_LOG_LEVEL',
      'POWERTOOLS_METRICS_NAMESPACE',
      'POWERTOOLS_SERVICE_NAME',
      'RUN_DATE_TIME_ZONE',
    ]);
    const roleId = (fn.Role as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
    const actions = policyStatements(dev.compute)
      .filter(({ policy }) => policy.startsWith(roleId.replace(/[0-9A-F]{8}$/, '')))
      .flatMap(({ statement }) => [statement.Action].flat() as string[]);
    expect(actions.length).toBeGreaterThan(0);
    expect(actions.filter((action) => !/^(logs|xray):/.test(action))).toEqual([]);
    const role = resourcesOfType(dev.compute, 'AWS::IAM::Role').find(([id]) => id === roleId)?.[1];
    expect(role?.ManagedPolicyArns).toBeUndefined();
  });

  it('grants exact resources: wildcards only on prefixes, `*` only for actions without resource-level permissions', () => {
    for (const { policy, statement } of policyStatements(dev.compute)) {
      if (
        statement.Resource === '*' ||
        (Array.isArray(statement.Resource) && statement.Resource.includes('*'))
      ) {
        for (const action of [statement.Action].flat() as string[]) {
          expect({ policy, action, allowed: ACTIONS_WITHOUT_RESOURCES.has(action) }).toEqual({
            policy,
            action,
            allowed: true,
          });
        }
      }
      expect([statement.Action].flat()).not.toEqual(expect.arrayContaining([expect.stringMatching(/:\*$/)]));
    }
  });

  it('lets the extractors write only their own landing and quarantine prefixes', () => {
    const statements = policyStatements(dev.compute).map(
      ({ policy, statement }) =>
        ({ policy, ...statement }) as { policy: string; Action?: unknown; Resource?: unknown },
    );
    const write = (prefix: string) =>
      statements.find(
        (s) =>
          s.policy.startsWith(prefix) &&
          JSON.stringify(s.Action) === JSON.stringify(['s3:AbortMultipartUpload', 's3:PutObject']),
      );
    expect(JSON.stringify(write('FunctionsExtractApiRole')?.Resource)).toMatch(
      /\/api\/\*.*\/quarantine\/api\/\*/,
    );
    expect(JSON.stringify(write('FunctionsExtractSongsRole')?.Resource)).toMatch(
      /\/db\/\*.*\/quarantine\/db\/\*/,
    );
    // Nothing else on the landing bucket: no read; delete only the source's own manifests.
    for (const [prefix, source] of [
      ['FunctionsExtractApiRole', 'api'],
      ['FunctionsExtractSongsRole', 'db'],
    ]) {
      const s3 = statements.filter(
        (s) =>
          s.policy.startsWith(prefix) && ([s.Action].flat() as string[]).some((a) => a.startsWith('s3:')),
      );
      const s3Actions = s3.flatMap((s) => [s.Action].flat() as string[]);
      expect(s3Actions.sort()).toEqual(['s3:AbortMultipartUpload', 's3:DeleteObject', 's3:PutObject']);
      const deletes = s3.find((s) => s.Action === 's3:DeleteObject');
      expect(JSON.stringify(deletes?.Resource)).toContain(`/${source}/*/_manifest.json`);
    }
    const secret = statements.find(
      (s) =>
        s.policy.startsWith('FunctionsExtractSongsRole') &&
        JSON.stringify(s.Action).includes('secretsmanager:GetSecretValue'),
    );
    expect(JSON.stringify(secret?.Resource)).toContain(':secret:deftunes/dev/songs-db-??????');
  });

  it('maps the warehouse functions to the deftunes_pipeline database role and lets them use this workgroup only', () => {
    dev.compute.hasResourceProperties('AWS::IAM::Role', {
      Tags: Match.arrayWith([{ Key: 'RedshiftDbRoles', Value: 'deftunes_pipeline' }]),
    });
    const statements = policyStatements(dev.compute).filter(({ policy }) =>
      policy.startsWith('FunctionsWarehouseRole'),
    );
    for (const action of [
      'redshift-data:ExecuteStatement',
      'redshift-data:BatchExecuteStatement',
      'redshift-serverless:GetCredentials',
    ]) {
      const granting = statements.filter(({ statement }) =>
        ([statement.Action].flat() as string[]).includes(action),
      );
      expect(granting).toHaveLength(1);
      expect(JSON.stringify(granting[0].statement.Resource)).toMatch(/WarehouseWorkgroup\w+WorkgroupArn/);
    }
  });

  it('matches the snapshot', () => {
    expect(dev.compute.toJSON()).toMatchSnapshot('compute');
  });
});
