/**
 * Lambda `extract-api`: event `{run_date, entity: "users" | "sessions"}`, result
 * `{entity, run_date, key, manifest_key, records, rejected}`. The handler only wires AWS adapters from the
 * environment; the work is {@link runExtractApi}, which the local runner calls with local adapters.
 *
 * Environment: LANDING_BUCKET, API_BASE_URL, EARLIEST_RUN_DATE and RUN_DATE_TIME_ZONE (the run-date
 * bounds), and optionally HTTP_MAX_ATTEMPTS (6),
 * HTTP_RESPONSE_TIMEOUT_MS (30000), HTTP_IDLE_TIMEOUT_MS (30000), RETRY_BASE_DELAY_MS (250),
 * RETRY_MAX_DELAY_MS (20000), API_MAX_RECORD_BYTES (1 MiB), API_MAX_RECORD_DEPTH (32),
 * API_MAX_STRING_BYTES (64 KiB), SESSIONS_LOOKBACK_DAYS (1); POWERTOOLS_* as Powertools reads them.
 */
import { S3Client } from '@aws-sdk/client-s3';
import * as z from '../shared/zod';
import { bucketVar, httpUrlVar, intVar } from '../shared/config';
import { runDateHandler } from '../shared/handler';
import { S3ObjectStore } from '../shared/s3-object-store';
import { RUN_DATE_BOUNDS_ENV } from '../shared/run-date';
import type { ExtractResult } from '../shared/landing-manifest';
import { DEFAULT_SESSIONS_LOOKBACK_DAYS, runExtractApi, type ExtractApiDeps } from './extract-api';

export const ExtractApiEnvSchema = z.object({
  LANDING_BUCKET: bucketVar,
  API_BASE_URL: httpUrlVar,
  ...RUN_DATE_BOUNDS_ENV,
  HTTP_MAX_ATTEMPTS: intVar(6, 1, 20),
  HTTP_RESPONSE_TIMEOUT_MS: intVar(30_000, 100, 900_000),
  HTTP_IDLE_TIMEOUT_MS: intVar(30_000, 100, 900_000),
  RETRY_BASE_DELAY_MS: intVar(250, 1, 60_000),
  RETRY_MAX_DELAY_MS: intVar(20_000, 1, 300_000),
  API_MAX_RECORD_BYTES: intVar(1024 * 1024, 1024, 64 * 1024 * 1024),
  API_MAX_RECORD_DEPTH: intVar(32, 2, 1000),
  API_MAX_STRING_BYTES: intVar(64 * 1024, 64, 64 * 1024 * 1024),
  SESSIONS_LOOKBACK_DAYS: intVar(DEFAULT_SESSIONS_LOOKBACK_DAYS, 0, 31),
});

/** Built on the first invocation, once per container (importing this module reads no environment). */
export const handler = runDateHandler({
  service: 'extract-api',
  envSchema: ExtractApiEnvSchema,
  deps: (env, { logger, metrics }): ExtractApiDeps => ({
    store: new S3ObjectStore({ client: new S3Client({}), bucket: env.LANDING_BUCKET }),
    apiBaseUrl: env.API_BASE_URL,
    logger,
    metrics,
    retryPolicy: {
      maxAttempts: env.HTTP_MAX_ATTEMPTS,
      baseDelayMs: env.RETRY_BASE_DELAY_MS,
      maxDelayMs: env.RETRY_MAX_DELAY_MS,
    },
    timeouts: { responseTimeoutMs: env.HTTP_RESPONSE_TIMEOUT_MS, idleTimeoutMs: env.HTTP_IDLE_TIMEOUT_MS },
    sessionsLookbackDays: env.SESSIONS_LOOKBACK_DAYS,
    recordLimits: {
      maxRecordBytes: env.API_MAX_RECORD_BYTES,
      maxDepth: env.API_MAX_RECORD_DEPTH,
      maxStringBytes: env.API_MAX_STRING_BYTES,
    },
  }),
  run: (event, deps): Promise<ExtractResult> => runExtractApi(event, deps),
});
