import * as path from 'node:path';
import { ArnFormat, Duration, Stack } from 'aws-cdk-lib';
import * as glue from 'aws-cdk-lib/aws-glue';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3assets from 'aws-cdk-lib/aws-s3-assets';
import { Construct } from 'constructs';
import {
  ENRICHMENT_TABLES,
  JOB_RESULTS_PREFIX,
  LISTENS_TABLE,
  QUARANTINE_TABLE,
  WAREHOUSE_PREFIX,
} from '../../lambdas/shared/platform-names';
import { LANDING_ORIGINS, LISTENS_LANDING_PREFIXES } from '../../lambdas/shared/landing-keys';
import { acknowledge, acknowledgeWildcardActions, acknowledgeWildcardResources } from '../nag';
import { ENRICHMENT_LANDING_PREFIXES } from './enrichment-functions';
import { PROJECT_ROOT } from './pipeline-function';

/** Name of the Iceberg catalog inside Spark; the scripts address tables as `glue_catalog.<database>.<table>`. */
export const ICEBERG_CATALOG_NAME = 'glue_catalog';

export interface TransformJobsProps {
  /** The Glue database of the transform zone. */
  readonly database: glue.IDatabase;
  /**
   * Its name, written literally into the job arguments and table ARNs (it is a contract, not a generated
   * name).
   */
  readonly databaseName: string;
  /** Raw records (read-only for the jobs). */
  readonly landingBucket: s3.IBucket;
  /** The Iceberg warehouse. */
  readonly transformBucket: s3.IBucket;
  /** Glue temporary files (`glue-temp/`). */
  readonly assetsBucket: s3.IBucket;
  /** Key of the buckets, the job logs and the bookmarks. */
  readonly key: kms.IKey;
  readonly workerType: glue.WorkerType;
  readonly numberOfWorkers: number;
  /** A run is stopped (TIMEOUT) after this long. */
  readonly timeout: Duration;
  /**
   * How long after its day a play may arrive and still count for it (cdk.json `stream.latenessHours`):
   * `transform_listens`'s `--lateness_hours`.
   */
  readonly latenessHours: number;
  /**
   * Directory of the Glue scripts, relative to the repository root.
   * @default 'glue-scripts'
   */
  readonly scriptsDir?: string;
}

/** One transform job: its script and the landing prefixes and tables it owns. */
interface JobSpec {
  readonly id: 'TransformApi' | 'TransformSongs' | 'TransformEnrichment' | 'TransformListens';
  readonly script: string;
  readonly description: string;
  /** Landing prefixes the job reads. */
  readonly readsLanding: string[];
  /** Iceberg tables the job writes. */
  readonly writesTables: string[];
  /** The job's own arguments, besides the ones every job gets. */
  readonly arguments?: Record<string, string>;
}

/**
 * `transform_listens`'s own arguments (the other jobs refuse them): the lateness window of cdk.json
 * `stream.latenessHours`. The local binding of TransformListens passes the same.
 */
/** The Glue Data Catalog ARNs of `tables` in `databaseName`, for policies scoped to the tables one role uses. */
export function glueTableArns(stack: Stack, databaseName: string, tables: readonly string[]): string[] {
  return tables.map((table) =>
    stack.formatArn({ service: 'glue', resource: 'table', resourceName: `${databaseName}/${table}` }),
  );
}

export function transformListensArguments(latenessHours: number): Record<string, string> {
  return { '--lateness_hours': String(latenessHours) };
}

/** The transform jobs; `latenessHours` is the listening events job's window (cdk.json `stream`). */
const jobSpecs = (latenessHours: number): readonly JobSpec[] => [
  {
    id: 'TransformApi',
    script: 'transform_api.py',
    description: 'Landing API records (users, sessions) to Iceberg tables in the transform zone',
    readsLanding: [`${LANDING_ORIGINS.api}/*`],
    writesTables: ['users', 'sessions', QUARANTINE_TABLE],
  },
  {
    id: 'TransformSongs',
    script: 'transform_songs.py',
    description: 'Landing songs catalog extract to the Iceberg songs table in the transform zone',
    readsLanding: [`${LANDING_ORIGINS.songsDb}/*`],
    writesTables: ['songs', QUARANTINE_TABLE],
  },
  {
    id: 'TransformEnrichment',
    script: 'transform_enrichment.py',
    description:
      'Landing concerts and artist statistics (external APIs) to Iceberg tables in the transform zone',
    // The two extractors' own prefixes, exactly: ext/ may hold other sources later.
    readsLanding: Object.values(ENRICHMENT_LANDING_PREFIXES).map((source) => `${source}/*`),
    writesTables: [...ENRICHMENT_TABLES, QUARANTINE_TABLE],
  },
  {
    id: 'TransformListens',
    script: 'transform_listens.py',
    description:
      'Landing listening events (Firehose, by arrival hour) to the Iceberg listens table in the transform zone',
    // The delivered objects only: Firehose's error records (listens_errors) are not events.
    readsLanding: [`${LISTENS_LANDING_PREFIXES.data}/*`],
    writesTables: [LISTENS_TABLE, QUARANTINE_TABLE],
    arguments: transformListensArguments(latenessHours),
  },
];

/**
 * The four PySpark transform jobs (Glue 5.0, Iceberg through the Glue Data Catalog), sharing a security
 * configuration that encrypts their S3 output, CloudWatch logs and bookmarks with the platform key. Each job
 * has its own role, limited to the landing prefix it reads and the tables it writes.
 */
export class TransformJobs extends Construct {
  public readonly apiJob: glue.IJob;
  public readonly songsJob: glue.IJob;
  public readonly enrichmentJob: glue.IJob;
  public readonly listensJob: glue.IJob;
  public readonly securityConfiguration: glue.ISecurityConfiguration;

  constructor(scope: Construct, id: string, props: TransformJobsProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const scriptsDir = path.join(PROJECT_ROOT, props.scriptsDir ?? 'glue-scripts');

    this.securityConfiguration = new glue.SecurityConfiguration(this, 'SecurityConfiguration', {
      s3Encryption: glue.S3Encryption.kms(props.key),
      cloudWatchEncryption: glue.CloudWatchEncryption.kms(props.key),
      jobBookmarksEncryption: glue.JobBookmarksEncryption.clientSideKms(props.key),
    });

    // The shared package, zipped with `deftunes_glue/` at the root so `import deftunes_glue` works.
    const packageAsset = new s3assets.Asset(this, 'PythonPackage', {
      path: scriptsDir,
      exclude: [
        '*',
        '!deftunes_glue',
        '!deftunes_glue/**',
        '**/__pycache__',
        '**/__pycache__/**',
        '**/*.pyc',
      ],
    });

    const warehousePath = props.transformBucket.s3UrlForObject(WAREHOUSE_PREFIX);
    const sparkConf = [
      `spark.sql.catalog.${ICEBERG_CATALOG_NAME}=org.apache.iceberg.spark.SparkCatalog`,
      `spark.sql.catalog.${ICEBERG_CATALOG_NAME}.warehouse=${warehousePath}`,
      `spark.sql.catalog.${ICEBERG_CATALOG_NAME}.catalog-impl=org.apache.iceberg.aws.glue.GlueCatalog`,
      `spark.sql.catalog.${ICEBERG_CATALOG_NAME}.io-impl=org.apache.iceberg.aws.s3.S3FileIO`,
      'spark.sql.extensions=org.apache.iceberg.spark.extensions.IcebergSparkSessionExtensions',
    ];
    const catalogArn = stack.formatArn({ service: 'glue', resource: 'catalog' });
    const logGroupsArn = stack.formatArn({
      service: 'logs',
      resource: 'log-group',
      resourceName: '/aws-glue/*',
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });

    const jobs = jobSpecs(props.latenessHours).map((spec) => {
      const scope = new Construct(this, spec.id);
      const role = new iam.Role(scope, 'Role', {
        assumedBy: new iam.ServicePrincipal('glue.amazonaws.com'),
        description: `Glue job ${spec.id}`,
      });
      role.addToPolicy(
        new iam.PolicyStatement({
          sid: 'ListLandingPrefixes',
          actions: ['s3:ListBucket'],
          resources: [props.landingBucket.bucketArn],
          conditions: { StringLike: { 's3:prefix': spec.readsLanding } },
        }),
      );
      role.addToPolicy(
        new iam.PolicyStatement({
          sid: 'ReadLandingPrefixes',
          actions: ['s3:GetObject'],
          resources: spec.readsLanding.map((prefix) => props.landingBucket.arnForObjects(prefix)),
        }),
      );
      role.addToPolicy(
        new iam.PolicyStatement({
          sid: 'ListWarehouse',
          actions: ['s3:ListBucket'],
          resources: [props.transformBucket.bucketArn],
          conditions: {
            StringLike: {
              's3:prefix': [
                WAREHOUSE_PREFIX,
                `${WAREHOUSE_PREFIX}/*`,
                JOB_RESULTS_PREFIX,
                `${JOB_RESULTS_PREFIX}/*`,
              ],
            },
          },
        }),
      );
      role.addToPolicy(
        new iam.PolicyStatement({
          sid: 'ReadWriteWarehouseFiles',
          actions: ['s3:GetObject', 's3:PutObject', 's3:DeleteObject'],
          resources: [props.transformBucket.arnForObjects(`${WAREHOUSE_PREFIX}/*`)],
        }),
      );
      role.addToPolicy(
        new iam.PolicyStatement({
          sid: 'WriteJobResults',
          // Written through Hadoop's FileSystem, which checks for the object before replacing it.
          actions: ['s3:GetObject', 's3:PutObject', 's3:DeleteObject'],
          resources: [props.transformBucket.arnForObjects(`${JOB_RESULTS_PREFIX}/*`)],
        }),
      );
      role.addToPolicy(
        new iam.PolicyStatement({
          sid: 'ListGlueTemporaryFiles',
          actions: ['s3:ListBucket'],
          resources: [props.assetsBucket.bucketArn],
          conditions: { StringLike: { 's3:prefix': [`glue-temp/${spec.id}/*`] } },
        }),
      );
      role.addToPolicy(
        new iam.PolicyStatement({
          sid: 'GlueTemporaryFiles',
          actions: ['s3:GetObject', 's3:PutObject', 's3:DeleteObject'],
          resources: [props.assetsBucket.arnForObjects(`glue-temp/${spec.id}/*`)],
        }),
      );
      role.addToPolicy(
        new iam.PolicyStatement({
          sid: 'ReadTransformDatabase',
          actions: ['glue:GetDatabase', 'glue:GetTables'],
          resources: [catalogArn, props.database.databaseArn],
        }),
      );
      role.addToPolicy(
        new iam.PolicyStatement({
          sid: 'WriteOwnTables',
          actions: ['glue:GetTable', 'glue:CreateTable', 'glue:UpdateTable', 'glue:GetPartitions'],
          resources: [
            catalogArn,
            props.database.databaseArn,
            ...glueTableArns(stack, props.databaseName, spec.writesTables),
          ],
        }),
      );
      role.addToPolicy(
        new iam.PolicyStatement({
          sid: 'EncryptWithPlatformKey',
          actions: [
            'kms:Decrypt',
            'kms:Encrypt',
            'kms:GenerateDataKey',
            'kms:GenerateDataKeyWithoutPlaintext',
          ],
          resources: [props.key.keyArn],
        }),
      );
      // Glue names its log groups itself (with the security configuration's name in them).
      role.addToPolicy(
        new iam.PolicyStatement({
          sid: 'WriteGlueLogs',
          actions: [
            'logs:CreateLogGroup',
            'logs:CreateLogStream',
            'logs:PutLogEvents',
            'logs:AssociateKmsKey',
          ],
          resources: [logGroupsArn],
        }),
      );
      role.addToPolicy(
        new iam.PolicyStatement({
          sid: 'PublishJobMetrics',
          actions: ['cloudwatch:PutMetricData'],
          resources: ['*'],
          conditions: { StringEquals: { 'cloudwatch:namespace': 'Glue' } },
        }),
      );
      packageAsset.grantRead(role);

      const job = new glue.PySparkEtlJob(scope, 'Job', {
        description: spec.description,
        role,
        glueVersion: glue.GlueVersion.V5_0,
        script: glue.Code.fromAsset(path.join(scriptsDir, spec.script)),
        extraPythonFiles: [glue.Code.fromBucket(packageAsset.bucket, packageAsset.s3ObjectKey)],
        workerConfiguration: { workerType: props.workerType, numberOfWorkers: props.numberOfWorkers },
        timeout: props.timeout,
        // Retries are the state machine's, which backs off and then alerts.
        maxRetries: 0,
        // A date's run replaces its partitions; two runs at once would race on the same tables.
        maxConcurrentRuns: 1,
        securityConfiguration: this.securityConfiguration,
        continuousLogging: { enabled: true, quiet: true },
        enableMetrics: true,
        enableObservabilityMetrics: true,
        defaultArguments: {
          '--datalake-formats': 'iceberg',
          '--conf': sparkConf.join(' --conf '),
          '--landing_path': `s3://${props.landingBucket.bucketName}`,
          '--warehouse_path': warehousePath,
          '--job_results_path': props.transformBucket.s3UrlForObject(JOB_RESULTS_PREFIX),
          '--catalog_name': ICEBERG_CATALOG_NAME,
          '--database': props.databaseName,
          '--TempDir': props.assetsBucket.s3UrlForObject(`glue-temp/${spec.id}/`),
          '--job-bookmark-option': 'job-bookmark-disable',
          '--enable-job-insights': 'true',
          ...spec.arguments,
        },
      });

      const scriptAssetsBucket = packageAsset.bucket;
      acknowledgeWildcardActions(
        role,
        ['s3:GetObject*', 's3:GetBucket*', 's3:List*'],
        "the CDK asset grant: read-only access to the job's script and package in the CDK assets bucket",
      );
      acknowledgeWildcardResources(
        role,
        [scriptAssetsBucket.arnForObjects('*')],
        'the CDK asset grant: Glue reads the script and the package from the CDK assets bucket (read-only)',
      );
      acknowledge(
        role,
        'AwsSolutions-IAM5[Resource::*]',
        'cloudwatch:PutMetricData has no resource-level permissions; the statement is limited to the Glue namespace',
      );
      acknowledgeWildcardResources(
        role,
        [logGroupsArn],
        'Glue creates and names its job log groups itself (under /aws-glue/, suffixed by the security configuration)',
      );
      acknowledgeWildcardResources(
        role,
        spec.readsLanding.map((prefix) => props.landingBucket.arnForObjects(prefix)),
        "read-only on the landing prefix of the job's own source; objects below it are per date",
      );
      acknowledgeWildcardResources(
        role,
        [props.transformBucket.arnForObjects(`${WAREHOUSE_PREFIX}/*`)],
        'Iceberg writes data and metadata files under generated names below the warehouse prefix',
      );
      acknowledgeWildcardResources(
        role,
        [props.transformBucket.arnForObjects(`${JOB_RESULTS_PREFIX}/*`)],
        "the jobs' row counts, one object per job, source and date (written through Hadoop's FileSystem)",
      );
      acknowledgeWildcardResources(
        role,
        [props.assetsBucket.arnForObjects(`glue-temp/${spec.id}/*`)],
        'Glue temporary files of this job only, under generated names',
      );
      return job;
    });
    [this.apiJob, this.songsJob, this.enrichmentJob, this.listensJob] = jobs;
  }
}
