/**
 * The songs database by URL, the local way in: the simulator's embedded Postgres or any Postgres given with
 * `--songs-db-url`. In AWS the extracts connect from a Secrets Manager secret instead
 * (`secretsManagerConnectionFactory` in lambdas/shared/db-secret.ts); both open connections the same way.
 */
import { connectPg, type PgConnectionFactory } from '../../../lambdas/shared/db-secret';

/** Connections from a Postgres URL; the description names the server and database, never the credentials. */
export function urlConnectionFactory(url: string): PgConnectionFactory {
  const parsed = new URL(url);
  const database = parsed.pathname.replace(/^\//, '') || 'postgres';
  return {
    description: `${parsed.protocol}//${parsed.hostname}:${parsed.port || '5432'}/${database}`,
    connect: () => connectPg({ connectionString: url }),
  };
}
