/**
 * Database credentials from AWS Secrets Manager, in the JSON shape RDS-managed and rotated secrets use:
 * `{"host", "port", "username", "password", "dbname", "engine"?}`. The secret is cached for the life of
 * the Lambda container and re-read when the database rejects the password (the secret was rotated).
 */
import { describeIssues } from './contracts';
import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { ClientConfig } from 'pg';
// The Client class alone: `pg`'s index also builds its Pool (pg-pool) and loads its native client, which the
// extracts never use (about 16 KiB of their bundles, issue 17).
import Client from 'pg/lib/client';
import * as z from './zod';

export const DbSecretSchema = z.object({
  host: z.string().check(z.minLength(1)),
  port: z._default(z.coerce.number().check(z.int(), z.gte(1), z.lte(65535)), 5432),
  username: z.string().check(z.minLength(1)),
  password: z.string().check(z.minLength(1)),
  dbname: z._default(z.string().check(z.minLength(1)), 'postgres'),
  engine: z.optional(z.string()),
});
export type DbSecret = z.infer<typeof DbSecretSchema>;

/** Reads and validates the secret; the error names the secret and the bad fields, never their values. */
export async function readDbSecret(client: SecretsManagerClient, secretId: string): Promise<DbSecret> {
  const response = await client.send(new GetSecretValueCommand({ SecretId: secretId }));
  if (response.SecretString === undefined) {
    throw new Error(`Secret ${secretId} has no SecretString (binary secrets are not supported)`);
  }
  let json: unknown;
  try {
    json = JSON.parse(response.SecretString);
  } catch {
    throw new Error(`Secret ${secretId} is not JSON; expected {host, port, username, password, dbname}`);
  }
  const parsed = DbSecretSchema.safeParse(json);
  if (!parsed.success) {
    const fields = describeIssues(parsed.error);
    throw new Error(`Secret ${secretId} is not a database secret: ${fields}`);
  }
  return parsed.data;
}

/** A way to open a connection to the songs database, and how to name it without credentials. */
export interface PgConnectionFactory {
  connect(): Promise<Client>;
  /** e.g. `postgresql://db.example.com:5432/deftunes`: for manifests, logs and errors. */
  readonly description: string;
}

const CONNECT_TIMEOUT_MS = 15_000;
/**
 * Server-side limit on each statement (each cursor FETCH is one): a stalled read fails with a clear
 * Postgres error instead of hanging until the Lambda's own timeout.
 */
const STATEMENT_TIMEOUT_MS = 120_000;
const INVALID_PASSWORD = '28P01';

/**
 * Connections built from a Secrets Manager secret, always over TLS with the server certificate verified
 * (in Lambda, point NODE_EXTRA_CA_CERTS at the RDS CA bundle, `/var/runtime/ca-cert.pem`).
 */
export function secretsManagerConnectionFactory(
  client: SecretsManagerClient,
  secretId: string,
  describe: (secret: DbSecret) => string = (secret) =>
    `postgresql://${secret.host}:${secret.port}/${secret.dbname}`,
  newClient: (config: ClientConfig) => Client = (config) => new Client(config),
): PgConnectionFactory & { secret(): Promise<DbSecret> } {
  let cached: Promise<DbSecret> | undefined;
  let description = `secret ${secretId}`;
  const secret = (): Promise<DbSecret> => {
    cached ??= readDbSecret(client, secretId).catch((error: unknown) => {
      cached = undefined;
      throw error;
    });
    return cached;
  };
  const open = (value: DbSecret): Promise<Client> =>
    connectPg(
      {
        host: value.host,
        port: value.port,
        user: value.username,
        password: value.password,
        database: value.dbname,
        ssl: { rejectUnauthorized: true, servername: value.host },
      },
      newClient,
    );
  return {
    get description() {
      return description;
    },
    secret,
    async connect() {
      const first = await secret();
      description = describe(first);
      try {
        return await open(first);
      } catch (error: unknown) {
        if ((error as { code?: string }).code !== INVALID_PASSWORD) throw error;
        // The password may have been rotated since it was cached: read the secret again, once.
        cached = undefined;
        const fresh = await secret();
        if (fresh.password === first.password) throw error;
        return open(fresh);
      }
    },
  };
}

/**
 * Opens a connection with the extracts' connect timeout and application name, then sets the statement
 * timeout; a connection that fails half-way is closed. Also the local runner's way in (lib/local/adapters).
 */
export async function connectPg(
  config: ClientConfig,
  newClient: (config: ClientConfig) => Client = (config) => new Client(config),
): Promise<Client> {
  return connectOrClose(
    newClient({
      ...config,
      connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
      application_name: 'deftunes-extract',
    }),
  );
}

async function connectOrClose(connection: Client): Promise<Client> {
  try {
    await connection.connect();
    // A SET rather than a startup parameter: every Postgres honours it, embedded ones included.
    await connection.query(`SET statement_timeout = ${STATEMENT_TIMEOUT_MS}`);
    return connection;
  } catch (error: unknown) {
    await connection.end().catch(() => undefined);
    throw error;
  }
}
