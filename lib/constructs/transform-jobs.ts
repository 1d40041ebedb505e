import * as path from 'node:path';
import { Duration, Stack } from 'aws-cdk-lib';
import * as glue from 'aws-cdk-lib/aws-glue';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3assets from 'aws-cdk-lib/aws-s3-assets';
import { Construct } from 'constructs';
import { JOB_RESULTS_PREFIX, WAREHOUSE_PREFIX } from '../../lambdas/shared/platform-names';
import { acknowledge, acknowledgeWildcardActions, acknowledgeWildcardResources } from '../nag';
import { PROJECT_ROOT } from './pipeline-function';
import { glueServiceArns, jobServiceStatements, jobStorageStatements } from './transform-job-policy';
import { type JobSpec, jobSpecs } from './transform-job-specs';

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
    const scriptsDir = path.join(PROJECT_ROOT, props.scriptsDir ?? 'glue-scripts');
    this.securityConfiguration = new glue.SecurityConfiguration(this, 'SecurityConfiguration', {
      s3Encryption: glue.S3Encryption.kms(props.key),
      cloudWatchEncryption: glue.CloudWatchEncryption.kms(props.key),
      jobBookmarksEncryption: glue.JobBookmarksEncryption.clientSideKms(props.key),
    });
    const packageAsset = this.pythonPackage(scriptsDir);
    const jobs = jobSpecs(props.latenessHours).map((spec) =>
      this.createJob(spec, props, scriptsDir, packageAsset),
    );
    [this.apiJob, this.songsJob, this.enrichmentJob, this.listensJob] = jobs;
  }

  /** The shared package, zipped with `deftunes_glue/` at the root so `import deftunes_glue` works. */
  private pythonPackage(scriptsDir: string): s3assets.Asset {
    return new s3assets.Asset(this, 'PythonPackage', {
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
  }

  /** One job (`<spec.id>/Job`) and its own role (`<spec.id>/Role`), scoped to what its spec names. */
  private createJob(
    spec: JobSpec,
    props: TransformJobsProps,
    scriptsDir: string,
    packageAsset: s3assets.Asset,
  ): glue.IJob {
    const scope = new Construct(this, spec.id);
    const role = new iam.Role(scope, 'Role', {
      assumedBy: new iam.ServicePrincipal('glue.amazonaws.com'),
      description: `Glue job ${spec.id}`,
    });
    const stack = Stack.of(this);
    for (const statement of [
      ...jobStorageStatements(spec, props),
      ...jobServiceStatements(spec, props, stack),
    ])
      role.addToPolicy(statement);
    packageAsset.grantRead(role);

    const warehousePath = props.transformBucket.s3UrlForObject(WAREHOUSE_PREFIX);
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
        '--conf': icebergSparkConf(warehousePath).join(' --conf '),
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

    acknowledgeJobRole(role, spec, props, packageAsset, glueServiceArns(stack).logGroupsArn);
    return job;
  }
}

/** The Spark configuration of the Iceberg catalog `glue_catalog` over the Glue Data Catalog. */
function icebergSparkConf(warehousePath: string): string[] {
  return [
    `spark.sql.catalog.${ICEBERG_CATALOG_NAME}=org.apache.iceberg.spark.SparkCatalog`,
    `spark.sql.catalog.${ICEBERG_CATALOG_NAME}.warehouse=${warehousePath}`,
    `spark.sql.catalog.${ICEBERG_CATALOG_NAME}.catalog-impl=org.apache.iceberg.aws.glue.GlueCatalog`,
    `spark.sql.catalog.${ICEBERG_CATALOG_NAME}.io-impl=org.apache.iceberg.aws.s3.S3FileIO`,
    'spark.sql.extensions=org.apache.iceberg.spark.extensions.IcebergSparkSessionExtensions',
  ];
}

/** Why each wildcard of a job role's policy is there, for cdk-nag. */
function acknowledgeJobRole(
  role: iam.IRole,
  spec: JobSpec,
  props: TransformJobsProps,
  packageAsset: s3assets.Asset,
  logGroupsArn: string,
): void {
  acknowledgeWildcardActions(
    role,
    ['s3:GetObject*', 's3:GetBucket*', 's3:List*'],
    "the CDK asset grant: read-only access to the job's script and package in the CDK assets bucket",
  );
  acknowledgeWildcardResources(
    role,
    [packageAsset.bucket.arnForObjects('*')],
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
}
