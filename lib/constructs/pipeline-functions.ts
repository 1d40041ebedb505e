import { Duration, Tags } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { LANDING_ORIGINS } from '../../lambdas/shared/landing-keys';
import { JOB_RESULTS_PREFIX, QUALITY_RESULTS_PREFIX } from '../../lambdas/shared/platform-names';
import { acknowledge, acknowledgeWildcardResources } from '../nag';
import { grantLandingWrite } from './landing-write-grant';
import { groupFunctionProps, PipelineFunction, type PipelineFunctionGroupProps } from './pipeline-function';
import type { RedshiftServerlessWarehouse } from './redshift-serverless-warehouse';

/** Where the serving plan sits inside the bundles of serving-load and data-quality. */
export const SERVING_PLAN_BUNDLE_PATH = '/var/task/serving-plan.json';
/** How long resolve-run-date may run: it only parses its event and does calendar arithmetic. */
export const RESOLVE_RUN_DATE_TIMEOUT = Duration.seconds(30);
/**
 * The serving plan each bundling of serving-load and data-quality copies. A fresh clone has no plan, and an
 * edited dbt project a stale one: the builder compiles offline and returns at once when the plan matches the
 * dbt sources, so every bundling ships the current plan.
 */
const SERVING_PLAN_BUNDLE = {
  source: 'dbt_modeling/plan/redshift.json',
  target: 'serving-plan.json',
  build: ['node_modules/.bin/tsx', 'bin/build-serving-plan.ts', '--target', 'redshift'],
  hint: 'the serving plan is built by `npm run build` (dbt compile, after `npm run setup` installed dbt)',
};
/** The props every function of the group shares (memory, timeout, logs, key). */
type CommonFunctionProps = ReturnType<typeof groupFunctionProps>;

/** The database role the warehouse functions' IAM identity is mapped to (created by WarehouseSchemas). */
export const PIPELINE_DB_ROLE = 'deftunes_pipeline';

export interface PipelineFunctionsProps extends PipelineFunctionGroupProps {
  readonly landingBucket: s3.IBucket;
  readonly transformBucket: s3.IBucket;
  readonly servingBucket: s3.IBucket;
  readonly warehouse: RedshiftServerlessWarehouse;
  /** Base URL of the DeFtunes API. */
  readonly apiUrl: string;
  /** Name of the Secrets Manager secret of the songs database. */
  readonly songsDbSecretName: string;
  /**
   * The run-date bounds every function checks its `run_date` against: the earliest run date (`YYYY-MM-DD`)
   * and the schedule's IANA time zone, whose today is the latest one.
   */
  readonly runDateBounds: { readonly earliestRunDate: string; readonly timeZone: string };
}

/**
 * The pipeline Lambdas and their permissions: resolve-run-date has none beyond its log group; each extractor writes only its own landing prefixes;
 * serving-load and data-quality share one role, because they are one database identity (the serving models
 * data-quality tests are owned by the user serving-load created them as), mapped to the `deftunes_pipeline`
 * database role through the `RedshiftDbRoles` tag.
 *
 * None of them runs in the VPC: extract-api calls the public DeFtunes API, extract-songs the external songs
 * database, and the others only call AWS APIs (S3, the Redshift Data API, Secrets Manager) with IAM, so a VPC
 * would only add a NAT gateway or four interface endpoints to the bill.
 */
export class PipelineFunctions extends Construct {
  public readonly resolveRunDate: PipelineFunction;
  public readonly extractApi: PipelineFunction;
  public readonly extractSongs: PipelineFunction;
  public readonly dataQuality: PipelineFunction;
  public readonly servingLoad: PipelineFunction;
  /** The role of serving-load and data-quality. */
  public readonly warehouseRole: iam.IRole;

  constructor(scope: Construct, id: string, props: PipelineFunctionsProps) {
    super(scope, id);
    const common = groupFunctionProps(props);
    const runDateEnv = {
      EARLIEST_RUN_DATE: props.runDateBounds.earliestRunDate,
      RUN_DATE_TIME_ZONE: props.runDateBounds.timeZone,
    };
    // No AWS call: the role PipelineFunction creates can only write the function's logs.
    this.resolveRunDate = new PipelineFunction(this, 'ResolveRunDate', {
      ...common,
      memorySize: 256,
      timeout: RESOLVE_RUN_DATE_TIMEOUT,
      entry: 'lambdas/resolve-run-date/index.ts',
      description:
        "Resolves DailyPipeline's run date: the given one, else the previous day in the schedule's time zone",
      serviceName: 'resolve-run-date',
      environment: runDateEnv,
    });

    this.extractApi = this.createExtractApi(props, common, runDateEnv);
    this.extractSongs = this.createExtractSongs(props, common, runDateEnv);
    const warehouseRole = this.createWarehouseRole(props);
    this.warehouseRole = warehouseRole;
    const warehouseEnv = {
      REDSHIFT_WORKGROUP: props.warehouse.workgroupName,
      REDSHIFT_DATABASE: props.warehouse.databaseName,
      ...runDateEnv,
    };
    this.servingLoad = new PipelineFunction(this, 'ServingLoad', {
      ...common,
      entry: 'lambdas/serving-load/index.ts',
      description: 'Runs the serving plan (dbt-compiled models) for one day on Redshift Serverless',
      serviceName: 'serving-load',
      role: warehouseRole,
      environment: { ...warehouseEnv, SERVING_PLAN_PATH: SERVING_PLAN_BUNDLE_PATH },
      bundledFiles: [SERVING_PLAN_BUNDLE],
    });
    this.dataQuality = new PipelineFunction(this, 'DataQuality', {
      ...common,
      entry: 'lambdas/data-quality/index.ts',
      description: 'Runs the quality gate (dbt tests, quarantine rates) of one stage for one day',
      serviceName: 'data-quality',
      role: warehouseRole,
      environment: {
        ...warehouseEnv,
        SERVING_PLAN_PATH: SERVING_PLAN_BUNDLE_PATH,
        LANDING_BUCKET: props.landingBucket.bucketName,
        RESULTS_BUCKET: props.servingBucket.bucketName,
        JOB_RESULTS_BUCKET: props.transformBucket.bucketName,
        JOB_RESULTS_PREFIX: JOB_RESULTS_PREFIX,
      },
      bundledFiles: [SERVING_PLAN_BUNDLE],
    });
    this.grantQualityGateAccess(warehouseRole, props);
  }

  /** extract-api, which writes the API's landing prefix only. */
  private createExtractApi(
    props: PipelineFunctionsProps,
    common: CommonFunctionProps,
    runDateEnv: Record<string, string>,
  ): PipelineFunction {
    const landing = props.landingBucket;
    const extractApi = new PipelineFunction(this, 'ExtractApi', {
      ...common,
      entry: 'lambdas/extract-api/index.ts',
      description: 'Extracts one day of users or sessions from the DeFtunes API to the landing zone',
      serviceName: 'extract-api',
      environment: { LANDING_BUCKET: landing.bucketName, API_BASE_URL: props.apiUrl, ...runDateEnv },
    });
    grantLandingWrite(extractApi.role, LANDING_ORIGINS.api, landing, props.key);

    return extractApi;
  }

  /** extract-songs, which reads the songs database's secret and writes its landing prefix only. */
  private createExtractSongs(
    props: PipelineFunctionsProps,
    common: CommonFunctionProps,
    runDateEnv: Record<string, string>,
  ): PipelineFunction {
    const landing = props.landingBucket;
    const songsDbSecret = secretsmanager.Secret.fromSecretNameV2(
      this,
      'SongsDbSecret',
      props.songsDbSecretName,
    );
    const extractSongs = new PipelineFunction(this, 'ExtractSongs', {
      ...common,
      entry: 'lambdas/extract-songs/index.ts',
      description: 'Extracts the songs table from the songs database to the landing zone',
      serviceName: 'extract-songs',
      environment: {
        LANDING_BUCKET: landing.bucketName,
        SONGS_DB_SECRET_ID: props.songsDbSecretName,
        // TLS to the database is verified; the runtime ships the RDS certificate authorities here.
        NODE_EXTRA_CA_CERTS: '/var/runtime/ca-cert.pem',
        ...runDateEnv,
      },
      // pg loads its optional native binding only when asked to; the pure-JS client is used.
      externalModules: ['pg-native'],
    });
    grantLandingWrite(extractSongs.role, LANDING_ORIGINS.songsDb, landing, props.key);
    songsDbSecret.grantRead(extractSongs.role);

    return extractSongs;
  }

  /** The role of serving-load and data-quality: one Redshift identity, with the Data API. */
  private createWarehouseRole(props: PipelineFunctionsProps): iam.Role {
    const warehouseRole = new iam.Role(this, 'WarehouseRole', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: 'serving-load and data-quality: one Redshift identity (database role deftunes_pipeline)',
    });
    Tags.of(warehouseRole).add('RedshiftDbRoles', PIPELINE_DB_ROLE);
    props.warehouse.grantDataApiAccess(warehouseRole);
    return warehouseRole;
  }

  /**
   * The gate reads the extraction manifests and the transform jobs' counts, and writes its result document;
   * both functions use the platform key.
   */
  private grantQualityGateAccess(warehouseRole: iam.Role, props: PipelineFunctionsProps): void {
    const landing = props.landingBucket;
    warehouseRole.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'ReadLandingManifests',
        actions: ['s3:GetObject'],
        resources: [
          landing.arnForObjects(`${LANDING_ORIGINS.api}/*/_manifest.json`),
          landing.arnForObjects(`${LANDING_ORIGINS.songsDb}/*/_manifest.json`),
        ],
      }),
    );
    // Listing lets S3 answer 404 for a manifest or count that does not exist yet (403 without it).
    warehouseRole.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'ListLandingSources',
        actions: ['s3:ListBucket'],
        resources: [landing.bucketArn],
        conditions: {
          StringLike: { 's3:prefix': [`${LANDING_ORIGINS.api}/*`, `${LANDING_ORIGINS.songsDb}/*`] },
        },
      }),
    );
    warehouseRole.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'ListTransformCounts',
        actions: ['s3:ListBucket'],
        resources: [props.transformBucket.bucketArn],
        conditions: { StringLike: { 's3:prefix': [`${JOB_RESULTS_PREFIX}/*`] } },
      }),
    );
    warehouseRole.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'ReadTransformCounts',
        actions: ['s3:GetObject'],
        resources: [props.transformBucket.arnForObjects(`${JOB_RESULTS_PREFIX}/*`)],
      }),
    );
    warehouseRole.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'WriteQualityResults',
        actions: ['s3:PutObject'],
        resources: [props.servingBucket.arnForObjects(`${QUALITY_RESULTS_PREFIX}/*`)],
      }),
    );
    acknowledge(
      warehouseRole,
      'AwsSolutions-IAM5[Resource::*]',
      'X-Ray writes and the Data API calls on statements (DescribeStatement, GetStatementResult, CancelStatement, ListStatements) have no resource-level permissions; the Data API only shows a caller its own statements',
    );
    acknowledgeWildcardResources(
      warehouseRole,
      [
        landing.arnForObjects(`${LANDING_ORIGINS.api}/*/_manifest.json`),
        landing.arnForObjects(`${LANDING_ORIGINS.songsDb}/*/_manifest.json`),
      ],
      'read-only on the extraction manifests only (one per source and date), which the quarantine-rate rule reads',
    );
    acknowledgeWildcardResources(
      warehouseRole,
      [props.transformBucket.arnForObjects(`${JOB_RESULTS_PREFIX}/*`)],
      "read-only on the transform jobs' row counts, one object per source and date",
    );
    acknowledgeWildcardResources(
      warehouseRole,
      [props.servingBucket.arnForObjects(`${QUALITY_RESULTS_PREFIX}/*`)],
      'write-only on the quality result documents, one per run date and stage',
    );
    warehouseRole.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'UsePlatformKey',
        actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
        resources: [props.key.keyArn],
      }),
    );
  }
}
