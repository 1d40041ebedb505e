/**
 * Object keys of the landing zone. The same keys are used in the landing bucket on S3 and under
 * `<data-dir>/landing/` locally; one deterministic key per source and run date, so a re-run replaces the
 * same objects instead of adding new ones.
 */
export type LandingSource = 'users' | 'sessions' | 'songs';
/** The external enrichment sources (docs/artist-enrichment.md), landed the same way. */
export type EnrichmentSource = 'concerts' | 'artist_stats';
export type AnyLandingSource = LandingSource | EnrichmentSource;

/** Landing key prefixes by origin, without a trailing slash: one extractor's role writes under each. */
export const LANDING_ORIGINS = {
  /** The DeFtunes API's sources (extract-api). */
  api: 'api',
  /** The songs catalog database's sources (extract-songs). */
  songsDb: 'db',
  /** The external enrichment APIs' sources (docs/artist-enrichment.md, Extraction). */
  enrichment: 'ext',
} as const;

/** Landing key prefix of each source, without a trailing slash. */
export const LANDING_PREFIXES: Readonly<Record<AnyLandingSource, string>> = {
  users: `${LANDING_ORIGINS.api}/users`,
  sessions: `${LANDING_ORIGINS.api}/sessions`,
  songs: `${LANDING_ORIGINS.songsDb}/songs`,
  concerts: `${LANDING_ORIGINS.enrichment}/concerts`,
  artist_stats: `${LANDING_ORIGINS.enrichment}/artist_stats`,
};

/** Key prefix of the records that failed validation, in front of the source's own prefix. */
export const LANDING_QUARANTINE_PREFIX = 'quarantine';

/**
 * Key prefixes of the listening events Firehose delivers, without a trailing slash (docs/listening-events.md,
 * Delivery): the events, and the records Firehose could not deliver.
 */
export const LISTENS_LANDING_PREFIXES = {
  data: 'stream/listens',
  errors: 'stream/listens_errors',
} as const;

/** `api/sessions/ingest_on=2020-02-01/` */
export function landingPrefix(source: AnyLandingSource, runDate: string): string {
  return `${LANDING_PREFIXES[source]}/ingest_on=${runDate}/`;
}

/** Valid records, gzipped JSON lines. */
export function landingDataKey(source: AnyLandingSource, runDate: string): string {
  return `${landingPrefix(source, runDate)}${source}.jsonl.gz`;
}

/** Written last: an extract without its manifest is incomplete and never read downstream. */
export function landingManifestKey(source: AnyLandingSource, runDate: string): string {
  return `${landingPrefix(source, runDate)}_manifest.json`;
}

/** Records that failed validation: gzipped JSON lines of `{reason, record}`. */
export function quarantineKey(source: AnyLandingSource, runDate: string): string {
  return `${LANDING_QUARANTINE_PREFIX}/${landingPrefix(source, runDate)}${source}.rejected.jsonl.gz`;
}
