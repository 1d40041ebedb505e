import { Duration, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import * as glue from 'aws-cdk-lib/aws-glue';
import type * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { enrichmentSettingsOf, type NamedEnvironmentConfig } from '../config';
import type { DataLakeStorage } from '../constructs/data-lake-storage';
import { EnrichmentFunctions } from '../constructs/enrichment-functions';
import { IcebergTableOptimizers } from '../constructs/iceberg-table-optimizers';
import { PipelineFunctions } from '../constructs/pipeline-functions';
import type { RedshiftServerlessWarehouse } from '../constructs/redshift-serverless-warehouse';
import { TransformJobs } from '../constructs/transform-jobs';

export interface ComputeStackProps extends StackProps {
  readonly config: NamedEnvironmentConfig;
  readonly storage: DataLakeStorage;
  readonly database: glue.IDatabase;
  readonly warehouse: RedshiftServerlessWarehouse;
  readonly logRetention: logs.RetentionDays;
  /** @default RemovalPolicy.RETAIN */
  readonly logRemovalPolicy?: RemovalPolicy;
}

/** Stateless: the Glue transform jobs and the pipeline Lambdas (the artist enrichment's among them). */
export class ComputeStack extends Stack {
  public readonly jobs: TransformJobs;
  public readonly functions: PipelineFunctions;
  public readonly enrichmentFunctions: EnrichmentFunctions;

  constructor(scope: Construct, id: string, props: ComputeStackProps) {
    super(scope, id, props);
    const { config, storage } = props;
    this.jobs = new TransformJobs(this, 'TransformJobs', {
      database: props.database,
      databaseName: config.transformDatabaseName,
      landingBucket: storage.landingBucket,
      transformBucket: storage.transformBucket,
      assetsBucket: storage.assetsBucket,
      key: storage.key,
      workerType: glueWorkerType(config.glue.workerType),
      numberOfWorkers: config.glue.numberOfWorkers,
      timeout: Duration.minutes(config.glue.timeoutMinutes),
      latenessHours: config.stream.latenessHours,
    });
    // The tables must exist first: the first run of each job creates them (cdk.json icebergMaintenance).
    const { tableOptimizers, metadataVersionsToRetain: _localOnly, ...retention } = config.icebergMaintenance;
    if (tableOptimizers) {
      new IcebergTableOptimizers(this, 'TableOptimizers', {
        database: props.database,
        databaseName: config.transformDatabaseName,
        transformBucket: storage.transformBucket,
        key: storage.key,
        ...retention,
      });
    }
    this.functions = new PipelineFunctions(this, 'Functions', {
      landingBucket: storage.landingBucket,
      transformBucket: storage.transformBucket,
      servingBucket: storage.servingBucket,
      key: storage.key,
      warehouse: props.warehouse,
      apiUrl: config.apiUrl,
      songsDbSecretName: config.songsDbSecretName,
      runDateBounds: { earliestRunDate: config.earliestRunDate, timeZone: config.schedule.timeZone },
      memorySize: config.lambda.memoryMb,
      timeout: Duration.seconds(config.lambda.timeoutSeconds),
      logRetention: props.logRetention,
      logRemovalPolicy: props.logRemovalPolicy,
    });
    const { enrichment } = config;
    this.enrichmentFunctions = new EnrichmentFunctions(this, 'EnrichmentFunctions', {
      landingBucket: storage.landingBucket,
      key: storage.key,
      concertsApiUrl: enrichment.concertsApiUrl,
      artistStatsApiUrl: enrichment.artistStatsApiUrl,
      concertsApiKeySecretName: enrichment.concertsApiKeySecretName,
      artistStatsApiKeySecretName: enrichment.artistStatsApiKeySecretName,
      songsDbSecretName: config.songsDbSecretName,
      settings: enrichmentSettingsOf(config),
      runDateEnvironment: {
        EARLIEST_RUN_DATE: config.earliestRunDate,
        RUN_DATE_TIME_ZONE: config.schedule.timeZone,
      },
      memorySize: config.lambda.memoryMb,
      timeout: Duration.seconds(config.lambda.timeoutSeconds),
      logRetention: props.logRetention,
      logRemovalPolicy: props.logRemovalPolicy,
    });
  }
}

function glueWorkerType(name: string): glue.WorkerType {
  const match = Object.values(glue.WorkerType).find((value) => value === name);
  if (!match) throw new Error(`unknown Glue worker type "${name}"`);
  return match;
}
