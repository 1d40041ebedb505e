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
import { startSources, type RunningSources } from '../../lib/local/simulator';
import { readJsonLines, tempDir } from './helpers';

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
