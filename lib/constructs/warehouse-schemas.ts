import { CustomResource, Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as cr from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';
import type { WarehouseSchemasSpec } from './warehouse-schemas-handler/ensure-schemas';
import { acknowledge, acknowledgeWildcardResources } from '../nag';
import { PipelineFunction } from './pipeline-function';
import type { RedshiftServerlessWarehouse } from './redshift-serverless-warehouse';
import { encryptedLogGroup } from './encrypted-log-group';

export interface WarehouseSchemasProps {
  readonly warehouse: RedshiftServerlessWarehouse;
  /** Encrypts the admin secret. */
  readonly key: kms.IKey;
  /** Glue database the external schema maps to. */
  readonly glueDatabaseName: string;
  /** Role of the external schema (Spectrum). */
  readonly spectrumRole: iam.IRole;
  /** External schema name (what dbt's sources call the transform zone). */
  readonly externalSchema: string;
  /** Schema of the serving models. */
  readonly servingSchema: string;
  /** Database role the pipeline's IAM identity is mapped to (its `RedshiftDbRoles` tag). */
  readonly pipelineDbRole: string;
  /** Retention of the handler's log group. */
  readonly logRetention: logs.RetentionDays;
}

/**
 * Creates, at deploy time, the external schema over the transform zone, the serving schema and the
 * pipeline's database role with its grants. Done here rather than by the pipeline's first step so that the
 * pipeline's identity never needs the admin credentials or the right to create schemas and roles; every
 * statement is idempotent, so a re-deploy (or an Update) changes nothing that exists.
 */
export class WarehouseSchemas extends Construct {
  public readonly handler: PipelineFunction;
  public readonly provider: cr.Provider;

  constructor(scope: Construct, id: string, props: WarehouseSchemasProps) {
    super(scope, id);
    this.handler = new PipelineFunction(this, 'Handler', {
      entry: 'lib/constructs/warehouse-schemas-handler/index.ts',
      description: 'Creates the warehouse schemas and the pipeline database role (custom resource)',
      serviceName: 'warehouse-schemas',
      memorySize: 256,
      timeout: Duration.minutes(14),
      logRetention: props.logRetention,
      logEncryptionKey: props.key,
      logRemovalPolicy: RemovalPolicy.DESTROY,
    });
    const role = this.handler.role;
    this.grantHandlerAccess(role, props);

    this.provider = new cr.Provider(this, 'Provider', {
      onEventHandler: this.handler.function,
      logGroup: encryptedLogGroup(this, 'ProviderLogGroup', {
        retention: props.logRetention,
        key: props.key,
        removalPolicy: RemovalPolicy.DESTROY,
      }),
    });

    this.acknowledgeGrants(role);
    this.createResource(props);
  }

  /** The handler runs statements on the workgroup as the admin, whose secret it reads. */
  private grantHandlerAccess(role: iam.IRole, props: WarehouseSchemasProps): void {
    const { warehouse } = props;
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'RunStatementsOnTheWorkgroup',
        actions: ['redshift-data:ExecuteStatement'],
        resources: [warehouse.workgroupArn],
      }),
    );
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'FollowOwnStatements',
        actions: ['redshift-data:DescribeStatement', 'redshift-data:GetStatementResult'],
        resources: ['*'],
      }),
    );
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'ReadAdminSecret',
        actions: ['secretsmanager:GetSecretValue'],
        resources: [warehouse.adminSecretArn],
      }),
    );
    props.key.grantDecrypt(role);
  }

  /** The wildcards of the handler's and the provider framework's roles, for cdk-nag. */
  private acknowledgeGrants(role: iam.IRole): void {
    acknowledge(
      role,
      'AwsSolutions-IAM5[Resource::*]',
      'X-Ray writes and the Data API calls on statements (DescribeStatement, GetStatementResult) have no resource-level permissions; the Data API only shows a caller its own statements',
    );
    const onEvent = this.provider.node.findChild('framework-onEvent');
    acknowledge(
      onEvent.node.findChild('ServiceRole'),
      'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
      'the CDK custom resource framework function: the managed policy only lets it write its own logs',
    );
    acknowledgeWildcardResources(
      onEvent.node.findChild('ServiceRole'),
      [`${this.handler.function.functionArn}:*`],
      'the CDK custom resource framework invokes any version of the one schema handler function',
    );
  }

  /** The custom resource, after the workgroup exists. */
  private createResource(props: WarehouseSchemasProps): void {
    const { warehouse } = props;
    const spec: WarehouseSchemasSpec = {
      workgroupName: warehouse.workgroupName,
      database: warehouse.databaseName,
      secretArn: warehouse.adminSecretArn,
      glueDatabase: props.glueDatabaseName,
      spectrumRoleArn: props.spectrumRole.roleArn,
      externalSchema: props.externalSchema,
      servingSchema: props.servingSchema,
      pipelineDbRole: props.pipelineDbRole,
    };
    const resource = new CustomResource(this, 'Resource', {
      serviceToken: this.provider.serviceToken,
      resourceType: 'Custom::DeftunesWarehouseSchemas',
      properties: { Spec: spec },
    });
    resource.node.addDependency(warehouse.workgroup);
  }
}
