import {
  DescribeStatementCommand,
  ExecuteStatementCommand,
  GetStatementResultCommand,
  RedshiftDataClient,
} from '@aws-sdk/client-redshift-data';
import { mockClient } from 'aws-sdk-client-mock';
import { RedshiftDataWarehouse } from '../../lambdas/shared/redshift-data-warehouse';
import {
  ensureWarehouseSchemas,
  schemaStatements,
  validateSpec,
  type WarehouseSchemasSpec,
} from '../../lib/constructs/warehouse-schemas-handler/ensure-schemas';

const spec: WarehouseSchemasSpec = {
  workgroupName: 'deftunes-dev',
  database: 'deftunes',
  secretArn: 'arn:aws:secretsmanager:eu-west-1:111111111111:secret:redshift!deftunes-dev-admin-AbCdEf',
  glueDatabase: 'deftunes_transform',
  spectrumRoleArn: 'arn:aws:iam::111111111111:role/Dev-Warehouse-SpectrumRole-ABC',
  externalSchema: 'deftunes_transform',
  servingSchema: 'deftunes_serving',
  pipelineDbRole: 'deftunes_pipeline',
};

const redshift = mockClient(RedshiftDataClient);
let clock = 0;
const sleep = async (ms: number) => {
  clock += ms;
};
const deps = () => ({
  warehouse: new RedshiftDataWarehouse({
    client: new RedshiftDataClient({}),
    workgroupName: spec.workgroupName,
    database: spec.database,
    secretArn: spec.secretArn,
    sleep,
  }),
  sleep,
  now: () => clock,
  deadline: 600_000,
  log: () => undefined,
});

beforeEach(() => {
  redshift.reset();
  clock = 0;
});

describe('warehouse schemas custom resource', () => {
  it('creates the schemas, the role when missing, and the grants, as the admin, waiting for each statement', async () => {
    let id = 0;
    redshift.on(ExecuteStatementCommand).callsFake(() => ({ Id: `s${++id}` }));
    redshift
      .on(DescribeStatementCommand)
      .resolvesOnce({ Status: 'STARTED' })
      .resolves({ Status: 'FINISHED' });
    redshift.on(GetStatementResultCommand).resolves({ Records: [], TotalNumRows: 0 });

    const statements = await ensureWarehouseSchemas(spec, deps());
    expect(statements).toEqual([
      "CREATE EXTERNAL SCHEMA IF NOT EXISTS deftunes_transform FROM DATA CATALOG DATABASE 'deftunes_transform' IAM_ROLE 'arn:aws:iam::111111111111:role/Dev-Warehouse-SpectrumRole-ABC'",
      'CREATE SCHEMA IF NOT EXISTS deftunes_serving',
      'CREATE ROLE deftunes_pipeline',
      'GRANT USAGE ON SCHEMA deftunes_transform TO ROLE deftunes_pipeline',
      'GRANT USAGE, CREATE ON SCHEMA deftunes_serving TO ROLE deftunes_pipeline',
      'GRANT CREATE ON DATABASE deftunes TO ROLE deftunes_pipeline',
      'GRANT TEMP ON DATABASE deftunes TO ROLE deftunes_pipeline',
    ]);
    const sent = redshift.commandCalls(ExecuteStatementCommand).map((call) => call.args[0].input);
    expect(sent).toHaveLength(8);
    for (const input of sent) {
      expect(input).toMatchObject({
        WorkgroupName: 'deftunes-dev',
        Database: 'deftunes',
        SecretArn: spec.secretArn,
      });
    }
    expect(sent[0].Sql).toContain('FROM svv_roles');
  });

  it('does not create the role again when it exists (a second deploy changes nothing)', () => {
    expect(schemaStatements(spec, true)).not.toContain('CREATE ROLE deftunes_pipeline');
  });

  it("fails with Redshift's error and the SQL when a statement fails", async () => {
    redshift.on(ExecuteStatementCommand).resolves({ Id: 's1' });
    redshift.on(GetStatementResultCommand).resolves({ TotalNumRows: 1 });
    redshift
      .on(DescribeStatementCommand)
      .resolvesOnce({ Status: 'FINISHED' })
      .resolves({ Status: 'FAILED', Error: 'permission denied for database deftunes' });
    await expect(ensureWarehouseSchemas(spec, deps())).rejects.toThrow(
      /failed: permission denied for database deftunes \[SQL: CREATE EXTERNAL SCHEMA/,
    );
  });

  it('retries while the new workgroup is not available yet, with backoff', async () => {
    redshift
      .on(ExecuteStatementCommand)
      .rejectsOnce(
        Object.assign(new Error('Workgroup deftunes-dev is not available'), { name: 'ValidationException' }),
      )
      .resolves({ Id: 's1' });
    redshift.on(DescribeStatementCommand).resolves({ Status: 'FINISHED' });
    redshift.on(GetStatementResultCommand).resolves({ TotalNumRows: 1 });
    await ensureWarehouseSchemas(spec, deps());
    expect(clock).toBeGreaterThanOrEqual(2000);
  });

  it('refuses identifiers that are not plain SQL names', () => {
    expect(() => validateSpec({ ...spec, servingSchema: 'x; DROP SCHEMA y' })).toThrow(/servingSchema/);
    expect(() => validateSpec({ ...spec, spectrumRoleArn: "arn' --" })).toThrow(/spectrumRoleArn/);
  });
});
