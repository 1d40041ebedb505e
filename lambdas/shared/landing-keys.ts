/**
 * Object keys of the landing zone. The same keys are used in the landing bucket on S3 and under
 * `<data-dir>/landing/` locally; one deterministic key per source and run date, so a re-run replaces the
 * same objects instead of adding new ones.
 */
export type LandingSource = 'users' | 'sessions' | 'songs';

const PREFIX: Record<LandingSource, string> = {
  users: 'api/users',
  sessions: 'api/sessions',
  songs: 'db/songs',
};

/** `api/sessions/ingest_on=2020-02-01/` */
export function landingPrefix(source: LandingSource, runDate: string): string {
  return `${PREFIX[source]}/ingest_on=${runDate}/`;
}

/** Valid records, gzipped JSON lines. */
export function landingDataKey(source: LandingSource, runDate: string): string {
  return `${landingPrefix(source, runDate)}${source}.jsonl.gz`;
}

/** Written last: an extract without its manifest is incomplete and never read downstream. */
export function landingManifestKey(source: LandingSource, runDate: string): string {
  return `${landingPrefix(source, runDate)}_manifest.json`;
}

/** Records that failed validation: gzipped JSON lines of `{reason, record}`. */
export function quarantineKey(source: LandingSource, runDate: string): string {
  return `quarantine/${landingPrefix(source, runDate)}${source}.rejected.jsonl.gz`;
}
