/**
 * Creates the warehouse's schemas and the pipeline's database role, idempotently, through the Redshift
 * Data API. Runs at deploy time (CloudFormation custom resource) as the namespace admin, because creating
 * an external schema and a role needs those privileges, which the pipeline's own identity never gets.
 */
import {
  DescribeStatementCommand,
  ExecuteStatementCommand,
  GetStatementResultCommand,
  type RedshiftDataClient,
} from '@aws-sdk/client-redshift-data';

export interface WarehouseSchemasSpec {
  readonly workgroupName: string;
  readonly database: string;
  /** Admin credentials secret (Redshift-managed). */
  readonly secretArn: string;
  /** Glue database the external schema maps to. */
  readonly glueDatabase: string;
  /** Role Redshift assumes to read the Glue catalog and S3 (Spectrum). */
  readonly spectrumRoleArn: string;
  /** Name of the external schema, e.g. `deftunes_transform`. */
  readonly externalSchema: string;
  /** Name of the serving schema, e.g. `deftunes_serving`. */
  readonly servingSchema: string;
  /** Database role granted to the pipeline's IAM identity through its `RedshiftDbRoles` tag. */
  readonly pipelineDbRole: string;
}

export interface EnsureSchemasDeps {
  readonly client: Pick<RedshiftDataClient, 'send'>;
  readonly sleep: (ms: number) => Promise<void>;
  /** Milliseconds left before the caller gives up; statements stop being retried past it. */
  readonly deadline: number;
  readonly now: () => number;
  readonly log: (message: string) => void;
}

const IDENTIFIER = /^[a-z_][a-z0-9_]{0,126}$/;
const ROLE_ARN = /^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]+$/;

/** Validates what goes into SQL text: identifiers and the role ARN cannot be bound as parameters. */
export function validateSpec(spec: WarehouseSchemasSpec): WarehouseSchemasSpec {
  for (const [name, value] of [
    ['externalSchema', spec.externalSchema],
    ['servingSchema', spec.servingSchema],
    ['pipelineDbRole', spec.pipelineDbRole],
    ['glueDatabase', spec.glueDatabase],
    ['database', spec.database],
  ] as const) {
    if (!IDENTIFIER.test(value))
      throw new Error(`${name} "${value}" is not a plain lowercase SQL identifier`);
  }
  if (!ROLE_ARN.test(spec.spectrumRoleArn))
    throw new Error(`spectrumRoleArn "${spec.spectrumRoleArn}" is not an IAM role ARN`);
  for (const [name, value] of [
    ['workgroupName', spec.workgroupName],
    ['database', spec.database],
    ['secretArn', spec.secretArn],
  ] as const) {
    if (!value) throw new Error(`${name} is required`);
  }
  return spec;
}

/** The statements, in order; each is idempotent on its own. */
export function schemaStatements(spec: WarehouseSchemasSpec, roleExists: boolean): string[] {
  return [
    `CREATE EXTERNAL SCHEMA IF NOT EXISTS ${spec.externalSchema} FROM DATA CATALOG DATABASE '${spec.glueDatabase}' IAM_ROLE '${spec.spectrumRoleArn}'`,
    `CREATE SCHEMA IF NOT EXISTS ${spec.servingSchema}`,
    ...(roleExists ? [] : [`CREATE ROLE ${spec.pipelineDbRole}`]),
    `GRANT USAGE ON SCHEMA ${spec.externalSchema} TO ROLE ${spec.pipelineDbRole}`,
    `GRANT USAGE, CREATE ON SCHEMA ${spec.servingSchema} TO ROLE ${spec.pipelineDbRole}`,
    // The serving load starts with `create schema if not exists`, which checks this privilege first.
    `GRANT CREATE ON DATABASE ${spec.database} TO ROLE ${spec.pipelineDbRole}`,
    // Spectrum queries and serving-load's staging tables need TEMP; PUBLIC has it by default, but a
    // hardened cluster revokes it from PUBLIC, and the AWS docs ask for it explicitly for Spectrum.
    `GRANT TEMP ON DATABASE ${spec.database} TO ROLE ${spec.pipelineDbRole}`,
  ];
}

/** Errors of a workgroup that is still starting or busy: worth retrying. */
function isTransient(error: unknown): boolean {
  const name = (error as { name?: string }).name ?? '';
  const message = (error as { message?: string }).message ?? '';
  return (
    ['ThrottlingException', 'InternalServerException', 'ActiveStatementsExceededException'].includes(name) ||
    /not (yet )?available|is (being )?(modif|creat)|try again|ConcurrentModification/i.test(message)
  );
}

/** Runs one statement and waits for it; returns the statement id. Fails with Redshift's error and the SQL. */
export async function runStatement(
  spec: WarehouseSchemasSpec,
  sql: string,
  deps: EnsureSchemasDeps,
): Promise<string> {
  let attempt = 0;
  for (;;) {
    attempt += 1;
    try {
      const { Id } = await deps.client.send(
        new ExecuteStatementCommand({
          WorkgroupName: spec.workgroupName,
          Database: spec.database,
          SecretArn: spec.secretArn,
          Sql: sql,
        }),
      );
      if (!Id) throw new Error('the Data API returned no statement id');
      for (let poll = 0; ; poll += 1) {
        const status = await deps.client.send(new DescribeStatementCommand({ Id }));
        if (status.Status === 'FINISHED') return Id;
        if (status.Status === 'FAILED' || status.Status === 'ABORTED') {
          const failure = new Error(
            `statement ${status.Status.toLowerCase()}: ${status.Error ?? 'no error message'} [SQL: ${sql}]`,
          );
          (failure as { name: string }).name = isTransient({ message: status.Error })
            ? 'TransientStatementError'
            : 'StatementError';
          throw failure;
        }
        if (deps.now() > deps.deadline)
          throw new Error(`statement ${Id} still ${status.Status} at the deadline [SQL: ${sql}]`);
        await deps.sleep(Math.min(5000, 250 * 2 ** Math.min(poll, 5)));
      }
    } catch (error) {
      const retryable = isTransient(error) || (error as { name?: string }).name === 'TransientStatementError';
      if (!retryable || deps.now() > deps.deadline) throw error;
      const wait = Math.min(30_000, 1000 * 2 ** Math.min(attempt, 5));
      deps.log(`attempt ${attempt} failed (${(error as Error).message}); retrying in ${wait} ms`);
      await deps.sleep(wait);
    }
  }
}

async function roleExists(spec: WarehouseSchemasSpec, deps: EnsureSchemasDeps): Promise<boolean> {
  const id = await runStatement(
    spec,
    `SELECT role_name FROM svv_roles WHERE role_name = '${spec.pipelineDbRole}'`,
    deps,
  );
  const result = await deps.client.send(new GetStatementResultCommand({ Id: id }));
  return (result.TotalNumRows ?? result.Records?.length ?? 0) > 0;
}

/** Creates what is missing; running it twice changes nothing the second time. */
export async function ensureWarehouseSchemas(
  spec: WarehouseSchemasSpec,
  deps: EnsureSchemasDeps,
): Promise<string[]> {
  validateSpec(spec);
  const statements = schemaStatements(spec, await roleExists(spec, deps));
  for (const sql of statements) {
    deps.log(`running: ${sql}`);
    await runStatement(spec, sql, deps);
  }
  return statements;
}
