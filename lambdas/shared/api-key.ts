/**
 * API keys of the enrichment sources: read from Secrets Manager (a plain-string secret), cached for the
 * life of the Lambda container, and kept out of every log line and error: URLs are printed with the key
 * masked (`apikey=***`, `api_key=***`).
 */
import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';

const KEY_PARAMETERS = /([?&](?:apikey|api_key|api-key|key)=)[^&#\s]*/gi;

/** `url` with the value of every key parameter replaced by `***`; other text unchanged. */
export function maskApiKeys(url: string): string {
  return url.replace(KEY_PARAMETERS, '$1***');
}

/** The source refused the key (HTTP 401, Last.fm error 10): configuration, never retried. */
export class InvalidApiKeyError extends Error {
  constructor(
    readonly api: string,
    /** `HTTP 401` or `error 10`. */
    readonly status: string,
    /** The request, key masked. */
    readonly url: string,
  ) {
    super(
      `The ${api} API refused the API key (${status}) for ${url}: check the key's secret or environment variable`,
    );
    this.name = 'InvalidApiKeyError';
  }
}

/** Reads an API key; `invalidate` drops the cached value (after the source refused it: it may have been rotated). */
export interface ApiKeySource {
  get(): Promise<string>;
  invalidate(): void;
}

/** An API key kept in Secrets Manager as a plain string; errors name the secret, never its value. */
export function secretsManagerApiKey(client: SecretsManagerClient, secretId: string): ApiKeySource {
  let cached: Promise<string> | undefined;
  const read = async (): Promise<string> => {
    const response = await client.send(new GetSecretValueCommand({ SecretId: secretId }));
    const key = response.SecretString?.trim();
    if (key === undefined) {
      throw new Error(`Secret ${secretId} has no SecretString (binary secrets are not supported)`);
    }
    if (key === '' || /[\s&=#]/.test(key)) {
      throw new Error(`Secret ${secretId} does not hold an API key (expected one plain string, no spaces)`);
    }
    return key;
  };
  return {
    get() {
      cached ??= read().catch((error: unknown) => {
        cached = undefined;
        throw error;
      });
      return cached;
    },
    invalidate() {
      cached = undefined;
    },
  };
}
