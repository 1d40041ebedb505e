/**
 * The manifest of one extract (`landingManifestKey(source, runDate)`), written after the data and
 * quarantine objects are complete. Readers take an extract as complete only when its manifest exists and
 * the data object's SHA-256 matches; an extract without a manifest is in progress or failed.
 */
import * as z from './zod';
import { ISO_DATE_PATTERN } from './contracts';

const sha256 = z.string().check(z.regex(/^[0-9a-f]{64}$/, 'must be a hex SHA-256'));
const isoDate = z.string().check(z.regex(ISO_DATE_PATTERN, 'must be YYYY-MM-DD'));

export const LandedObjectSchema = z.object({
  /** Key relative to the landing zone. */
  key: z.string().check(z.minLength(1)),
  /** Lines in the (gunzipped) object. */
  records: z.number().check(z.int(), z.nonnegative()),
  /** Size of the stored (gzipped) object. */
  bytes: z.number().check(z.int(), z.nonnegative()),
  /** SHA-256 of the stored (gzipped) object. */
  sha256,
});

export const LandingManifestSchema = z.object({
  manifest_version: z.literal(1),
  entity: z.enum(['users', 'sessions', 'songs', 'concerts', 'artist_stats']),
  run_date: isoDate,
  /** The data object: valid records, gzipped JSON lines. Same as `key`, `records`, `bytes`, `sha256`. */
  key: z.string().check(z.minLength(1)),
  records: z.number().check(z.int(), z.nonnegative()),
  /** Records quarantined (failed validation or duplicates). */
  rejected: z.number().check(z.int(), z.nonnegative()),
  bytes: z.number().check(z.int(), z.nonnegative()),
  sha256,
  /** The quarantine object: `{reason, record, position}` gzipped JSON lines (always written, maybe empty). */
  quarantine: LandedObjectSchema,
  /** The API window the extract asked for; null for a full table extract. */
  window: z.nullable(z.object({ start_date: isoDate, end_date: isoDate })),
  /** Where the records came from: the API URL, or the database and table (never credentials). */
  source_url: z.string().check(z.minLength(1)),
  /** Attempts it took to read the source completely (1 when nothing had to be retried). */
  attempts: z.number().check(z.int(), z.positive()),
  extracted_at: z.iso.datetime(),
  content_type: z.literal('application/x-ndjson'),
  content_encoding: z.literal('gzip'),
  /** Enrichment extracts: requests sent to the API, retries included (against the daily budget). */
  requests: z.optional(z.number().check(z.int(), z.nonnegative())),
  /** Concerts: each date window read, after splitting (docs/artist-enrichment.md). */
  windows: z.optional(
    z.array(
      z.object({
        country_code: z.string(),
        start_date: isoDate,
        end_date: isoDate,
        total_elements: z.number().check(z.int(), z.nonnegative()),
        pages: z.number().check(z.int(), z.nonnegative()),
        records: z.number().check(z.int(), z.nonnegative()),
        /** Reads it took for the distinct events to match totalElements (1 when the listing held still). */
        reads: z.number().check(z.int(), z.positive()),
      }),
    ),
  ),
  /** Artist statistics: the run date's slice of the catalog's artists. */
  slice: z.optional(
    z.object({
      catalog_artists: z.number().check(z.int(), z.nonnegative()),
      modulus: z.number().check(z.int(), z.positive()),
      remainder: z.number().check(z.int(), z.nonnegative()),
      artists: z.number().check(z.int(), z.nonnegative()),
      found: z.number().check(z.int(), z.nonnegative()),
      not_found: z.number().check(z.int(), z.nonnegative()),
    }),
  ),
});

export type LandedObject = z.infer<typeof LandedObjectSchema>;
export type LandingManifest = z.infer<typeof LandingManifestSchema>;
/** The fields a source adds to its manifest. */
export type ManifestExtras = Pick<LandingManifest, 'requests' | 'windows' | 'slice'>;

/** What an extract handler returns to the state machine. */
export interface ExtractResult {
  readonly entity: LandingManifest['entity'];
  readonly run_date: string;
  /** The data object's key in the landing zone. */
  readonly key: string;
  readonly manifest_key: string;
  readonly records: number;
  readonly rejected: number;
}

export function extractResultOf(manifest: LandingManifest, manifestKey: string): ExtractResult {
  return {
    entity: manifest.entity,
    run_date: manifest.run_date,
    key: manifest.key,
    manifest_key: manifestKey,
    records: manifest.records,
    rejected: manifest.rejected,
  };
}
