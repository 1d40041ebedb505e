import { ArnFormat, Stack } from 'aws-cdk-lib';
import * as glue from 'aws-cdk-lib/aws-glue';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct, type IConstruct } from 'constructs';
import { acknowledgeWildcardResources } from '../nag';
import { TRANSFORM_TABLES, WAREHOUSE_PREFIX } from '../../lambdas/shared/platform-names';
import { glueTableArns } from './transform-job-policy';

/** The three Glue table optimizers, with the log group each one writes to (the AWS Glue documentation's). */
const OPTIMIZER_LOG_GROUPS = {
  compaction: '/aws-glue/iceberg-compaction/logs',
  retention: '/aws-glue/iceberg-retention/logs',
  orphan_file_deletion: '/aws-glue/iceberg-orphan-file-deletion/logs',
} as const;
type OptimizerType = keyof typeof OPTIMIZER_LOG_GROUPS;

export interface IcebergTableOptimizersProps {
  /** The Glue database of the transform zone. */
  readonly database: glue.IDatabase;
  /** Its name (a contract: the jobs' `--database`), written into the table ARNs. */
  readonly databaseName: string;
  /** The Iceberg warehouse's bucket. */
  readonly transformBucket: s3.IBucket;
  /** The key the bucket's objects are encrypted with. */
  readonly key: kms.IKey;
  /**
   * The tables to maintain; each must exist when the optimizers are deployed (the first run of its job
   * creates it), and lives under `<warehousePrefix>/<table>/` (the database's location and the table name).
   * @default TRANSFORM_TABLES (every Iceberg table the transform jobs write)
   */
  readonly tables?: readonly string[];
  /**
   * Prefix of the Iceberg warehouse in the bucket.
   * @default WAREHOUSE_PREFIX ('warehouse')
   */
  readonly warehousePrefix?: string;
  /** Snapshots older than this many days are expired (cdk.json `icebergMaintenance.snapshotRetentionDays`). */
  readonly snapshotRetentionDays: number;
  /** The newest snapshots kept whatever their age (`snapshotsToRetain`). */
  readonly snapshotsToRetain: number;
  /** Unreferenced files are deleted once older than this many days (`orphanFileRetentionDays`). */
  readonly orphanFileRetentionDays: number;
  /** Compaction starts once a partition holds this many files (`compactionMinInputFiles`). */
  readonly compactionMinInputFiles: number;
}

/**
 * The Glue Data Catalog's table optimizers on the transform zone's Iceberg tables: compaction (bin-pack),
 * snapshot retention (expired snapshots' files deleted) and orphan file deletion, so the tables' files and
 * metadata stop growing with the history (the local pipeline runs the same operations after each job:
 * glue-scripts/deftunes_glue/maintenance.py). One role for the three, limited to the tables' own prefixes,
 * catalog entries, the platform key and the optimizers' log groups.
 */
export class IcebergTableOptimizers extends Construct {
  public readonly role: iam.IRole;
  public readonly optimizers: glue.CfnTableOptimizer[];

  constructor(scope: Construct, id: string, props: IcebergTableOptimizersProps) {
    super(scope, id);
    const tables = props.tables ?? TRANSFORM_TABLES;
    const { role, policy } = this.createRole(props, tables);
    this.role = role;
    this.optimizers = this.createOptimizers(props, tables, role, policy);
  }

  /**
   * The optimizers' one role (the documented setup), limited to the tables' own prefixes, metadata, the key
   * and the optimizers' log groups. Returns it with its default policy, which the optimizers wait for.
   */
  private createRole(
    props: IcebergTableOptimizersProps,
    tables: readonly string[],
  ): { role: iam.Role; policy: IConstruct } {
    const stack = Stack.of(this);
    const warehouse = props.warehousePrefix ?? WAREHOUSE_PREFIX;
    const tablePrefixes = tables.map((table) => `${warehouse}/${table}`);
    const tableObjects = tablePrefixes.map((prefix) => props.transformBucket.arnForObjects(`${prefix}/*`));
    const logGroups = Object.values(OPTIMIZER_LOG_GROUPS).map((name) =>
      stack.formatArn({
        service: 'logs',
        resource: 'log-group',
        resourceName: `${name}:*`,
        arnFormat: ArnFormat.COLON_RESOURCE_NAME,
      }),
    );

    const role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('glue.amazonaws.com'),
      description:
        'Glue table optimizers (compaction, snapshot retention, orphan files) of the transform tables',
    });
    role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'ListTablePrefixes',
        actions: ['s3:ListBucket'],
        resources: [props.transformBucket.bucketArn],
        conditions: { StringLike: { 's3:prefix': tablePrefixes.flatMap((p) => [p, `${p}/*`]) } },
      }),
    );
    // Compaction writes files and retention deletes them; orphan deletion needs only read and delete, but
    // one role serves the three (the documented setup), limited to the tables' own prefixes.
    role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'ReadWriteTableFiles',
        actions: ['s3:GetObject', 's3:PutObject', 's3:DeleteObject'],
        resources: tableObjects,
      }),
    );
    role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'UpdateTableMetadata',
        actions: ['glue:GetTable', 'glue:UpdateTable'],
        resources: [
          stack.formatArn({ service: 'glue', resource: 'catalog' }),
          props.database.databaseArn,
          ...glueTableArns(stack, props.databaseName, tables),
        ],
      }),
    );
    role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'DecryptAndEncryptTableFiles',
        actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
        resources: [props.key.keyArn],
      }),
    );
    role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'OptimizerLogs',
        actions: ['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: logGroups,
      }),
    );
    const policy = role.node.findChild('DefaultPolicy');
    acknowledgeWildcardResources(
      policy,
      tableObjects,
      "Iceberg data and metadata files have generated names below each table's own prefix",
    );
    acknowledgeWildcardResources(
      policy,
      logGroups,
      "the optimizers' log groups are named by Glue; their streams are per run",
    );
    return { role, policy };
  }

  /** One optimizer of each type per table. */
  private createOptimizers(
    props: IcebergTableOptimizersProps,
    tables: readonly string[],
    role: iam.IRole,
    policy: IConstruct,
  ): glue.CfnTableOptimizer[] {
    const stack = Stack.of(this);
    const configurations = optimizerConfigurations(props);
    return tables.flatMap((table) =>
      (Object.keys(OPTIMIZER_LOG_GROUPS) as OptimizerType[]).map((type) => {
        const optimizer = new glue.CfnTableOptimizer(this, `${pascalCase(table)}${pascalCase(type)}`, {
          catalogId: stack.account,
          databaseName: props.databaseName,
          tableName: table,
          type,
          tableOptimizerConfiguration: { roleArn: role.roleArn, enabled: true, ...configurations[type] },
        });
        // The optimizer's first run must find the role's permissions in place.
        optimizer.node.addDependency(policy);
        return optimizer;
      }),
    );
  }
}

/** The type-specific part of each optimizer's configuration. */
export function optimizerConfigurations(
  settings: Pick<
    IcebergTableOptimizersProps,
    'snapshotRetentionDays' | 'snapshotsToRetain' | 'orphanFileRetentionDays' | 'compactionMinInputFiles'
  >,
): Record<OptimizerType, Partial<glue.CfnTableOptimizer.TableOptimizerConfigurationProperty>> {
  return {
    compaction: {
      compactionConfiguration: {
        icebergConfiguration: { strategy: 'binpack', minInputFiles: settings.compactionMinInputFiles },
      },
    },
    retention: {
      retentionConfiguration: {
        icebergConfiguration: {
          snapshotRetentionPeriodInDays: settings.snapshotRetentionDays,
          numberOfSnapshotsToRetain: settings.snapshotsToRetain,
          cleanExpiredFiles: true,
        },
      },
    },
    orphan_file_deletion: {
      orphanFileDeletionConfiguration: {
        icebergConfiguration: { orphanFileRetentionPeriodInDays: settings.orphanFileRetentionDays },
      },
    },
  };
}

/** `artist_stats` -> `ArtistStats`, `orphan_file_deletion` -> `OrphanFileDeletion`. */
function pascalCase(name: string): string {
  return name
    .split('_')
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join('');
}
