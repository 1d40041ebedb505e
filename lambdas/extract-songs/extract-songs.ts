/**
 * Extracts the songs catalog (`deftunes.songs`, in full) into the landing zone. Rows are read through a
 * server-side cursor in batches of `fetchSize`, inside one read-only REPEATABLE READ transaction (one
 * consistent snapshot, and the cursor's portal lives as long as the transaction), so memory holds one
 * batch whatever the table size. Before the first row, the columns' declared types are checked against
 * the songs contract (`shared/songs-contract.json`): a type outside it fails the extract at once, naming
 * the column. Rows are converted to the contract's form (pg's int8 and numeric strings to numbers when
 * nothing is lost), validated, and landed like the API extracts (data, quarantine, manifest last).
 */
import type { Client } from 'pg';
import Cursor from 'pg-cursor';
import * as z from '../shared/zod';
import { describeIssues, parseEvent, SongRecordSchema } from '../shared/contracts';
import {
  checkSongColumnTypes,
  normalizeSongRow,
  songContractProblems,
  SONGS_CONTRACT,
  type DeclaredColumn,
} from '../shared/songs-contract';
import type { PgConnectionFactory } from '../shared/db-secret';
import {
  extractToLanding,
  type ExtractDeps,
  type RecordCheck,
  type SourceRecord,
} from '../shared/landing-writer';
import { reportedExtract } from '../shared/extract-telemetry';
import type { ExtractResult } from '../shared/landing-manifest';
import { classifyPgFailure, pgStatusOf } from '../shared/pg-failures';
import { DEFAULT_RETRY_POLICY } from '../shared/retry';
import { RunDateEventSchema } from '../shared/run-date';

export const ExtractSongsEventSchema = RunDateEventSchema;
export type ExtractSongsEvent = z.infer<typeof ExtractSongsEventSchema>;

export const SONGS_TABLE = SONGS_CONTRACT.table;
export const SONG_COLUMNS = SONGS_CONTRACT.columns.map((column) => column.name);
const [SONGS_SCHEMA_NAME, SONGS_TABLE_NAME] = SONGS_TABLE.split('.');

/** The declared type of each column (`udt_name` is the base type of a domain), read before the rows. */
export const SELECT_SONG_COLUMN_TYPES =
  'SELECT column_name AS name, udt_name AS type FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2';

/** Ordered by the key, so a re-run over the same table writes the same bytes and duplicates are adjacent. */
export const SELECT_SONGS = `SELECT ${SONG_COLUMNS.join(', ')} FROM ${SONGS_TABLE} ORDER BY track_id`;

export interface ExtractSongsDeps extends ExtractDeps {
  /** Opens connections to the songs database (Secrets Manager in AWS, a URL locally). */
  readonly connections: PgConnectionFactory;
  /** Rows per cursor read. @default 5000 */
  readonly fetchSize?: number;
}

/** Yields the rows of `deftunes.songs` in key order, `fetchSize` at a time from a server-side cursor. */
export async function* readSongs(
  connections: PgConnectionFactory,
  fetchSize: number,
): AsyncGenerator<SourceRecord> {
  const client: Client = await connections.connect();
  // A connection lost between two reads is reported on the client (and fails the pending read); without
  // a listener Node would treat it as an uncaught error.
  client.on('error', () => undefined);
  try {
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    const declared = await client.query<DeclaredColumn>(SELECT_SONG_COLUMN_TYPES, [
      SONGS_SCHEMA_NAME,
      SONGS_TABLE_NAME,
    ]);
    // An empty answer is a missing table (or one this user may not see): let the SELECT say which.
    if (declared.rows.length > 0) checkSongColumnTypes(declared.rows);
    const cursor = client.query(new Cursor<Record<string, unknown>>(SELECT_SONGS));
    let position = 0;
    for (;;) {
      const rows = await cursor.read(fetchSize);
      if (rows.length === 0) break;
      for (const row of rows) yield { position: position++, value: normalizeSongRow(row) };
    }
    await cursor.close();
    await client.query('COMMIT');
  } finally {
    // Ending the connection also rolls back a transaction left open by a failure.
    await client.end().catch(() => undefined);
  }
}

/**
 * Values the contract's conversion refused (named with the column), then the schema, then uniqueness of
 * `track_id` (rows come in key order, so comparing with the previous is enough).
 */
export function songRecordCheck(): RecordCheck {
  let previousTrackId: string | undefined;
  return (value) => {
    const problems = songContractProblems(value as Record<string, unknown>);
    if (problems.length > 0) {
      return `invalid: ${problems.join('; ')} (row track_id ${String((value as { track_id?: unknown }).track_id)})`;
    }
    const parsed = SongRecordSchema.safeParse(value);
    if (!parsed.success) return `invalid: ${describeIssues(parsed.error)}`;
    const trackId = parsed.data.track_id;
    if (trackId === previousTrackId) return `duplicate: track_id ${trackId} appeared earlier in this extract`;
    previousTrackId = trackId;
    return undefined;
  };
}

export async function runExtractSongs(event: unknown, deps: ExtractSongsDeps): Promise<ExtractResult> {
  const runDate = parseEvent(ExtractSongsEventSchema, event, 'extract-songs').run_date;
  const fetchSize = deps.fetchSize ?? 5000;
  const logger = deps.logger;
  const sourceUrl = () => `${deps.connections.description}#${SONGS_TABLE}`;
  return reportedExtract(deps, { entity: 'songs', runDate, sourceUrl }, () =>
    extractToLanding({
      store: deps.store,
      source: 'songs',
      runDate,
      open: () => readSongs(deps.connections, fetchSize),
      makeCheck: songRecordCheck,
      classify: classifyPgFailure,
      statusOf: pgStatusOf,
      get sourceUrl() {
        return sourceUrl();
      },
      window: null,
      retryPolicy: { ...DEFAULT_RETRY_POLICY, ...deps.retryPolicy },
      sleep: deps.sleep,
      random: deps.random,
      logger,
      now: deps.now,
    }),
  );
}
