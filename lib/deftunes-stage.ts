import { RemovalPolicy, Stage, type StageProps, Tags } from 'aws-cdk-lib';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { NamedEnvironmentConfig } from './config';
import { CatalogStack } from './stacks/catalog-stack';
import { ComputeStack } from './stacks/compute-stack';
import { PipelineStack } from './stacks/pipeline-stack';
import { StorageStack } from './stacks/storage-stack';
import { WarehouseStack } from './stacks/warehouse-stack';

export interface DeftunesStageProps extends StageProps {
  readonly config: NamedEnvironmentConfig;
  /**
   * Delete stateful resources (and empty the buckets) with their stacks.
   * @default false - they are retained
   */
  readonly destroyOnRemoval?: boolean;
}

/**
 * One environment of the platform: stateful stacks (Storage, Catalog, Warehouse) that outlive deployments,
 * and stateless ones (Compute, Pipeline) that can be replaced at will.
 */
export class DeftunesStage extends Stage {
  public readonly storage: StorageStack;
  public readonly catalog: CatalogStack;
  public readonly warehouse: WarehouseStack;
  public readonly compute: ComputeStack;
  public readonly pipeline: PipelineStack;

  constructor(scope: Construct, id: string, props: DeftunesStageProps) {
    super(scope, id, { ...props, env: { account: props.config.account, region: props.config.region } });
    const { config } = props;
    const removalPolicy = props.destroyOnRemoval ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN;
    const stateful = { terminationProtection: config.terminationProtection };
    const logRetention = retentionDays(config.logRetentionDays);

    this.storage = new StorageStack(this, 'Storage', {
      ...stateful,
      description: `DeFtunes ${config.name}: lake buckets and key, listening events stream (stateful)`,
      landingLifecycle: config.landingLifecycle,
      stream: config.stream,
      logRetention,
      removalPolicy,
    });
    const { storage } = this.storage;
    this.catalog = new CatalogStack(this, 'Catalog', {
      ...stateful,
      description: `DeFtunes ${config.name}: Glue Data Catalog database of the transform zone (stateful)`,
      databaseName: config.transformDatabaseName,
      transformBucket: storage.transformBucket,
      removalPolicy,
    });
    this.warehouse = new WarehouseStack(this, 'Warehouse', {
      ...stateful,
      description: `DeFtunes ${config.name}: VPC, Redshift Serverless, Spectrum schema (stateful)`,
      environmentName: config.name,
      vpcCidr: config.network.vpcCidr,
      availabilityZones: config.network.availabilityZones,
      interfaceEndpointZones: config.network.interfaceEndpointZones,
      key: storage.key,
      transformBucket: storage.transformBucket,
      database: this.catalog.database,
      databaseName: config.redshift.databaseName,
      adminUsername: config.redshift.adminUsername,
      baseCapacityRpu: config.redshift.baseCapacityRpu,
      maxCapacityRpu: config.redshift.maxCapacityRpu,
      logRetention,
      removalPolicy,
    });
    this.compute = new ComputeStack(this, 'Compute', {
      description: `DeFtunes ${config.name}: Glue transform jobs and pipeline Lambdas (stateless)`,
      config,
      storage,
      database: this.catalog.database,
      warehouse: this.warehouse.warehouse,
      logRetention,
      logRemovalPolicy: removalPolicy,
    });
    this.pipeline = new PipelineStack(this, 'Pipeline', {
      description: `DeFtunes ${config.name}: DailyPipeline, backfill, schedule, alerts and dashboard (stateless)`,
      config,
      key: storage.key,
      functions: this.compute.functions,
      enrichmentFunctions: this.compute.enrichmentFunctions,
      jobs: this.compute.jobs,
      listeningEvents: this.storage.listeningEvents,
      logRetention,
      logRemovalPolicy: removalPolicy,
      removalPolicy,
    });

    Tags.of(this).add('project', 'deftunes');
    Tags.of(this).add('environment', config.name);
  }
}

function retentionDays(days: number): logs.RetentionDays {
  const match = Object.values(logs.RetentionDays).find((value) => value === days);
  if (match === undefined || typeof match === 'string')
    throw new Error(`unsupported log retention of ${days} days`);
  return match;
}
