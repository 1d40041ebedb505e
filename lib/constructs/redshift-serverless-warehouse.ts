import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as redshiftserverless from 'aws-cdk-lib/aws-redshiftserverless';
import * as cr from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';
import { acknowledge } from '../nag';
import { encryptedLogGroup } from './encrypted-log-group';

/** Construct id of the function AwsCustomResource creates once per stack. */
const AWS_CUSTOM_RESOURCE_SINGLETON_ID = 'AWS679f53fac002430cb0da5b7982bd2287';

export interface RedshiftServerlessWarehouseProps {
  /** Lowercase name of the namespace and the workgroup (3-64 characters: a-z, 0-9, hyphen). */
  readonly name: string;
  /** The VPC the workgroup lives in. */
  readonly vpc: ec2.IVpc;
  /** Subnets of the workgroup, in at least three Availability Zones. */
  readonly vpcSubnets: ec2.SubnetSelection;
  /** Encrypts the namespace's data and the admin password secret. */
  readonly key: kms.IKey;
  /** Name of the database the namespace creates. */
  readonly databaseName: string;
  /** Admin user; Redshift generates its password and keeps it in Secrets Manager (never in the template). */
  readonly adminUsername: string;
  /** Base capacity in Redshift Processing Units. */
  readonly baseCapacityRpu: number;
  /** Upper bound of automatic scaling, in RPUs. */
  readonly maxCapacityRpu: number;
  /** Roles the warehouse may assume (Spectrum, COPY); the first one is the default IAM role. */
  readonly iamRoles: iam.IRole[];
  /** Retention of the admin-secret lookup's log group. */
  readonly logRetention: logs.RetentionDays;
  /**
   * What happens to the namespace (and its data) when the stack is deleted.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * Redshift Serverless, which the CDK only offers as L1 resources: a namespace (data encrypted with our
 * KMS key, admin password managed by Redshift in Secrets Manager, audit logs exported) and a workgroup that
 * is reachable only inside the VPC, routes all its S3 traffic through the VPC (enhanced VPC routing),
 * refuses connections without TLS, and scales between a base and a maximum RPU.
 */
export class RedshiftServerlessWarehouse extends Construct {
  public readonly namespace: redshiftserverless.CfnNamespace;
  public readonly workgroup: redshiftserverless.CfnWorkgroup;
  public readonly securityGroup: ec2.ISecurityGroup;
  public readonly namespaceName: string;
  public readonly workgroupName: string;
  public readonly databaseName: string;
  /** ARN of the Secrets Manager secret Redshift keeps the admin password in. */
  public readonly adminSecretArn: string;
  public readonly workgroupArn: string;

  constructor(scope: Construct, id: string, props: RedshiftServerlessWarehouseProps) {
    super(scope, id);
    if (!/^[a-z0-9-]{3,64}$/.test(props.name)) {
      throw new Error(
        `Redshift Serverless name "${props.name}" must be 3-64 characters of a-z, 0-9 and hyphen`,
      );
    }
    if (props.iamRoles.length === 0) {
      throw new Error('Redshift Serverless needs at least one IAM role (the Spectrum role)');
    }
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    this.securityGroup = this.createSecurityGroup(props.vpc);
    this.namespace = this.createNamespace(props, removalPolicy);
    this.workgroup = this.createWorkgroup(props, removalPolicy);
    this.namespaceName = props.name;
    this.workgroupName = props.name;
    this.databaseName = props.databaseName;
    this.adminSecretArn = this.lookUpAdminSecretArn(props);
    this.workgroupArn = this.workgroup.attrWorkgroupWorkgroupArn;
  }

  /** No inbound rule (clients use the Data API); HTTPS out to the S3 gateway and the VPC endpoints only. */
  private createSecurityGroup(vpc: ec2.IVpc): ec2.SecurityGroup {
    const securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc,
      description: 'Redshift Serverless workgroup: no inbound rule; clients use the Data API',
      allowAllOutbound: false,
    });
    // Isolated subnets have no route to the internet: HTTPS egress can only reach the S3 gateway and the
    // interface endpoints (S3's addresses are a region-specific prefix list, unknown without a lookup).
    securityGroup.addEgressRule(
      ec2.Peer.anyIpv4(),
      ec2.Port.tcp(443),
      'HTTPS to the S3 gateway and VPC endpoints',
    );
    return securityGroup;
  }

  /** The namespace: data and admin secret encrypted with the key, audit logs exported. */
  private createNamespace(
    props: RedshiftServerlessWarehouseProps,
    removalPolicy: RemovalPolicy,
  ): redshiftserverless.CfnNamespace {
    const namespace = new redshiftserverless.CfnNamespace(this, 'Namespace', {
      namespaceName: props.name,
      dbName: props.databaseName,
      adminUsername: props.adminUsername,
      manageAdminPassword: true,
      adminPasswordSecretKmsKeyId: props.key.keyArn,
      kmsKeyId: props.key.keyArn,
      iamRoles: props.iamRoles.map((role) => role.roleArn),
      defaultIamRoleArn: props.iamRoles[0].roleArn,
      logExports: ['userlog', 'connectionlog', 'useractivitylog'],
    });
    namespace.applyRemovalPolicy(removalPolicy);

    return namespace;
  }

  /** The workgroup: inside the VPC only, enhanced VPC routing, TLS required, between base and max RPUs. */
  private createWorkgroup(
    props: RedshiftServerlessWarehouseProps,
    removalPolicy: RemovalPolicy,
  ): redshiftserverless.CfnWorkgroup {
    const subnetIds = props.vpc.selectSubnets(props.vpcSubnets).subnetIds;
    const workgroup = new redshiftserverless.CfnWorkgroup(this, 'Workgroup', {
      workgroupName: props.name,
      namespaceName: props.name,
      baseCapacity: props.baseCapacityRpu,
      maxCapacity: props.maxCapacityRpu,
      publiclyAccessible: false,
      enhancedVpcRouting: true,
      subnetIds,
      securityGroupIds: [this.securityGroup.securityGroupId],
      configParameters: [
        { parameterKey: 'require_ssl', parameterValue: 'true' },
        { parameterKey: 'enable_user_activity_logging', parameterValue: 'true' },
        // Statements longer than an hour are runaway queries on this workload.
        { parameterKey: 'max_query_execution_time', parameterValue: '3600' },
      ],
    });
    workgroup.addResourceDependency(this.namespace);
    workgroup.applyRemovalPolicy(removalPolicy);

    return workgroup;
  }

  /** The ARN of the secret Redshift keeps the admin password in, read from the namespace once it exists. */
  private lookUpAdminSecretArn(props: RedshiftServerlessWarehouseProps): string {
    // CloudFormation does not return the managed secret's ARN.
    const adminSecretLookup = new cr.AwsCustomResource(this, 'AdminSecretLookup', {
      resourceType: 'Custom::RedshiftServerlessAdminSecret',
      onUpdate: {
        service: 'redshift-serverless',
        action: 'GetNamespace',
        parameters: { namespaceName: props.name },
        physicalResourceId: cr.PhysicalResourceId.of(props.name),
        outputPaths: ['namespace.adminPasswordSecretArn'],
      },
      policy: cr.AwsCustomResourcePolicy.fromSdkCalls({
        resources: [this.namespace.attrNamespaceNamespaceArn],
      }),
      installLatestAwsSdk: false,
      logGroup: encryptedLogGroup(this, 'AdminSecretLookupLogGroup', {
        retention: props.logRetention,
        key: props.key,
        removalPolicy: RemovalPolicy.DESTROY,
      }),
    });
    adminSecretLookup.node.addDependency(this.namespace);
    // The AwsCustomResource function is a singleton of the stack.
    const lookupFunction = Stack.of(this).node.tryFindChild(AWS_CUSTOM_RESOURCE_SINGLETON_ID);
    if (lookupFunction) {
      acknowledge(
        lookupFunction.node.findChild('ServiceRole'),
        'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
        'the CDK AwsCustomResource function: the managed policy only lets it write its own logs',
      );
    }
    return adminSecretLookup.getResponseField('namespace.adminPasswordSecretArn');
  }

  /**
   * Lets a principal run SQL through the Redshift Data API as its own IAM identity (database user
   * `IAMR:<role name>`), on this workgroup only.
   */
  public grantDataApiAccess(grantee: iam.IGrantable): iam.Grant {
    const statements = iam.Grant.addToPrincipal({
      grantee,
      actions: ['redshift-data:ExecuteStatement', 'redshift-data:BatchExecuteStatement'],
      resourceArns: [this.workgroupArn],
    });
    iam.Grant.addToPrincipal({
      grantee,
      actions: ['redshift-serverless:GetCredentials'],
      resourceArns: [this.workgroupArn],
    });
    // These act on statements, which have no ARN; the Data API lets a caller see only its own statements.
    iam.Grant.addToPrincipal({
      grantee,
      actions: [
        'redshift-data:DescribeStatement',
        'redshift-data:GetStatementResult',
        'redshift-data:CancelStatement',
        'redshift-data:ListStatements',
      ],
      resourceArns: ['*'],
    });
    return statements;
  }
}
