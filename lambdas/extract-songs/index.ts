/**
 * Lambda `extract-songs`: event `{run_date}`, result `{entity: "songs", run_date, key, manifest_key,
 * records, rejected}`. The handler wires AWS adapters from the environment (S3, the database secret in
 * Secrets Manager); the work is {@link runExtractSongs}, which the local runner calls with a database URL.
 *
 * Environment: LANDING_BUCKET, SONGS_DB_SECRET_ID (name or ARN of a secret shaped like an RDS secret:
 * host, port, username, password, dbname), EARLIEST_RUN_DATE and RUN_DATE_TIME_ZONE (the run-date bounds), and
 * optionally SONGS_DB_FETCH_SIZE (5000), DB_MAX_ATTEMPTS (4).
 * TLS is always on and verified: set NODE_EXTRA_CA_CERTS=/var/runtime/ca-cert.pem for the RDS CA bundle.
 */
import { S3Client } from '@aws-sdk/client-s3';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import * as z from '../shared/zod';
import { bucketVar, intVar, readEnv } from '../shared/config';
import { secretsManagerConnectionFactory, type PgConnectionFactory } from '../shared/db-secret';
import type { ExtractResult } from '../shared/landing-manifest';
import { createLogger, createMetrics, type Logger, type Metrics } from '../shared/logging';
import { S3ObjectStore } from '../shared/s3-object-store';
import { checkEventRunDate, RUN_DATE_BOUNDS_ENV, runDateBoundsFromEnv } from '../shared/run-date';
import { runExtractSongs } from './extract-songs';

export { classifyPgFailure } from '../shared/pg-failures';
export {
  ExtractSongsEventSchema,
  readSongs,
  runExtractSongs,
  SELECT_SONGS,
  songRecordCheck,
} from './extract-songs';
export type { ExtractSongsDeps, ExtractSongsEvent } from './extract-songs';
export type { ExtractResult } from '../shared/landing-manifest';

export const ExtractSongsEnvSchema = z.object({
  LANDING_BUCKET: bucketVar,
  SONGS_DB_SECRET_ID: z
    .string({ error: 'must be the name or ARN of the songs database secret' })
    .check(z.minLength(1)),
  SONGS_DB_FETCH_SIZE: intVar(5000, 1, 100_000),
  DB_MAX_ATTEMPTS: intVar(4, 1, 20),
  ...RUN_DATE_BOUNDS_ENV,
});

interface Runtime {
  readonly env: z.infer<typeof ExtractSongsEnvSchema>;
  readonly store: S3ObjectStore;
  readonly connections: PgConnectionFactory;
  readonly logger: Logger;
  readonly metrics: Metrics;
}

let runtime: Runtime | undefined;

/** Built once per container, on the first invocation; the secret is cached with it. */
function getRuntime(): Runtime {
  if (!runtime) {
    const env = readEnv(ExtractSongsEnvSchema, 'extract-songs');
    runtime = {
      env,
      store: new S3ObjectStore({ client: new S3Client({}), bucket: env.LANDING_BUCKET }),
      connections: secretsManagerConnectionFactory(new SecretsManagerClient({}), env.SONGS_DB_SECRET_ID),
      logger: createLogger({ serviceName: 'extract-songs' }),
      metrics: createMetrics({ serviceName: 'extract-songs' }),
    };
  }
  return runtime;
}

export async function handler(event: unknown, context?: { awsRequestId?: string }): Promise<ExtractResult> {
  const { env, store, connections, logger, metrics } = getRuntime();
  if (context?.awsRequestId) logger.appendKeys({ request_id: context.awsRequestId });
  return runExtractSongs(checkEventRunDate(event, runDateBoundsFromEnv(env)), {
    store,
    connections,
    fetchSize: env.SONGS_DB_FETCH_SIZE,
    logger,
    metrics,
    retryPolicy: { maxAttempts: env.DB_MAX_ATTEMPTS },
  });
}
