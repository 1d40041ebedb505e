/**
 * Object keys of the landing zone. The same keys are used in the landing bucket on S3 and under
 * `<data-dir>/landing/` locally; one deterministic key per source and run date, so a re-run replaces the
 * same objects instead of adding new ones.
 */
export type LandingSource = 'users' | 'sessions' | 'songs';
/** The external enrichment sources (docs/artist-enrichment.md), landed the same way. */
export type EnrichmentSource = 'concerts' | 'artist_stats';
export type AnyLandingSource = LandingSource | EnrichmentSource;

const PREFIX: Record<AnyLandingSource, string> = {
  users: 'api/users',
  sessions: 'api/sessions',
  songs: 'db/songs',
  concerts: 'ext/concerts',
  artist_stats: 'ext/artist_stats',
};

/** `api/sessions/ingest_on=2020-02-01/` */
export function landingPrefix(source: AnyLandingSource, runDate: string): string {
  return `${PREFIX[source]}/ingest_on=${runDate}/`;
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
  return `quarantine/${landingPrefix(source, runDate)}${source}.rejected.jsonl.gz`;
}
