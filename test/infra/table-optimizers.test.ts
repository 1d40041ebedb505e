import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import { parseEnvironments } from '../../lib/config';
import { TRANSFORM_TABLES } from '../../lambdas/shared/platform-names';
import { readCdkJsonContext } from '../../lib/deftunes-app';
import { policyStatements, resourcesOfType, synthesizeStage, type SynthesizedStage } from './synth';

const ROOT = path.resolve(__dirname, '..', '..');
const environments = () =>
  structuredClone(readCdkJsonContext()['deftunes:environments']) as Record<string, Record<string, unknown>>;

function withMaintenance(change: Record<string, unknown>): Record<string, Record<string, unknown>> {
  const raw = environments();
  raw.dev.icebergMaintenance = { ...(raw.dev.icebergMaintenance as object), ...change };
  return raw;
}

type Optimizer = {
  DatabaseName: string;
  TableName: string;
  Type: string;
  TableOptimizerConfiguration: Record<string, unknown> & { RoleArn: unknown };
};

describe('Iceberg table optimizers (dev, once its tables exist: tableOptimizers true)', () => {
  let dev: SynthesizedStage;
  let optimizers: Optimizer[];
  beforeAll(() => {
    dev = synthesizeStage('dev', {
      context: { 'deftunes:environments': withMaintenance({ tableOptimizers: true }) },
    });
    optimizers = resourcesOfType(dev.compute, 'AWS::Glue::TableOptimizer').map(([, p]) => p as Optimizer);
  });

  it('lists the same tables as the Glue scripts', () => {
    const python = path.join(ROOT, '.venv', 'bin', 'python');
    const tables = execFileSync(
      python,
      [
        '-c',
        'import json; from deftunes_glue.schemas import TABLE_PARTITIONING as T; print(json.dumps(sorted(T)))',
      ],
      { cwd: ROOT, env: { ...process.env, PYTHONPATH: path.join(ROOT, 'glue-scripts') }, encoding: 'utf8' },
    );
    expect([...TRANSFORM_TABLES].sort()).toEqual(JSON.parse(tables));
  });

  it('enables compaction, snapshot retention and orphan file deletion on every transform table', () => {
    expect(optimizers).toHaveLength(TRANSFORM_TABLES.length * 3);
    for (const table of TRANSFORM_TABLES) {
      const types = optimizers.filter((o) => o.TableName === table).map((o) => o.Type);
      expect(types.sort()).toEqual(['compaction', 'orphan_file_deletion', 'retention']);
    }
    expect(new Set(optimizers.map((o) => o.DatabaseName))).toEqual(new Set(['deftunes_transform']));
    expect(new Set(optimizers.map((o) => JSON.stringify(o.TableOptimizerConfiguration.RoleArn))).size).toBe(
      1,
    );
  });

  it("takes cdk.json's retention settings", () => {
    const of = (type: string) => optimizers.find((o) => o.TableName === 'listens' && o.Type === type)!;
    expect(of('retention').TableOptimizerConfiguration).toMatchObject({
      Enabled: true,
      RetentionConfiguration: {
        IcebergConfiguration: {
          SnapshotRetentionPeriodInDays: 5,
          NumberOfSnapshotsToRetain: 3,
          CleanExpiredFiles: true,
        },
      },
    });
    expect(of('orphan_file_deletion').TableOptimizerConfiguration).toMatchObject({
      OrphanFileDeletionConfiguration: { IcebergConfiguration: { OrphanFileRetentionPeriodInDays: 3 } },
    });
    expect(of('compaction').TableOptimizerConfiguration).toMatchObject({
      CompactionConfiguration: { IcebergConfiguration: { Strategy: 'binpack', MinInputFiles: 5 } },
    });
  });

  it("gives the optimizers' role only the tables' prefixes, catalog entries, the key and their log groups", () => {
    const [roleId] = resourcesOfType(dev.compute, 'AWS::IAM::Role').find(([id]) =>
      id.startsWith('TableOptimizersRole'),
    )!;
    const statements = policyStatements(dev.compute)
      .filter(({ policy }) => policy.startsWith('TableOptimizersRoleDefaultPolicy'))
      .map(({ statement }) => statement);
    expect(roleId).toBeDefined();
    const bySid = Object.fromEntries(statements.map((s) => [s.Sid as string, s]));
    expect(Object.keys(bySid).sort()).toEqual([
      'DecryptAndEncryptTableFiles',
      'ListTablePrefixes',
      'OptimizerLogs',
      'ReadWriteTableFiles',
      'UpdateTableMetadata',
    ]);
    const text = JSON.stringify(bySid.ReadWriteTableFiles.Resource);
    for (const table of TRANSFORM_TABLES) expect(text).toContain(`/warehouse/${table}/*`);
    expect(text).not.toMatch(/\/warehouse\/\*/);
    expect(bySid.UpdateTableMetadata.Action).toEqual(['glue:GetTable', 'glue:UpdateTable']);
    expect(JSON.stringify(bySid.UpdateTableMetadata.Resource)).toContain(':table/deftunes_transform/listens');
    expect(JSON.stringify(bySid.UpdateTableMetadata.Resource)).not.toContain(':table/deftunes_transform/*');
    expect(bySid.DecryptAndEncryptTableFiles.Action).toEqual(['kms:Decrypt', 'kms:GenerateDataKey']);
    expect(JSON.stringify(bySid.OptimizerLogs.Resource)).toContain(
      '/aws-glue/iceberg-orphan-file-deletion/logs:*',
    );
    for (const statement of statements) expect(statement.Resource).not.toBe('*');
  });

  it('creates no optimizer as cdk.json has it: a first deploy comes before the jobs create the tables', () => {
    const off = synthesizeStage('dev');
    expect(resourcesOfType(off.compute, 'AWS::Glue::TableOptimizer')).toHaveLength(0);
    expect(
      resourcesOfType(off.compute, 'AWS::IAM::Role')
        .map(([id]) => id)
        .join(),
    ).not.toContain('TableOptimizers');
  });
});

describe('icebergMaintenance settings (cdk.json)', () => {
  it('refuses an orphan retention shorter than a Glue job may run', () => {
    const raw = withMaintenance({ orphanFileRetentionDays: 1 });
    (raw.dev.glue as Record<string, unknown>).timeoutMinutes = 1440;
    expect(() => parseEnvironments(raw)).toThrow(
      /dev\.icebergMaintenance\.orphanFileRetentionDays: must be longer than glue\.timeoutMinutes/,
    );
  });

  it.each([
    [{ snapshotsToRetain: 0 }, /dev\.icebergMaintenance\.snapshotsToRetain/],
    [{ snapshotRetentionDays: 0 }, /dev\.icebergMaintenance\.snapshotRetentionDays/],
    [{ compactionMinInputFiles: 1 }, /dev\.icebergMaintenance\.compactionMinInputFiles/],
    [{ snapshotRetentionDay: 5 }, /dev\.icebergMaintenance: Unrecognized key/],
  ])('refuses %j', (change, message) => {
    expect(() => parseEnvironments(withMaintenance(change))).toThrow(message);
  });
});
