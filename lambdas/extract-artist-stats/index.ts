/**
 * Lambda `extract-artist-stats`: event `{run_date}`, result `{entity: "artist_stats", run_date, key,
 * manifest_key, records, rejected}`. The handler wires AWS adapters from the environment (S3, the API
 * key's secret, the songs database's secret); the work is {@link runExtractArtistStats}, which the local
 * runner calls with local adapters.
 *
 * Environment: LANDING_BUCKET, ARTIST_STATS_API_URL, ARTIST_STATS_API_KEY_SECRET_ID (name or ARN of a
 * plain-string secret), ENRICHMENT_SETTINGS (JSON of the enrichment settings), SONGS_DB_SECRET_ID (the
 * songs database secret, as extract-songs reads it), EARLIEST_RUN_DATE and RUN_DATE_TIME_ZONE, and
 * optionally HTTP_MAX_ATTEMPTS (6), HTTP_RESPONSE_TIMEOUT_MS (30000), RETRY_BASE_DELAY_MS (250),
 * RETRY_MAX_DELAY_MS (20000); POWERTOOLS_* as Powertools reads them. TLS to the database is always
 * verified: set NODE_EXTRA_CA_CERTS=/var/runtime/ca-cert.pem for the RDS CA bundle.
 */
import { secretsManagerConnectionFactory } from '../shared/db-secret';
import { enrichmentRuntime, prepareEnrichmentRun, withKeyInvalidation } from '../shared/enrichment-handler';
import { pipelineHandler } from '../shared/handler';
import type { ExtractResult } from '../shared/landing-manifest';
import { runExtractArtistStats } from './extract-artist-stats';

const OPTIONS = {
  component: 'extract-artist-stats',
  urlVariable: 'ARTIST_STATS_API_URL',
  keySecretVariable: 'ARTIST_STATS_API_KEY_SECRET_ID',
  secretVariables: ['SONGS_DB_SECRET_ID'],
};

export const handler = pipelineHandler({
  service: OPTIONS.component,
  init: (telemetry) => {
    const runtime = enrichmentRuntime(OPTIONS, telemetry);
    const connections = secretsManagerConnectionFactory(
      runtime.secrets,
      String(runtime.env.SONGS_DB_SECRET_ID),
    );
    return { ...runtime, connections };
  },
  handle: async (event, runtime): Promise<ExtractResult> => {
    const { checkedEvent, deps } = await prepareEnrichmentRun(event, runtime, OPTIONS.urlVariable);
    return withKeyInvalidation(runtime.apiKey, () =>
      runExtractArtistStats(checkedEvent, { ...deps, connections: runtime.connections }),
    );
  },
});
