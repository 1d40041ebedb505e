/**
 * The AWS wiring the two enrichment extract handlers share: environment (validated at the first
 * invocation), S3 landing store, the API key from Secrets Manager (cached per container), telemetry.
 */
import { S3Client } from '@aws-sdk/client-s3';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import * as z from './zod';
import { InvalidApiKeyError, secretsManagerApiKey, type ApiKeySource } from './api-key';
import { bucketVar, httpUrlVar, intVar, readEnv } from './config';
import type { EnrichmentExtractDeps } from './enrichment-extract';
import { enrichmentSettingsVar } from './enrichment-settings';
import type { Telemetry } from './handler';
import { checkEventRunDate, RUN_DATE_BOUNDS_ENV, runDateBoundsFromEnv } from './run-date';
import { S3ObjectStore } from './s3-object-store';

export interface EnrichmentHandlerOptions {
  /** `extract-concerts`: the service name of logs and metrics, and of configuration errors. */
  readonly component: string;
  /** The variable holding the API's base URL. */
  readonly urlVariable: string;
  /** The variable holding the name or ARN of the key's secret. */
  readonly keySecretVariable: string;
  /** Secrets Manager client factory. @default a client of the function's region */
  readonly secretsClient?: () => SecretsManagerClient;
  /** Further required variables (names of secrets), validated with the others before any secret is read. */
  readonly secretVariables?: readonly string[];
}

/** The environment of an enrichment handler: the API's two variables plus the common ones. */
export function enrichmentEnvSchema(
  urlVariable: string,
  keySecretVariable: string,
  secretVariables: readonly string[] = [],
) {
  const secretVar = z.string({ error: 'must be the name or ARN of a secret' }).check(z.minLength(1));
  return z.object({
    LANDING_BUCKET: bucketVar,
    [urlVariable]: httpUrlVar,
    [keySecretVariable]: z
      .string({ error: 'must be the name or ARN of the API key secret' })
      .check(z.minLength(1)),
    ...Object.fromEntries(secretVariables.map((name) => [name, secretVar])),
    ENRICHMENT_SETTINGS: enrichmentSettingsVar,
    ...RUN_DATE_BOUNDS_ENV,
    HTTP_MAX_ATTEMPTS: intVar(6, 1, 20),
    HTTP_RESPONSE_TIMEOUT_MS: intVar(30_000, 100, 900_000),
    RETRY_BASE_DELAY_MS: intVar(250, 1, 60_000),
    RETRY_MAX_DELAY_MS: intVar(20_000, 1, 300_000),
  });
}

export interface EnrichmentRuntime {
  readonly env: Record<string, unknown> & z.infer<ReturnType<typeof enrichmentEnvSchema>>;
  readonly store: S3ObjectStore;
  readonly apiKey: ApiKeySource;
  readonly secrets: SecretsManagerClient;
  readonly telemetry: Telemetry;
}

/** The container's enrichment wiring, built from the environment on the first invocation. */
export function enrichmentRuntime(
  options: EnrichmentHandlerOptions,
  telemetry: Telemetry,
): EnrichmentRuntime {
  const env: EnrichmentRuntime['env'] = readEnv(
    enrichmentEnvSchema(options.urlVariable, options.keySecretVariable, options.secretVariables),
    options.component,
  );
  const secrets = options.secretsClient?.() ?? new SecretsManagerClient({});
  return {
    env,
    store: new S3ObjectStore({ client: new S3Client({}), bucket: env.LANDING_BUCKET }),
    apiKey: secretsManagerApiKey(secrets, String(env[options.keySecretVariable])),
    secrets,
    telemetry,
  };
}

/** Checks the event's run date against the bounds and builds the run's dependencies (the key is read here). */
export async function prepareEnrichmentRun(
  event: unknown,
  runtime: EnrichmentRuntime,
  urlVariable: string,
): Promise<{ checkedEvent: ReturnType<typeof checkEventRunDate>; deps: EnrichmentExtractDeps }> {
  const { env, store, apiKey, telemetry } = runtime;
  const checkedEvent = checkEventRunDate(event, runDateBoundsFromEnv(env));
  const deps: EnrichmentExtractDeps = {
    store,
    apiBaseUrl: String(env[urlVariable]),
    apiKey: await apiKey.get(),
    settings: env.ENRICHMENT_SETTINGS,
    logger: telemetry.logger,
    metrics: telemetry.metrics,
    timeoutMs: env.HTTP_RESPONSE_TIMEOUT_MS,
    retryPolicy: {
      maxAttempts: env.HTTP_MAX_ATTEMPTS,
      baseDelayMs: env.RETRY_BASE_DELAY_MS,
      maxDelayMs: env.RETRY_MAX_DELAY_MS,
    },
  };
  return { checkedEvent, deps };
}

/**
 * Runs an enrichment extract; an `InvalidApiKeyError` drops the cached key, since it may have been rotated
 * since it was read: the next invocation reads the secret again.
 */
export async function withKeyInvalidation<Result>(apiKey: ApiKeySource, run: () => Promise<Result>) {
  try {
    return await run();
  } catch (error: unknown) {
    if (error instanceof InvalidApiKeyError) apiKey.invalidate();
    throw error;
  }
}
