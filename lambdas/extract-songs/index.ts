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
import { bucketVar, intVar } from '../shared/config';
import { secretsManagerConnectionFactory } from '../shared/db-secret';
import type { ExtractResult } from '../shared/landing-manifest';
import { runDateHandler } from '../shared/handler';
import { S3ObjectStore } from '../shared/s3-object-store';
import { RUN_DATE_BOUNDS_ENV } from '../shared/run-date';
import { runExtractSongs, type ExtractSongsDeps } from './extract-songs';

export const ExtractSongsEnvSchema = z.object({
  LANDING_BUCKET: bucketVar,
  SONGS_DB_SECRET_ID: z
    .string({ error: 'must be the name or ARN of the songs database secret' })
    .check(z.minLength(1)),
  SONGS_DB_FETCH_SIZE: intVar(5000, 1, 100_000),
  DB_MAX_ATTEMPTS: intVar(4, 1, 20),
  ...RUN_DATE_BOUNDS_ENV,
});

/** Built on the first invocation, once per container; the secret is cached with it. */
export const handler = runDateHandler({
  service: 'extract-songs',
  envSchema: ExtractSongsEnvSchema,
  deps: (env, { logger, metrics }): ExtractSongsDeps => ({
    store: new S3ObjectStore({ client: new S3Client({}), bucket: env.LANDING_BUCKET }),
    connections: secretsManagerConnectionFactory(new SecretsManagerClient({}), env.SONGS_DB_SECRET_ID),
    fetchSize: env.SONGS_DB_FETCH_SIZE,
    logger,
    metrics,
    retryPolicy: { maxAttempts: env.DB_MAX_ATTEMPTS },
  }),
  run: (event, deps): Promise<ExtractResult> => runExtractSongs(event, deps),
});
