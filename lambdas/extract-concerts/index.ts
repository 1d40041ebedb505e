/**
 * Lambda `extract-concerts`: event `{run_date}`, result `{entity: "concerts", run_date, key, manifest_key,
 * records, rejected}`. The handler wires AWS adapters from the environment (S3, the API key's secret);
 * the work is {@link runExtractConcerts}, which the local runner calls with local adapters.
 *
 * Environment: LANDING_BUCKET, CONCERTS_API_URL, CONCERTS_API_KEY_SECRET_ID (name or ARN of a plain-string
 * secret), ENRICHMENT_SETTINGS (JSON of the enrichment settings), EARLIEST_RUN_DATE and RUN_DATE_TIME_ZONE
 * (the run-date bounds), and optionally HTTP_MAX_ATTEMPTS (6), HTTP_RESPONSE_TIMEOUT_MS (30000),
 * RETRY_BASE_DELAY_MS (250), RETRY_MAX_DELAY_MS (20000); POWERTOOLS_* as Powertools reads them.
 */
import { enrichmentRuntime, prepareEnrichmentRun, withKeyInvalidation } from '../shared/enrichment-handler';
import { pipelineHandler } from '../shared/handler';
import type { ExtractResult } from '../shared/landing-manifest';
import { runExtractConcerts } from './extract-concerts';

const OPTIONS = {
  component: 'extract-concerts',
  urlVariable: 'CONCERTS_API_URL',
  keySecretVariable: 'CONCERTS_API_KEY_SECRET_ID',
};

export const handler = pipelineHandler({
  service: OPTIONS.component,
  init: (telemetry) => enrichmentRuntime(OPTIONS, telemetry),
  handle: async (event, runtime): Promise<ExtractResult> => {
    const { checkedEvent, deps } = await prepareEnrichmentRun(event, runtime, OPTIONS.urlVariable);
    return withKeyInvalidation(runtime.apiKey, () => runExtractConcerts(checkedEvent, deps));
  },
});
