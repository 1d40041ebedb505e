/**
 * Lands one extract: streams source records into the data object (valid records) and the quarantine
 * object (rejected ones, with the reason), retries the whole read when the source fails transiently, and
 * writes the manifest last. Shared by the API and the database extractors.
 *
 * Ordering, which is what makes an extract safe to re-run and safe to read:
 * 1. the previous manifest is deleted, so from now on the extract counts as incomplete;
 * 2. data and quarantine are streamed to their deterministic keys (each object appears whole or not at
 *    all: S3 multipart / local rename); a source failure aborts both uploads and the read starts over
 *    from the first record with fresh state, so nothing from a broken attempt survives;
 * 3. the manifest, with counts and SHA-256 of what was stored, is written.
 * Gzip output is deterministic (no name, mtime 0, fixed level), so the same records give the same bytes.
 */
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { pipeline, Transform } from 'node:stream';
import { createGzip, type Gzip, type ZlibOptions } from 'node:zlib';
import type { Logger } from '@aws-lambda-powertools/logger';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import { landingDataKey, landingManifestKey, quarantineKey, type AnyLandingSource } from './landing-keys';
import type { LandedObject, LandingManifest, ManifestExtras } from './landing-manifest';
import type { ObjectStore } from './object-store';
import {
  DEFAULT_RETRY_POLICY,
  RetriesExhaustedError,
  withRetry,
  type AttemptFailure,
  type RetryPolicy,
  type Sleep,
} from './retry';
import { asError, messageOf } from './errors';

/** One record from a source, with its zero-based position in the source's order. */
export interface SourceRecord {
  readonly position: number;
  readonly value: unknown;
  /** Set when the source could not read the record (unparsable JSON): quarantined with this reason, unchecked. */
  readonly rejected?: string;
  /**
   * The record's JSON text as received, when the source vouches that it is one line any reader parses to
   * `value` (see JsonArrayElement.raw): a landed record is written as this text, else as JSON.stringify.
   */
  readonly raw?: string;
}

/** Decides a record's fate: undefined to land it, or the reason it is quarantined. */
export type RecordCheck = (value: unknown) => string | undefined;

/** One quarantine line. */
export interface QuarantineEntry {
  readonly reason: string;
  readonly record: unknown;
  readonly position: number;
}

const BATCH_BYTES = 64 * 1024;
const GZIP_LEVEL = 6;

/**
 * Streams JSON lines through gzip into `store` at `key`, hashing what is stored. `writeLine` applies
 * backpressure; `finish` ends the object; `abort` fails the upload so no object appears.
 */
export class GzipLinesUpload {
  private readonly gzip: Gzip;
  private readonly done: Promise<{ bytes: number; sha256: string }>;
  private pending: string[] = [];
  private pendingBytes = 0;
  private lines = 0;
  private failure: unknown;

  constructor(
    store: ObjectStore,
    readonly key: string,
  ) {
    // A deep write buffer lets compression (on libuv's thread pool) overlap with parsing.
    this.gzip = createGzip({ level: GZIP_LEVEL, writableHighWaterMark: 1024 * 1024 } as ZlibOptions);
    const hash = createHash('sha256');
    const tap = new Transform({
      transform(chunk: Buffer, _encoding, callback) {
        hash.update(chunk);
        callback(null, chunk);
      },
    });
    pipeline(this.gzip, tap, () => undefined);
    this.done = store
      // Stored as a .gz file (no Content-Encoding), so clients never decompress it behind the reader's back.
      .putStream(key, tap, { contentType: 'application/gzip' })
      .then(({ bytes }) => ({ bytes, sha256: hash.digest('hex') }));
    this.done.catch((error: unknown) => {
      this.failure = error;
    });
  }

  async writeLine(line: string): Promise<void> {
    this.pending.push(line);
    this.pendingBytes += line.length + 1;
    this.lines++;
    if (this.pendingBytes >= BATCH_BYTES) await this.flush();
  }

  async finish(): Promise<LandedObject> {
    await this.flush();
    this.gzip.end();
    const { bytes, sha256 } = await this.done;
    return { key: this.key, records: this.lines, bytes, sha256 };
  }

  /** Fails the upload with `error` and waits until the store has given up on the object. */
  async abort(error: Error): Promise<void> {
    this.gzip.destroy(error);
    await this.done.catch(() => undefined);
  }

  private async flush(): Promise<void> {
    if (this.failure !== undefined) throw this.failure;
    if (this.pending.length === 0) return;
    const chunk = this.pending.join('\n') + '\n';
    this.pending = [];
    this.pendingBytes = 0;
    if (!this.gzip.write(chunk)) {
      await Promise.race([
        once(this.gzip, 'drain'),
        this.done.then(() => {
          throw new Error(`The upload of ${this.key} ended before its stream did`);
        }),
      ]);
    }
  }
}

/** Raised for a failure while reading the source (as opposed to validating or storing). */
export class SourceReadError extends Error {
  constructor(readonly cause: unknown) {
    super(messageOf(cause), { cause });
    this.name = 'SourceReadError';
  }
}

export interface LandedRecords {
  readonly data: LandedObject;
  readonly quarantine: LandedObject;
}

/**
 * One attempt: reads `records` to the end, checking each, into the data and quarantine objects.
 * A failure of the source rejects with {@link SourceReadError} after both uploads were aborted.
 */
export async function landRecords(
  store: ObjectStore,
  source: AnyLandingSource,
  runDate: string,
  records: AsyncIterable<SourceRecord>,
  check: RecordCheck,
): Promise<LandedRecords> {
  const data = new GzipLinesUpload(store, landingDataKey(source, runDate));
  const quarantine = new GzipLinesUpload(store, quarantineKey(source, runDate));
  const iterator = records[Symbol.asyncIterator]();
  try {
    for (;;) {
      let next: IteratorResult<SourceRecord>;
      try {
        next = await iterator.next();
      } catch (error: unknown) {
        throw new SourceReadError(error);
      }
      if (next.done) break;
      const { value, position, rejected, raw } = next.value;
      const reason = rejected ?? check(value);
      if (reason === undefined) {
        await data.writeLine(raw ?? JSON.stringify(value));
      } else {
        const entry: QuarantineEntry = { reason, record: value, position };
        await quarantine.writeLine(JSON.stringify(entry));
      }
    }
    const [dataObject, quarantineObject] = await Promise.all([data.finish(), quarantine.finish()]);
    return { data: dataObject, quarantine: quarantineObject };
  } catch (error: unknown) {
    const reason = asError(error);
    await Promise.all([data.abort(reason), quarantine.abort(reason)]);
    await iterator.return?.().catch(() => undefined);
    throw error;
  }
}

/** What every extract function takes besides its source: the landing zone, telemetry, retry timing. */
export interface ExtractDeps {
  /** The landing zone. */
  readonly store: ObjectStore;
  readonly logger?: Logger;
  readonly metrics?: Metrics;
  /** @default setTimeout */
  readonly sleep?: Sleep;
  /** Jitter source in [0, 1). @default Math.random */
  readonly random?: () => number;
  /** @default DEFAULT_RETRY_POLICY */
  readonly retryPolicy?: Partial<RetryPolicy>;
  /** @default the system clock */
  readonly now?: () => Date;
}

export interface ExtractToLandingOptions {
  readonly store: ObjectStore;
  readonly source: AnyLandingSource;
  readonly runDate: string;
  /** Opens the source from its first record; called once per attempt. */
  readonly open: () => AsyncIterable<SourceRecord>;
  /** Makes the record check for one attempt (fresh duplicate-detection state each time). */
  readonly makeCheck: () => RecordCheck;
  /** Classifies a source failure (HTTP status, network error, database error). */
  readonly classify: (error: unknown) => AttemptFailure;
  /**
   * The status a failure carries, for the final error and the logs (an HTTP status, a SQLSTATE); the last
   * one seen is reported even when later attempts failed without one.
   */
  readonly statusOf?: (error: unknown) => string | undefined;
  /** Names the source in the manifest and in errors, without credentials. */
  readonly sourceUrl: string;
  readonly window: LandingManifest['window'];
  readonly retryPolicy?: RetryPolicy;
  readonly sleep?: Sleep;
  readonly random?: () => number;
  readonly logger?: Logger;
  readonly now?: () => Date;
  /** Fields the source adds to the manifest, asked for once the read succeeded (e.g. the concerts' windows). */
  readonly manifestExtras?: () => ManifestExtras;
}

export interface ExtractToLandingResult {
  readonly manifest: LandingManifest;
  readonly manifestKey: string;
}

/** The source still failed after the allowed attempts, or failed in a way no retry can fix. */
export class ExtractFailedError extends Error {
  constructor(
    message: string,
    readonly sourceUrl: string,
    readonly attempts: number,
    readonly lastStatus: string | undefined,
    cause: unknown,
  ) {
    super(message, { cause });
    this.name = 'ExtractFailedError';
  }
}

/** Runs the whole extract (see the module comment for the ordering) and returns its manifest. */
export async function extractToLanding(options: ExtractToLandingOptions): Promise<ExtractToLandingResult> {
  const { store, source, runDate, logger } = options;
  const manifestKey = landingManifestKey(source, runDate);
  await store.delete(manifestKey);

  let lastStatus: string | undefined;
  let lastFailure: AttemptFailure | undefined;
  const classify = (error: unknown): AttemptFailure => {
    if (!(error instanceof SourceReadError)) return { retryable: false };
    lastStatus = options.statusOf?.(error.cause) ?? lastStatus;
    lastFailure = options.classify(error.cause);
    return lastFailure;
  };

  let landed: LandedRecords;
  let attempts: number;
  try {
    ({ value: landed, attempts } = await withRetry(
      () => landRecords(store, source, runDate, options.open(), options.makeCheck()),
      classify,
      options.retryPolicy ?? DEFAULT_RETRY_POLICY,
      {
        sleep: options.sleep,
        random: options.random,
        onRetry: ({ attempt, delayMs, error }) =>
          logger?.warn('source attempt failed; retrying', {
            entity: source,
            run_date: runDate,
            source_url: options.sourceUrl,
            attempt,
            delay_ms: delayMs,
            status: options.statusOf?.((error as SourceReadError).cause),
            error: messageOf(error),
          }),
      },
    ));
  } catch (error: unknown) {
    if (!(error instanceof RetriesExhaustedError)) throw error;
    const last = error.lastError;
    if (!(last instanceof SourceReadError)) throw last; // storage or programming error: not the source's fault
    const statusText = lastStatus === undefined ? 'no status received' : `last status ${lastStatus}`;
    const what = !error.exhausted
      ? `failed on attempt ${error.attempts} with a non-retryable ${lastFailure?.kind ?? 'error'}`
      : `failed after ${error.attempts} attempt${error.attempts === 1 ? '' : 's'}`;
    throw new ExtractFailedError(
      `Extract of ${source} for ${runDate} from ${options.sourceUrl} ${what} (${statusText}): ${messageOf(last.cause)}`,
      options.sourceUrl,
      error.attempts,
      lastStatus,
      last.cause,
    );
  }

  const manifest: LandingManifest = {
    manifest_version: 1,
    entity: source,
    run_date: runDate,
    key: landed.data.key,
    records: landed.data.records,
    rejected: landed.quarantine.records,
    bytes: landed.data.bytes,
    sha256: landed.data.sha256,
    quarantine: landed.quarantine,
    window: options.window,
    source_url: options.sourceUrl,
    attempts,
    extracted_at: (options.now?.() ?? new Date()).toISOString(),
    content_type: 'application/x-ndjson',
    content_encoding: 'gzip',
    ...options.manifestExtras?.(),
  };
  await store.putObject(manifestKey, JSON.stringify(manifest, null, 2) + '\n', {
    contentType: 'application/json',
  });
  return { manifest, manifestKey };
}
