import { CfnOutput, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as glue from 'aws-cdk-lib/aws-glue';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { acknowledge } from '../nag';
import { PIPELINE_DB_ROLE } from '../constructs/pipeline-functions';
import { RedshiftServerlessWarehouse } from '../constructs/redshift-serverless-warehouse';
import { SpectrumRole } from '../constructs/spectrum-role';
import { SERVING_SCHEMA, TRANSFORM_SCHEMA, WAREHOUSE_PREFIX } from '../../lambdas/shared/platform-names';
import { WarehouseSchemas } from '../constructs/warehouse-schemas';
import { encryptedLogGroup } from '../constructs/encrypted-log-group';

export interface WarehouseStackProps extends StackProps {
  readonly environmentName: string;
  readonly vpcCidr: string;
  readonly availabilityZones: string[];
  /** In how many zones the interface endpoints get a network interface. */
  readonly interfaceEndpointZones: number;
  readonly key: kms.IKey;
  readonly transformBucket: s3.IBucket;
  readonly database: glue.IDatabase;
  readonly databaseName: string;
  readonly adminUsername: string;
  readonly baseCapacityRpu: number;
  readonly maxCapacityRpu: number;
  readonly logRetention: logs.RetentionDays;
  /** @default RemovalPolicy.RETAIN */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * Stateful: the VPC (isolated subnets only, no NAT: nothing in it needs the internet), the endpoints
 * Redshift needs with enhanced VPC routing (S3 gateway for Spectrum and COPY, Glue for the catalog), the
 * Redshift Serverless warehouse, the Spectrum role and the schemas.
 */
export class WarehouseStack extends Stack {
  public readonly vpc: ec2.IVpc;
  public readonly warehouse: RedshiftServerlessWarehouse;
  public readonly spectrumRole: SpectrumRole;
  private readonly configuredAvailabilityZones: string[];

  constructor(scope: Construct, id: string, props: WarehouseStackProps) {
    super(scope, id, props);
    this.configuredAvailabilityZones = [...props.availabilityZones];
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;

    const { vpc, glueEndpoint } = this.createNetwork(props, removalPolicy);
    this.vpc = vpc;

    this.spectrumRole = new SpectrumRole(this, 'SpectrumRole', {
      database: props.database,
      transformBucket: props.transformBucket,
      warehousePrefix: WAREHOUSE_PREFIX,
      key: props.key,
    });

    this.warehouse = new RedshiftServerlessWarehouse(this, 'Warehouse', {
      name: `deftunes-${props.environmentName}`,
      vpc,
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
      key: props.key,
      databaseName: props.databaseName,
      adminUsername: props.adminUsername,
      baseCapacityRpu: props.baseCapacityRpu,
      maxCapacityRpu: props.maxCapacityRpu,
      iamRoles: [this.spectrumRole.role],
      logRetention: props.logRetention,
      removalPolicy,
    });

    glueEndpoint.connections.allowFrom(
      this.warehouse.securityGroup,
      ec2.Port.tcp(443),
      'Redshift Spectrum to the Glue Data Catalog',
    );

    new WarehouseSchemas(this, 'Schemas', {
      warehouse: this.warehouse,
      key: props.key,
      glueDatabaseName: props.database.databaseName,
      spectrumRole: this.spectrumRole.role,
      externalSchema: TRANSFORM_SCHEMA,
      servingSchema: SERVING_SCHEMA,
      pipelineDbRole: PIPELINE_DB_ROLE,
      logRetention: props.logRetention,
    });
    new CfnOutput(this, 'WorkgroupName', {
      description:
        'Query the serving layer: aws redshift-data execute-statement --workgroup-name <this> --database <db>',
      value: this.warehouse.workgroupName,
    });
    new CfnOutput(this, 'DatabaseName', { value: this.warehouse.databaseName });
  }

  /**
   * The VPC (isolated subnets in the configured zones, rejected traffic logged), the S3 gateway endpoint and
   * the Glue interface endpoint, which only the warehouse may use.
   */
  private createNetwork(
    props: WarehouseStackProps,
    removalPolicy: RemovalPolicy,
  ): { vpc: ec2.Vpc; glueEndpoint: ec2.InterfaceVpcEndpoint } {
    const vpc = new ec2.Vpc(this, 'Vpc', {
      ipAddresses: ec2.IpAddresses.cidr(props.vpcCidr),
      availabilityZones: props.availabilityZones,
      natGateways: 0,
      subnetConfiguration: [{ name: 'Warehouse', subnetType: ec2.SubnetType.PRIVATE_ISOLATED, cidrMask: 24 }],
      flowLogs: {
        RejectedTraffic: {
          destination: ec2.FlowLogDestination.toCloudWatchLogs(
            encryptedLogGroup(this, 'FlowLogGroup', {
              retention: props.logRetention,
              key: props.key,
              removalPolicy,
            }),
          ),
          trafficType: ec2.FlowLogTrafficType.REJECT,
        },
      },
    });
    for (const subnet of vpc.isolatedSubnets) {
      acknowledge(
        subnet,
        'CloudFormation-Validate::W3010',
        'The zones are written in cdk.json on purpose: synthesis makes no AWS call, and the Redshift workgroup ' +
          'needs three named zones that never move under it (Fn::GetAZs could return other ones).',
      );
    }
    vpc.addGatewayEndpoint('S3Endpoint', { service: ec2.GatewayVpcEndpointAwsService.S3 });
    const endpointSubnets: ec2.SubnetSelection = {
      subnetType: ec2.SubnetType.PRIVATE_ISOLATED,
      availabilityZones: props.availabilityZones.slice(0, props.interfaceEndpointZones),
    };
    const glueEndpoint = vpc.addInterfaceEndpoint('GlueEndpoint', {
      service: ec2.InterfaceVpcEndpointAwsService.GLUE,
      subnets: endpointSubnets,
      privateDnsEnabled: true,
      // Only the warehouse may use it (rule added below), not the whole VPC.
      open: false,
    });
    return { vpc, glueEndpoint };
  }

  /**
   * The zones of cdk.json (`network.availabilityZones`), not a lookup. `ec2.Vpc` checks explicit zones
   * against `Stack.availabilityZones`, which on an env-bound stack asks the `availability-zones` context
   * provider: an AWS call at synthesis (or a "no credentials" error). Answering it from the configuration
   * keeps `cdk synth` offline and the configured zones the single source.
   */
  public override get availabilityZones(): string[] {
    return [...this.configuredAvailabilityZones];
  }
}
