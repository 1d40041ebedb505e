/**
 * The gate's bound on the day's quarantine rate per source. Records are dropped in two places: extraction
 * quarantines records that break the API contract (counted in the landing manifest: `records` landed,
 * `rejected` quarantined) and the transform job quarantines rows it cannot type (its counts: `read`,
 * `written`, `quarantined`). The rate is the share of the day's records that did not survive both steps:
 * `1 - (1 - rejected / (records + rejected)) * (1 - quarantined / read)`. A product of survival shares,
 * because the two steps count different units (a session record at extraction, a session item after it).
 */
import * as z from '../shared/zod';
import { landingManifestKey, type LandingSource } from '../shared/landing-keys';
import { ObjectNotFoundError } from '../shared/object-not-found';
import type { ObjectStore } from '../shared/object-store';
import { JOB_RESULTS_PREFIX } from '../shared/platform-names';
import { describeThresholds, judge, type Severity } from './thresholds';
import type { RuleResult } from './result-document';

export const QUARANTINE_SOURCES: readonly LandingSource[] = ['users', 'sessions', 'songs'];

/** The counts the gate needs from an extraction manifest; other manifest fields are ignored. */
export const ExtractionCountsSchema = z.object({
  records: z.number().check(z.int(), z.nonnegative()),
  rejected: z.number().check(z.int(), z.nonnegative()),
});
export type ExtractionCounts = z.infer<typeof ExtractionCountsSchema>;

export const TransformCountsSchema = z.object({
  read: z.number().check(z.int(), z.nonnegative()),
  written: z.number().check(z.int(), z.nonnegative()),
  quarantined: z.number().check(z.int(), z.nonnegative()),
});
export type TransformCounts = z.infer<typeof TransformCountsSchema>;

/** Reads the transform job's counts for one source and date; `undefined` when the job wrote none. */
export type TransformCountsReader = (
  source: LandingSource,
  runDate: string,
) => Promise<TransformCounts | undefined>;

/** The transform job that loads each source (glue-scripts/deftunes_glue/jobs.py, JOB_SOURCES). */
export const TRANSFORM_JOB_OF: Readonly<Record<LandingSource, string>> = {
  users: 'transform_api',
  sessions: 'transform_api',
  songs: 'transform_songs',
};

/**
 * Where the transform job writes a source's counts: `_job_results/transform_api/sessions/ingest_on=D.json`
 * (glue-scripts/deftunes_glue/jobs.py, results_paths). `read` and `quarantined` count landing records.
 */
export function jobResultsKey(source: LandingSource, runDate: string, prefix = JOB_RESULTS_PREFIX): string {
  const folder = prefix.replace(/\/+$/, '');
  return `${folder ? `${folder}/` : ''}${TRANSFORM_JOB_OF[source]}/${source}/ingest_on=${runDate}.json`;
}

/** Reads the transform jobs' per-source counts from their results folder in `store`. */
export function transformCountsFromJobResults(
  store: ObjectStore,
  prefix = JOB_RESULTS_PREFIX,
): TransformCountsReader {
  return transformCountsFromStore(store, (source, runDate) => jobResultsKey(source, runDate, prefix));
}

/** A reader of counts written as a JSON object (`{read, written, quarantined, ...}`) at `keyFor(source, date)`. */
export function transformCountsFromStore(
  store: ObjectStore,
  keyFor: (source: LandingSource, runDate: string) => string,
): TransformCountsReader {
  return async (source, runDate) => {
    const key = keyFor(source, runDate);
    const body = await readIfPresent(store, key, 'transform counts');
    return body === undefined
      ? undefined
      : parseJsonObject(TransformCountsSchema, body, `transform counts ${key}`);
  };
}

export interface QuarantineThresholds {
  /** Warn when the day's quarantine rate of a source is above this percentage. @default 1 */
  readonly warnAbovePercent?: number;
  /** Fail when the day's quarantine rate of a source is above this percentage. @default 5 */
  readonly errorAbovePercent?: number;
}

export interface QuarantineRateInput {
  readonly runDate: string;
  readonly landingStore: ObjectStore;
  readonly transformCounts: TransformCountsReader;
  readonly thresholds?: QuarantineThresholds;
  /** @default all three sources */
  readonly sources?: readonly LandingSource[];
}

/** The share (0..1) of a day's records that were quarantined at extraction or at transform. */
export function quarantineShare(extraction: ExtractionCounts, transform: TransformCounts): number {
  const received = extraction.records + extraction.rejected;
  const extractionSurvival = received === 0 ? 1 : extraction.records / received;
  const transformSurvival =
    transform.read === 0 ? 1 : (transform.read - transform.quarantined) / transform.read;
  return 1 - extractionSurvival * transformSurvival;
}

/** One rule result per source: `quarantine_rate_<source>`. */
export async function checkQuarantineRates(input: QuarantineRateInput): Promise<RuleResult[]> {
  const warnIf = `> ${input.thresholds?.warnAbovePercent ?? 1}`;
  const errorIf = `> ${input.thresholds?.errorAbovePercent ?? 5}`;
  const severity: Severity = 'error';
  const results: RuleResult[] = [];
  for (const source of input.sources ?? QUARANTINE_SOURCES) {
    const started = Date.now();
    const base = {
      rule: `quarantine_rate_${source}`,
      kind: 'quarantine_rate' as const,
      table: `landing.${source}`,
      severity,
      threshold: describeThresholds({ severity, warnIf, errorIf }, 'quarantined percent'),
    };
    try {
      const extraction = await readExtractionCounts(input.landingStore, source, input.runDate);
      const transform = await input.transformCounts(source, input.runDate);
      if (!transform) {
        throw new Error(
          `no transform counts for ${source} on ${input.runDate}: the transform job did not report`,
        );
      }
      if (transform.quarantined > transform.read) {
        throw new Error(
          `transform counts for ${source} on ${input.runDate} quarantined ${transform.quarantined} of ${transform.read} rows read`,
        );
      }
      const percent = round(100 * quarantineShare(extraction, transform), 4);
      results.push({
        ...base,
        status: judge({ severity, warnIf, errorIf }, percent),
        failing_rows: extraction.rejected + transform.quarantined,
        observed: percent,
        sample_failing_keys: [
          {
            extraction_records: extraction.records,
            extraction_rejected: extraction.rejected,
            transform_read: transform.read,
            transform_written: transform.written,
            transform_quarantined: transform.quarantined,
          },
        ],
        elapsed_ms: Date.now() - started,
      });
    } catch (error: unknown) {
      results.push({
        ...base,
        status: 'failed',
        failing_rows: 0,
        observed: null,
        sample_failing_keys: [],
        error: error instanceof Error ? error.message : String(error),
        elapsed_ms: Date.now() - started,
      });
    }
  }
  return results;
}

/** The `records` and `rejected` of a source's landing manifest; throws naming the key when it is missing. */
export async function readExtractionCounts(
  store: ObjectStore,
  source: LandingSource,
  runDate: string,
): Promise<ExtractionCounts> {
  const key = landingManifestKey(source, runDate);
  const body = await readIfPresent(store, key, 'extraction manifest');
  if (body === undefined) {
    throw new Error(
      `extraction manifest ${key} not found: the ${source} extract of ${runDate} did not complete`,
    );
  }
  return parseJsonObject(ExtractionCountsSchema, body, `extraction manifest ${key}`);
}

/**
 * The object at `key`, or undefined when there is none. One GET (no HEAD first); any other failure (e.g.
 * S3's 403 for a missing key when the role may not list the bucket) is rethrown naming what and where.
 */
async function readIfPresent(store: ObjectStore, key: string, what: string): Promise<Buffer | undefined> {
  try {
    return await store.getObject(key);
  } catch (error: unknown) {
    if (error instanceof ObjectNotFoundError) return undefined;
    throw new Error(`cannot read ${what} ${key}: ${error instanceof Error ? error.message : String(error)}`, {
      cause: error,
    });
  }
}

function parseJsonObject<T>(schema: z.ZodMiniType<T>, body: Buffer, what: string): T {
  let json: unknown;
  try {
    json = JSON.parse(body.toString('utf8'));
  } catch (error: unknown) {
    throw new Error(`${what} is not JSON: ${error instanceof Error ? error.message : String(error)}`, {
      cause: error,
    });
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    throw new Error(
      `${what} is malformed: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
    );
  }
  return parsed.data;
}

function round(value: number, digits: number): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}
