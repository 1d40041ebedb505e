import { Match } from 'aws-cdk-lib/assertions';
import {
  assetHashSerializer,
  policyStatements,
  resourcesOfType,
  synthesizeStage,
  type SynthesizedStage,
} from './synth';

expect.addSnapshotSerializer(assetHashSerializer);

describe('Warehouse stack (dev)', () => {
  let dev: SynthesizedStage;
  beforeAll(() => {
    dev = synthesizeStage('dev');
  });

  it('builds a VPC of isolated subnets in three zones, without NAT or internet gateway', () => {
    dev.warehouse.resourceCountIs('AWS::EC2::NatGateway', 0);
    dev.warehouse.resourceCountIs('AWS::EC2::InternetGateway', 0);
    const subnets = resourcesOfType(dev.warehouse, 'AWS::EC2::Subnet');
    expect(subnets).toHaveLength(3);
    expect(new Set(subnets.map(([, subnet]) => subnet.AvailabilityZone))).toEqual(
      new Set(['eu-west-1a', 'eu-west-1b', 'eu-west-1c']),
    );
    for (const [, subnet] of subnets) expect(subnet.MapPublicIpOnLaunch).toBe(false);
    for (const [, route] of resourcesOfType(dev.warehouse, 'AWS::EC2::Route')) {
      expect(route.DestinationCidrBlock).not.toBe('0.0.0.0/0');
    }
    dev.warehouse.hasResourceProperties('AWS::EC2::FlowLog', { TrafficType: 'REJECT' });
  });

  it('has the endpoints Redshift needs: S3 gateway and the Glue catalog (one zone in dev)', () => {
    const endpoints = resourcesOfType(dev.warehouse, 'AWS::EC2::VPCEndpoint');
    const services = endpoints.map(([, endpoint]) => JSON.stringify(endpoint.ServiceName));
    expect(services.some((name) => name.includes('.s3'))).toBe(true);
    expect(services.some((name) => name.includes('.glue'))).toBe(true);
    expect(endpoints).toHaveLength(2);
    const glue = endpoints.find(([, endpoint]) =>
      JSON.stringify(endpoint.ServiceName).includes('.glue'),
    )?.[1];
    expect(glue).toMatchObject({ VpcEndpointType: 'Interface', PrivateDnsEnabled: true });
    expect(glue?.SubnetIds).toHaveLength(1);
  });

  it('creates a namespace with Redshift-managed admin password, KMS and audit logs, retained', () => {
    dev.warehouse.hasResource('AWS::RedshiftServerless::Namespace', {
      Properties: {
        NamespaceName: 'deftunes-dev',
        DbName: 'deftunes',
        ManageAdminPassword: true,
        AdminUserPassword: Match.absent(),
        KmsKeyId: Match.anyValue(),
        AdminPasswordSecretKmsKeyId: Match.anyValue(),
        IamRoles: [Match.anyValue()],
        DefaultIamRoleArn: Match.anyValue(),
        LogExports: ['userlog', 'connectionlog', 'useractivitylog'],
      },
      DeletionPolicy: 'Retain',
    });
  });

  it('creates a private workgroup: no public access, enhanced VPC routing, TLS required, RPU per environment', () => {
    dev.warehouse.hasResource('AWS::RedshiftServerless::Workgroup', {
      Properties: {
        WorkgroupName: 'deftunes-dev',
        NamespaceName: 'deftunes-dev',
        PubliclyAccessible: false,
        EnhancedVpcRouting: true,
        BaseCapacity: 8,
        MaxCapacity: 32,
        ConfigParameters: Match.arrayWith([{ ParameterKey: 'require_ssl', ParameterValue: 'true' }]),
        SubnetIds: Match.anyValue(),
      },
      DeletionPolicy: 'Retain',
    });
    const workgroup = resourcesOfType(dev.warehouse, 'AWS::RedshiftServerless::Workgroup')[0][1];
    expect(workgroup.SubnetIds).toHaveLength(3);
  });

  it('gives the workgroup a security group without inbound rules, and only it may use the Glue endpoint', () => {
    const groups = resourcesOfType(dev.warehouse, 'AWS::EC2::SecurityGroup');
    const warehouseGroup = groups.find(([id]) => id.startsWith('WarehouseSecurityGroup'));
    expect(warehouseGroup?.[1].SecurityGroupIngress).toBeUndefined();
    expect(warehouseGroup?.[1].SecurityGroupEgress).toEqual([
      expect.objectContaining({ IpProtocol: 'tcp', FromPort: 443, ToPort: 443 }),
    ]);
    const ingress = resourcesOfType(dev.warehouse, 'AWS::EC2::SecurityGroupIngress');
    expect(ingress).toHaveLength(1);
    expect(ingress[0][1]).toMatchObject({
      FromPort: 443,
      ToPort: 443,
      SourceSecurityGroupId: { 'Fn::GetAtt': [expect.stringMatching(/^WarehouseSecurityGroup/), 'GroupId'] },
    });
  });

  it('limits the Spectrum role to reading the transform catalog and warehouse prefix', () => {
    const spectrum = policyStatements(dev.warehouse).filter(({ policy }) =>
      policy.startsWith('SpectrumRole'),
    );
    const actions = spectrum.flatMap(({ statement }) => [statement.Action].flat() as string[]).sort();
    expect(actions).toEqual(
      [
        'glue:BatchGetPartition',
        'glue:GetDatabase',
        'glue:GetPartition',
        'glue:GetPartitions',
        'glue:GetTable',
        'glue:GetTables',
        'kms:Decrypt',
        's3:GetObject',
        's3:ListBucket',
      ].sort(),
    );
    for (const { statement } of spectrum) expect(statement.Resource).not.toEqual('*');
    const read = spectrum.find(({ statement }) => statement.Action === 's3:GetObject')?.statement;
    expect(JSON.stringify(read?.Resource)).toContain('/warehouse/*');
    dev.warehouse.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: {
        Statement: [
          Match.objectLike({
            Principal: { Service: ['redshift-serverless.amazonaws.com', 'redshift.amazonaws.com'] },
          }),
        ],
      },
    });
  });

  it('creates the external and serving schemas and the pipeline role at deploy time', () => {
    dev.warehouse.hasResourceProperties('Custom::DeftunesWarehouseSchemas', {
      Spec: Match.objectLike({
        workgroupName: 'deftunes-dev',
        database: 'deftunes',
        externalSchema: 'deftunes_transform',
        servingSchema: 'deftunes_serving',
        pipelineDbRole: 'deftunes_pipeline',
        secretArn: {
          'Fn::GetAtt': [
            Match.stringLikeRegexp('^WarehouseAdminSecretLookup'),
            'namespace.adminPasswordSecretArn',
          ],
        },
      }),
    });
    const handlerStatements = policyStatements(dev.warehouse).filter(({ policy }) =>
      policy.startsWith('SchemasHandler'),
    );
    const secretRead = handlerStatements.find(
      ({ statement }) => statement.Action === 'secretsmanager:GetSecretValue',
    );
    expect(secretRead?.statement.Resource).toEqual({
      'Fn::GetAtt': [
        expect.stringMatching(/^WarehouseAdminSecretLookup/),
        'namespace.adminPasswordSecretArn',
      ],
    });
  });

  it('matches the snapshot', () => {
    expect(dev.warehouse.toJSON()).toMatchSnapshot('warehouse');
  });
});
