/**
 * The artist enrichment's settings for local runs: cdk.json's block of the local environment (`dev`), with
 * one deliberate difference. The real APIs allow 5 requests per second per key and the deployed functions
 * pace themselves at cdk.json's `requestsPerSecond` (4); at that pace a local run at `small` would spend
 * minutes on hundreds to thousands of artist lookups. So when the runner starts the simulator itself, it
 * raises the simulator's limit to {@link LOCAL_ENRICHMENT_RATE_LIMIT} and the client's pace to
 * {@link LOCAL_ENRICHMENT_PACE} together (the same margin below the limit as in AWS). Against APIs given by
 * URL, cdk.json's pace applies unless one is asked for.
 */
import { enrichmentSettingsOf } from '../config';
import type { EnrichmentSettings } from '../../lambdas/shared/enrichment-settings';
import { LOCAL_ENVIRONMENT, localEnvironmentConfig } from './run-date-bounds';

/** Requests per second per key the locally started simulator accepts from the enrichment extracts. */
export const LOCAL_ENRICHMENT_RATE_LIMIT = 500;
/** The extracts' own pace against that simulator: 80 % of its limit, as 4 is of the real 5. */
export const LOCAL_ENRICHMENT_PACE = 400;

/** Environment variables holding the keys of APIs given by URL (never logged). */
export const CONCERTS_API_KEY_ENV = 'DEFTUNES_CONCERTS_API_KEY';
export const ARTIST_STATS_API_KEY_ENV = 'DEFTUNES_ARTIST_STATS_API_KEY';

/** Where one enrichment extract goes locally, with what key and settings. */
export interface LocalEnrichmentApi {
  readonly url: string;
  /** Never logged. */
  readonly key: string;
  /** cdk.json's dev settings, at the local pace when the API is the simulator's. */
  readonly settings: EnrichmentSettings;
}

/**
 * One enrichment API, for `deftunes run` and `deftunes extract`: the simulator's unless a URL is given (then
 * its key must be given too, from `keyEnv`). Against the simulator the runner raised the limit, so the pace
 * goes up with it; an API given by URL keeps cdk.json's unless `requestsPerSecond` is given.
 */
export function localEnrichmentApi(
  name: string,
  given: { url?: string; key?: string },
  simulated: () => { url: string; key: string },
  keyEnv: string,
  requestsPerSecond?: number,
): LocalEnrichmentApi {
  if (given.url === undefined) {
    const simulator = simulated();
    return {
      url: simulator.url,
      key: given.key ?? simulator.key,
      settings: localEnrichmentSettings(requestsPerSecond ?? LOCAL_ENRICHMENT_PACE),
    };
  }
  return {
    url: given.url,
    key: requireEnrichmentApiKey(name, given.url, given.key, keyEnv),
    settings: localEnrichmentSettings(requestsPerSecond),
  };
}

/** The key of an enrichment API given by URL; without one the command stops before anything runs. */
export function requireEnrichmentApiKey(
  name: string,
  url: string,
  key: string | undefined,
  keyEnv: string,
): string {
  if (!key) {
    throw new Error(
      `the ${name} API at ${url} needs its API key in the environment variable ${keyEnv} (it is never printed)`,
    );
  }
  return key;
}

/** cdk.json's enrichment settings of `environment`, paced at `requestsPerSecond` when one is given. */
export function localEnrichmentSettings(
  requestsPerSecond?: number,
  environment = LOCAL_ENVIRONMENT,
): EnrichmentSettings {
  const settings = enrichmentSettingsOf(localEnvironmentConfig(environment));
  return requestsPerSecond === undefined ? settings : { ...settings, requestsPerSecond };
}
