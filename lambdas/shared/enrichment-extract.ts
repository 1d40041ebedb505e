/**
 * What the two enrichment extracts (concerts, artist statistics) share: their dependencies, the event,
 * and the landing of one run: the records go through the same writer as every source (data, quarantine,
 * manifest last); the source's requests are retried one by one inside the read (a whole-read retry would
 * spend the request budget again), so a failure that reaches the writer ends the extract, and the error
 * the source raised (a bad key, the budget, a request that kept failing) is what the caller gets.
 */
import { parseEvent } from './contracts';
import {
  parseEnrichmentSettings,
  type EnrichmentSettings,
  type EnrichmentSettingsInput,
} from './enrichment-settings';
import { reportExtractFailed, reportExtractLanded } from './extract-telemetry';
import type { FetchLike } from './http';
import { KeyedApiClient } from './keyed-api-client';
import type { EnrichmentSource } from './landing-keys';
import {
  extractResultOf,
  type ExtractResult,
  type LandingManifest,
  type ManifestExtras,
} from './landing-manifest';
import {
  ExtractFailedError,
  extractToLanding,
  type ExtractDeps,
  type RecordCheck,
  type SourceRecord,
} from './landing-writer';
import { RunDateEventSchema } from './run-date';

export const EnrichmentEventSchema = RunDateEventSchema;

/** The dependencies of an enrichment extract besides its source-specific ones. */
export interface EnrichmentExtractDeps extends ExtractDeps {
  /** Base URL of the API (`https://app.ticketmaster.com`, `https://ws.audioscrobbler.com`, the simulator). */
  readonly apiBaseUrl: string;
  /** The API key; sent only in requests, masked wherever a URL is printed. */
  readonly apiKey: string;
  /** Countries, horizon, pace and daily request budgets; fields left out take the contract's dev values. */
  readonly settings: EnrichmentSettingsInput;
  /** @default Node's global fetch */
  readonly fetch?: FetchLike;
  /** Longest wait for one answer. @default 30000 */
  readonly timeoutMs?: number;
}

export interface EnrichmentRun {
  readonly runDate: string;
  readonly settings: EnrichmentSettings;
  readonly client: KeyedApiClient;
}

/** Parses the event and the settings and builds the paced, budgeted client of one run. */
export function startEnrichmentRun(
  source: EnrichmentSource,
  event: unknown,
  deps: EnrichmentExtractDeps,
  budgetOf: (settings: EnrichmentSettings) => number,
): EnrichmentRun {
  const { run_date: runDate } = parseEvent(
    EnrichmentEventSchema,
    event,
    `extract-${source.replace('_', '-')}`,
  );
  if (typeof deps.apiKey !== 'string' || deps.apiKey.trim() === '') {
    throw new Error(`The ${source} extract needs an API key; none was given`);
  }
  const settings = parseEnrichmentSettings(deps.settings);
  const client = new KeyedApiClient({
    api: source,
    requestsPerSecond: settings.requestsPerSecond,
    budget: budgetOf(settings),
    fetch: deps.fetch,
    sleep: deps.sleep,
    random: deps.random,
    retryPolicy: deps.retryPolicy,
    timeoutMs: deps.timeoutMs,
    logger: deps.logger,
  });
  return { runDate, settings, client };
}

export interface LandEnrichmentOptions {
  readonly source: EnrichmentSource;
  readonly runDate: string;
  readonly deps: EnrichmentExtractDeps;
  readonly client: KeyedApiClient;
  /** The listing or lookup, key masked. */
  readonly sourceUrl: string;
  readonly window: LandingManifest['window'];
  /** Reads the whole source; the records come checked (a rejected one carries its reason). */
  readonly read: () => AsyncIterable<SourceRecord>;
  readonly manifestExtras: () => ManifestExtras;
}

const ACCEPT_ALL: RecordCheck = () => undefined;

export async function landEnrichmentExtract(options: LandEnrichmentOptions): Promise<ExtractResult> {
  const { source, runDate, deps, sourceUrl } = options;
  const started = Date.now();
  deps.logger?.info('extract started', { entity: source, run_date: runDate, source_url: sourceUrl });
  try {
    const { manifest, manifestKey } = await extractToLanding({
      store: deps.store,
      source,
      runDate,
      open: options.read,
      makeCheck: () => ACCEPT_ALL,
      // Each request was retried already: what reaches here is final.
      classify: () => ({ retryable: false }),
      sourceUrl,
      window: options.window,
      logger: deps.logger,
      now: deps.now,
      manifestExtras: () => ({ ...options.manifestExtras(), requests: options.client.requests }),
    });
    reportExtractLanded(deps, manifest, Date.now() - started);
    deps.logger?.info('requests sent', {
      entity: source,
      run_date: runDate,
      requests: options.client.requests,
    });
    return extractResultOf(manifest, manifestKey);
  } catch (error: unknown) {
    const reported = error instanceof ExtractFailedError ? (error.cause as Error) : error;
    reportExtractFailed(deps, { entity: source, run_date: runDate, source_url: sourceUrl }, reported);
    throw reported;
  }
}
