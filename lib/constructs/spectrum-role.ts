import { Stack } from 'aws-cdk-lib';
import * as glue from 'aws-cdk-lib/aws-glue';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { acknowledgeWildcardResources } from '../nag';

export interface SpectrumRoleProps {
  /** The Glue database of the transform zone the external schema maps to. */
  readonly database: glue.IDatabase;
  /** The bucket holding the Iceberg tables. */
  readonly transformBucket: s3.IBucket;
  /** The prefix of the Iceberg warehouse inside the bucket, without a trailing slash. */
  readonly warehousePrefix: string;
  /** The key the transform bucket is encrypted with. */
  readonly key: kms.IKey;
}

/**
 * The role Redshift assumes for Spectrum: read the transform database's tables in the Glue Data Catalog and
 * read the Iceberg files under the warehouse prefix, nothing more (no write, no other database or bucket).
 */
export class SpectrumRole extends Construct {
  public readonly role: iam.IRole;

  constructor(scope: Construct, id: string, props: SpectrumRoleProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const catalogArn = stack.formatArn({ service: 'glue', resource: 'catalog' });
    const tablesArn = stack.formatArn({
      service: 'glue',
      resource: 'table',
      resourceName: `${props.database.databaseName}/*`,
    });

    const role = new iam.Role(this, 'Role', {
      description: 'Redshift Spectrum: read the transform zone (Glue catalog and Iceberg files)',
      assumedBy: new iam.CompositePrincipal(
        new iam.ServicePrincipal('redshift.amazonaws.com'),
        new iam.ServicePrincipal('redshift-serverless.amazonaws.com'),
      ),
    });
    for (const statement of spectrumStatements(props, stack, { catalogArn, tablesArn }))
      role.addToPolicy(statement);
    acknowledgeWildcardResources(
      role,
      [tablesArn],
      'read-only on the tables of the transform database only (Spectrum resolves whichever table a query names)',
    );
    acknowledgeWildcardResources(
      role,
      [props.transformBucket.arnForObjects(`${props.warehousePrefix}/*`)],
      'read-only (GetObject) on the Iceberg warehouse prefix, whose files have generated names',
    );
    this.role = role;
  }
}

/** Read the transform database's catalog and the warehouse's files (decrypting through S3 only). */
function spectrumStatements(
  props: SpectrumRoleProps,
  stack: Stack,
  arns: { readonly catalogArn: string; readonly tablesArn: string },
): iam.PolicyStatement[] {
  const { catalogArn, tablesArn } = arns;
  return [
    new iam.PolicyStatement({
      sid: 'ReadTransformCatalog',
      actions: [
        'glue:GetDatabase',
        'glue:GetTable',
        'glue:GetTables',
        'glue:GetPartition',
        'glue:GetPartitions',
        'glue:BatchGetPartition',
      ],
      resources: [catalogArn, props.database.databaseArn, tablesArn],
    }),
    new iam.PolicyStatement({
      sid: 'ListWarehousePrefix',
      actions: ['s3:ListBucket'],
      resources: [props.transformBucket.bucketArn],
      conditions: { StringLike: { 's3:prefix': [`${props.warehousePrefix}/*`] } },
    }),
    new iam.PolicyStatement({
      sid: 'ReadWarehouseFiles',
      actions: ['s3:GetObject'],
      resources: [props.transformBucket.arnForObjects(`${props.warehousePrefix}/*`)],
    }),
    new iam.PolicyStatement({
      sid: 'DecryptWarehouseFiles',
      actions: ['kms:Decrypt'],
      resources: [props.key.keyArn],
      conditions: { StringEquals: { 'kms:ViaService': `s3.${stack.region}.amazonaws.com` } },
    }),
  ];
}
