/**
 * The DeFtunes API contract as code (see docs/design.md, Data contracts). The simulator serves records that
 * satisfy these schemas and the extractors validate every record against them; a record that fails is
 * quarantined with the zod issues as its reason.
 *
 * Unknown fields are allowed (the API may add fields; landing keeps the raw record as received).
 * These are structural rules (presence, types, formats). Semantic rules that need other data (a song id
 * missing from the catalog, a volume drop) run later, at the data-quality gate.
 */
import * as z from './zod';

/** A Million Song Dataset track id: `TR` + 16 upper-case letters or digits. Joins `songs.track_id`. */
export const TRACK_ID_PATTERN = /^TR[A-Z0-9]{16}$/;
/** A Million Song Dataset song id: `SO` + 16 upper-case letters or digits. */
export const SONG_ID_PATTERN = /^SO[A-Z0-9]{16}$/;
/** ISO-8601 date, the form of `run_date` and of the API's `start_date`/`end_date`. */
export const ISO_DATE_PATTERN = /^\d{4}-\d{2}-\d{2}$/;

/** Currencies the store sells in. */
export const CURRENCIES = ['USD'] as const;
/** The store's price ceiling in USD; a price above it is corrupt, not expensive. */
export const MAX_PRICE_USD = 2;

/**
 * ISO-8601 date-time, with or without an offset, any fraction of a second. The real API serves times
 * without an offset and with microseconds (`2020-02-07T18:05:25.824461`): those are UTC wall-clock times,
 * as the Glue jobs read them (glue-scripts/README.md, Timestamps).
 */
const isoDateTime = z.iso.datetime({ offset: true, local: true });

export const SessionItemSchema = z.object({
  song_id: z.string().check(z.regex(TRACK_ID_PATTERN, 'must be a track id (TR + 16 characters)')),
  song_name: z.string(),
  artist_id: z.string().check(z.minLength(1)),
  artist_name: z.string(),
  price: z.number().check(z.positive(), z.lte(MAX_PRICE_USD)),
  currency: z.enum(CURRENCIES),
  liked: z.boolean(),
  liked_since: z.nullable(isoDateTime),
});

export const SessionRecordSchema = z.object({
  user_id: z.uuid(),
  session_id: z.uuid(),
  session_items: z.array(SessionItemSchema).check(z.minLength(1)),
  user_agent: z.string(),
  session_start_time: isoDateTime,
});

/** `[latitude, longitude, place name, ISO 3166-1 alpha-2 country code, IANA time zone]`, all strings. */
export const UserLocationSchema = z.tuple([
  z.string().check(z.regex(/^-?\d+(\.\d+)?$/, 'latitude must be a decimal number')),
  z.string().check(z.regex(/^-?\d+(\.\d+)?$/, 'longitude must be a decimal number')),
  z.string().check(z.minLength(1)),
  z.string().check(z.regex(/^[A-Z]{2}$/, 'country must be an ISO 3166-1 alpha-2 code')),
  z.string().check(z.minLength(1)),
]);

export const UserRecordSchema = z.object({
  user_id: z.uuid(),
  user_name: z.string().check(z.minLength(1)),
  user_lastname: z.string().check(z.minLength(1)),
  user_location: UserLocationSchema,
  user_since: isoDateTime,
});

/** A row of `deftunes.songs` as read from Postgres (numeric columns may arrive as null). */
export const SongRecordSchema = z.object({
  track_id: z.string().check(z.regex(TRACK_ID_PATTERN)),
  title: z.nullable(z.string()),
  song_id: z.string().check(z.regex(SONG_ID_PATTERN)),
  release: z.nullable(z.string()),
  artist_id: z.string().check(z.minLength(1)),
  artist_mbid: z.nullable(z.string()),
  artist_name: z.nullable(z.string()),
  duration: z.nullable(z.number()),
  artist_familiarity: z.nullable(z.number()),
  artist_hotttnesss: z.nullable(z.number()),
  year: z.nullable(z.number().check(z.int())),
  track_7digitalid: z.nullable(z.number().check(z.int())),
  shs_perf: z.nullable(z.number().check(z.int())),
  shs_work: z.nullable(z.number().check(z.int())),
});

export type SessionItem = z.infer<typeof SessionItemSchema>;
export type SessionRecord = z.infer<typeof SessionRecordSchema>;
export type UserRecord = z.infer<typeof UserRecordSchema>;
export type SongRecord = z.infer<typeof SongRecordSchema>;

/** The entities the API serves, and the schema of each. */
export const API_ENTITIES = {
  users: UserRecordSchema,
  sessions: SessionRecordSchema,
} as const;
export type ApiEntity = keyof typeof API_ENTITIES;

/** One line naming what is wrong with a record and where, for quarantine reasons and error messages. */
export function describeIssues(error: z.core.$ZodError): string {
  return error.issues
    .map((issue) => `${issue.path.length ? issue.path.join('.') : '(record)'}: ${issue.message}`)
    .join('; ');
}

/** The event of a step, parsed with its schema; else an error naming the step, the event and what is wrong. */
export function parseEvent<Schema extends z.ZodMiniType>(
  schema: Schema,
  event: unknown,
  component: string,
): z.infer<Schema> {
  const parsed = schema.safeParse(event);
  if (!parsed.success) {
    throw new Error(`Invalid ${component} event ${JSON.stringify(event)}: ${describeIssues(parsed.error)}`);
  }
  return parsed.data;
}
