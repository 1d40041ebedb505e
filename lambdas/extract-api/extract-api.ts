/**
 * Extracts one entity of the DeFtunes API for one run date into the landing zone: streams the JSON array
 * body, validates each record with the contract schema, quarantines invalid and duplicate records, and
 * writes data, quarantine and manifest (see lambdas/shared/landing-writer.ts for the ordering).
 */
import * as z from '../shared/zod';
import { API_ENTITIES, describeIssues, parseEvent, type ApiEntity } from '../shared/contracts';
import {
  classifyHttpFailure,
  DEFAULT_HTTP_TIMEOUTS,
  httpStatusOf,
  streamJsonArray,
  type FetchLike,
  type HttpTimeouts,
  type JsonElementLimits,
} from '../shared/http';
import { CompactKeySet } from '../shared/key-set';
import { extractToLanding, type ExtractDeps, type RecordCheck } from '../shared/landing-writer';
import { reportedExtract } from '../shared/extract-telemetry';
import type { ExtractResult } from '../shared/landing-manifest';
import { DEFAULT_RETRY_POLICY } from '../shared/retry';
import { RunDateSchema, SNAPSHOT_EPOCH } from '../shared/run-date';

export const ExtractApiEventSchema = z.object({
  run_date: RunDateSchema,
  entity: z.enum(['users', 'sessions'], { error: 'entity must be "users" or "sessions"' }),
});
export type ExtractApiEvent = z.infer<typeof ExtractApiEventSchema>;

export interface ExtractApiDeps extends ExtractDeps {
  /** Base URL of the DeFtunes API, e.g. `https://api.example.com/v1` or the local simulator's URL. */
  readonly apiBaseUrl: string;
  /** @default Node's global fetch */
  readonly fetch?: FetchLike;
  /** @default DEFAULT_HTTP_TIMEOUTS */
  readonly timeouts?: Partial<HttpTimeouts>;
  /** Bounds of one record; a record beyond them is quarantined. @default DEFAULT_JSON_ELEMENT_LIMITS */
  readonly recordLimits?: Partial<JsonElementLimits>;
  /**
   * Days before the run date whose sessions the run extracts again, so sessions that reached the API after
   * their day was extracted still land (see {@link apiWindow}). @default DEFAULT_SESSIONS_LOOKBACK_DAYS
   */
  readonly sessionsLookbackDays?: number;
}

/** One day: a session that arrives after its day's run lands with the next day's run. */
export const DEFAULT_SESSIONS_LOOKBACK_DAYS = 1;

/** `date` (YYYY-MM-DD) moved by `days` calendar days. */
function addDays(date: string, days: number): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);
}

/**
 * Users: the daily snapshot, every user registered up to the run date. Sessions: the run date's and those
 * of the `lookbackDays` days before it, all landed under the run date's keys (one extract per run date, as
 * the landing contract has it). A session of D-1 that reached the API after D-1's run lands with D's; the
 * ones D-1's run already landed come again and the serving fact keeps one row per (session_id,
 * item_index): its incremental load deletes by unique key, so a row moves to the newer run date.
 */
export function apiWindow(
  entity: ApiEntity,
  runDate: string,
  lookbackDays: number = DEFAULT_SESSIONS_LOOKBACK_DAYS,
): { start_date: string; end_date: string } {
  if (entity === 'users') return { start_date: SNAPSHOT_EPOCH, end_date: runDate };
  if (!Number.isInteger(lookbackDays) || lookbackDays < 0) {
    throw new Error(`The sessions look-back must be a whole number of days >= 0; got ${lookbackDays}`);
  }
  return { start_date: addDays(runDate, -lookbackDays), end_date: runDate };
}

export function apiUrl(
  apiBaseUrl: string,
  entity: ApiEntity,
  window: { start_date: string; end_date: string },
): string {
  const base = apiBaseUrl.endsWith('/') ? apiBaseUrl : `${apiBaseUrl}/`;
  const url = new URL(entity, base);
  url.searchParams.set('start_date', window.start_date);
  url.searchParams.set('end_date', window.end_date);
  return url.toString();
}

const ID_FIELD: Record<ApiEntity, 'user_id' | 'session_id'> = { users: 'user_id', sessions: 'session_id' };

/**
 * The check of one extract attempt: the contract schema, then uniqueness of the record's id within the
 * extract (the first occurrence lands, later ones are quarantined).
 */
export function apiRecordCheck(entity: ApiEntity): RecordCheck {
  const schema = API_ENTITIES[entity];
  const idField = ID_FIELD[entity];
  const seen = new CompactKeySet(64 * 1024);
  return (value) => {
    const parsed = schema.safeParse(value);
    if (!parsed.success) return `invalid: ${describeIssues(parsed.error)}`;
    const id = (parsed.data as Record<typeof idField, string>)[idField];
    if (!seen.add(id)) return `duplicate: ${idField} ${id} appeared earlier in this extract`;
    return undefined;
  };
}

export async function runExtractApi(event: unknown, deps: ExtractApiDeps): Promise<ExtractResult> {
  const { run_date: runDate, entity } = parseEvent(ExtractApiEventSchema, event, 'extract-api');
  const window = apiWindow(entity, runDate, deps.sessionsLookbackDays);
  const url = apiUrl(deps.apiBaseUrl, entity, window);
  const timeouts = { ...DEFAULT_HTTP_TIMEOUTS, ...deps.timeouts };
  const logger = deps.logger;
  return reportedExtract(deps, { entity, runDate, sourceUrl: () => url }, () =>
    extractToLanding({
      store: deps.store,
      source: entity,
      runDate,
      open: () => streamJsonArray(url, { fetch: deps.fetch, timeouts, limits: deps.recordLimits }),
      makeCheck: () => apiRecordCheck(entity),
      classify: classifyHttpFailure,
      statusOf: httpStatusOf,
      sourceUrl: url,
      window,
      retryPolicy: { ...DEFAULT_RETRY_POLICY, ...deps.retryPolicy },
      sleep: deps.sleep,
      random: deps.random,
      logger,
      now: deps.now,
    }),
  );
}
