/**
 * Creates the warehouse's schemas and the pipeline's database role, idempotently, through the Redshift
 * Data API, with the pipeline's own client ({@link RedshiftDataWarehouse}). Runs at deploy time (CloudFormation custom resource) as the namespace admin, because creating
 * an external schema and a role needs those privileges, which the pipeline's own identity never gets.
 */
import { messageOf } from '../../../lambdas/shared/errors';
import type { Row, Warehouse } from '../../../lambdas/shared/warehouse';
import { isTransientWarehouseError } from '../../../lambdas/shared/warehouse-errors';

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
  /** The warehouse as the namespace admin (the spec's secret). */
  readonly warehouse: Warehouse;
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

/**
 * Failures of a workgroup that is still being created or modified, beyond those the Data API client already
 * calls transient (throttling, a paused or unavailable workgroup): worth retrying at deploy time.
 */
function isStillSettling(error: unknown): boolean {
  return (
    isTransientWarehouseError(error) ||
    /is (being )?(modif|creat)|try again|ConcurrentModification/i.test(messageOf(error))
  );
}

/** Runs one statement; a failure carries Redshift's error and the SQL. Retries until the deadline. */
export async function runStatement(sql: string, deps: EnsureSchemasDeps): Promise<Row[]> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await deps.warehouse.query(sql);
    } catch (error: unknown) {
      if (!isStillSettling(error) || deps.now() > deps.deadline) {
        throw new Error(`${messageOf(error)} [SQL: ${sql}]`, { cause: error });
      }
      const wait = Math.min(30_000, 1000 * 2 ** Math.min(attempt, 5));
      deps.log(`attempt ${attempt} failed (${messageOf(error)}); retrying in ${wait} ms`);
      await deps.sleep(wait);
    }
  }
}

async function roleExists(spec: WarehouseSchemasSpec, deps: EnsureSchemasDeps): Promise<boolean> {
  const rows = await runStatement(
    `SELECT role_name FROM svv_roles WHERE role_name = '${spec.pipelineDbRole}'`,
    deps,
  );
  return rows.length > 0;
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
    await runStatement(sql, deps);
  }
  return statements;
}
