/** Helpers of the enrichment extraction tests: captured logs, landed objects and manifests. */
import { Writable } from 'node:stream';
import {
  landingDataKey,
  landingManifestKey,
  quarantineKey,
  type EnrichmentSource,
} from '../../lambdas/shared/landing-keys';
import { LandingManifestSchema, type LandingManifest } from '../../lambdas/shared/landing-manifest';
import { LocalObjectStore } from '../../lib/local/adapters/local-object-store';
import type { ObjectStore } from '../../lambdas/shared/object-store';
import { createLogger, type Logger } from '../../lib/local/run-log';
import { InvalidApiKeyError } from '../../lambdas/shared/api-key';
import { startSources, type EnrichmentFaultReport, type RunningSources } from '../../lib/local/simulator';
import { failureOf, readJsonLines, tempDir } from './helpers';

/** A logger whose JSON lines are kept in `lines`. */
export function capturingLogger(serviceName: string): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      lines.push(chunk.toString('utf8'));
      callback();
    },
  });
  return { logger: createLogger({ serviceName, destination, logLevel: 'DEBUG' }), lines };
}

export interface Landed<T> {
  readonly manifest: LandingManifest;
  readonly records: T[];
  readonly quarantine: { reason: string; record: unknown; position: number }[];
}

export async function landed<T>(
  store: ObjectStore,
  source: EnrichmentSource,
  runDate: string,
): Promise<Landed<T>> {
  const manifest = LandingManifestSchema.parse(
    JSON.parse((await store.getObject(landingManifestKey(source, runDate))).toString('utf8')),
  );
  return {
    manifest,
    records: (await readJsonLines(store, landingDataKey(source, runDate))) as T[],
    quarantine: (await readJsonLines(store, quarantineKey(source, runDate))) as Landed<T>['quarantine'],
  };
}

/** Whether the landing zone holds a manifest for the source and date. */
export async function hasManifest(
  store: ObjectStore,
  source: EnrichmentSource,
  runDate: string,
): Promise<boolean> {
  return store.getObject(landingManifestKey(source, runDate)).then(
    () => true,
    () => false,
  );
}

/** Fast retries for tests: the simulator's injected faults are counted in requests, not in time. */
export const FAST_RETRIES = { baseDelayMs: 5, maxDelayMs: 20, maxRetryAfterMs: 50, maxAttempts: 8 };

/** A simulator (with the enrichment APIs keyed `apiKey`, 50 requests per second) and a landing directory. */
export interface EnrichmentEnv {
  readonly sources: RunningSources;
  readonly store: LocalObjectStore;
  close(): Promise<void>;
}

export async function enrichmentEnv(
  apiKey: string,
  options: Parameters<typeof startSources>[0],
): Promise<EnrichmentEnv> {
  const sources = await startSources({ enrichmentApiKey: apiKey, enrichmentRateLimit: 50, ...options });
  const { dir, cleanup } = tempDir('deftunes-enrichment-');
  return {
    sources,
    store: new LocalObjectStore(dir),
    close: async () => {
      await sources.close();
      cleanup();
    },
  };
}

/** What the simulator says it did to the enrichment APIs' answers (faults, rate limits, shifted listings). */
export async function enrichmentFaults(env: EnrichmentEnv): Promise<EnrichmentFaultReport> {
  return (await (await fetch(`${env.sources.apiUrl}/_faults/enrichment`)).json()) as EnrichmentFaultReport;
}

/** A run with a key the API refuses, and how the refusal must read. */
export interface RefusedKeyCase {
  readonly source: EnrichmentSource;
  readonly runDate: string;
  /** The extract's service name in its log lines. */
  readonly service: string;
  readonly badKey: string;
  /** Runs the extract with `apiKey`, logging to `logger`. */
  readonly run: (apiKey: string, logger: Logger) => Promise<unknown>;
  /** The refusal as the error message words it, and the masked key it shows. */
  readonly refusal: RegExp;
  readonly masked: string;
}

/** The run fails with InvalidApiKeyError, the key masked and never logged, and lands no manifest. */
export async function expectKeyRefused(env: EnrichmentEnv, refused: RefusedKeyCase): Promise<void> {
  const { logger, lines } = capturingLogger(refused.service);
  const error = await failureOf(refused.run(refused.badKey, logger));
  expect(error).toBeInstanceOf(InvalidApiKeyError);
  expect(error.message).toMatch(refused.refusal);
  expect(error.message).toContain(refused.masked);
  expect(error.message).not.toContain(refused.badKey);
  expect(lines.join('')).not.toContain(refused.badKey);
  expect(await hasManifest(env.store, refused.source, refused.runDate)).toBe(false);
}
