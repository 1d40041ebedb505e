/**
 * The policy of a transform job's role: the landing prefixes its spec reads, the warehouse and the job
 * results it writes, its own Glue temporary files, its own tables in the catalog, the platform key, its logs
 * and metrics. Pure functions of the job's spec and the resources, in the order the role lists them.
 */
import { ArnFormat, Stack } from 'aws-cdk-lib';
import type * as glue from 'aws-cdk-lib/aws-glue';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { JOB_RESULTS_PREFIX, WAREHOUSE_PREFIX } from '../../lambdas/shared/platform-names';
import { TRANSFORM_JOB_TABLES, type JobSpec } from './transform-job-specs';

/** The Glue Data Catalog ARNs of `tables` in `databaseName`, for policies scoped to the tables one role uses. */
export function glueTableArns(stack: Stack, databaseName: string, tables: readonly string[]): string[] {
  return tables.map((table) =>
    stack.formatArn({ service: 'glue', resource: 'table', resourceName: `${databaseName}/${table}` }),
  );
}

/** What a transform job's role reaches. */
export interface TransformJobResources {
  readonly landingBucket: s3.IBucket;
  readonly transformBucket: s3.IBucket;
  readonly assetsBucket: s3.IBucket;
  readonly database: glue.IDatabase;
  readonly databaseName: string;
  readonly key: kms.IKey;
}

/** The Glue Data Catalog's ARN and the ARN of the log groups Glue creates (`/aws-glue/*`). */
export function glueServiceArns(stack: Stack): { catalogArn: string; logGroupsArn: string } {
  return {
    catalogArn: stack.formatArn({ service: 'glue', resource: 'catalog' }),
    logGroupsArn: stack.formatArn({
      service: 'logs',
      resource: 'log-group',
      resourceName: '/aws-glue/*',
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    }),
  };
}

/** S3: list and read the job's landing prefixes, the warehouse and job results, its Glue temporary files. */
export function jobStorageStatements(spec: JobSpec, props: TransformJobResources): iam.PolicyStatement[] {
  return [
    new iam.PolicyStatement({
      sid: 'ListLandingPrefixes',
      actions: ['s3:ListBucket'],
      resources: [props.landingBucket.bucketArn],
      conditions: { StringLike: { 's3:prefix': spec.readsLanding } },
    }),
    new iam.PolicyStatement({
      sid: 'ReadLandingPrefixes',
      actions: ['s3:GetObject'],
      resources: spec.readsLanding.map((prefix) => props.landingBucket.arnForObjects(prefix)),
    }),
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
    new iam.PolicyStatement({
      sid: 'ReadWriteWarehouseFiles',
      actions: ['s3:GetObject', 's3:PutObject', 's3:DeleteObject'],
      resources: [props.transformBucket.arnForObjects(`${WAREHOUSE_PREFIX}/*`)],
    }),
    new iam.PolicyStatement({
      sid: 'WriteJobResults',
      // Written through Hadoop's FileSystem, which checks for the object before replacing it.
      actions: ['s3:GetObject', 's3:PutObject', 's3:DeleteObject'],
      resources: [props.transformBucket.arnForObjects(`${JOB_RESULTS_PREFIX}/*`)],
    }),
    new iam.PolicyStatement({
      sid: 'ListGlueTemporaryFiles',
      actions: ['s3:ListBucket'],
      resources: [props.assetsBucket.bucketArn],
      conditions: { StringLike: { 's3:prefix': [`glue-temp/${spec.id}/*`] } },
    }),
    new iam.PolicyStatement({
      sid: 'GlueTemporaryFiles',
      actions: ['s3:GetObject', 's3:PutObject', 's3:DeleteObject'],
      resources: [props.assetsBucket.arnForObjects(`glue-temp/${spec.id}/*`)],
    }),
  ];
}

/** The catalog (the database, the job's own tables), the platform key, Glue's log groups and metrics. */
export function jobServiceStatements(
  spec: JobSpec,
  props: TransformJobResources,
  stack: Stack,
): iam.PolicyStatement[] {
  const { catalogArn, logGroupsArn } = glueServiceArns(stack);
  return [
    new iam.PolicyStatement({
      sid: 'ReadTransformDatabase',
      actions: ['glue:GetDatabase', 'glue:GetTables'],
      resources: [catalogArn, props.database.databaseArn],
    }),
    new iam.PolicyStatement({
      sid: 'WriteOwnTables',
      actions: ['glue:GetTable', 'glue:CreateTable', 'glue:UpdateTable', 'glue:GetPartitions'],
      resources: [
        catalogArn,
        props.database.databaseArn,
        ...glueTableArns(stack, props.databaseName, TRANSFORM_JOB_TABLES[spec.id]),
      ],
    }),
    new iam.PolicyStatement({
      sid: 'EncryptWithPlatformKey',
      actions: ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey', 'kms:GenerateDataKeyWithoutPlaintext'],
      resources: [props.key.keyArn],
    }),
    // Glue names its log groups itself (with the security configuration's name in them).
    new iam.PolicyStatement({
      sid: 'WriteGlueLogs',
      actions: ['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents', 'logs:AssociateKmsKey'],
      resources: [logGroupsArn],
    }),
    new iam.PolicyStatement({
      sid: 'PublishJobMetrics',
      actions: ['cloudwatch:PutMetricData'],
      resources: ['*'],
      conditions: { StringEquals: { 'cloudwatch:namespace': 'Glue' } },
    }),
  ];
}
