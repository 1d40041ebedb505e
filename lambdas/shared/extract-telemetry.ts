/**
 * The logs and metrics every extract emits, the same for the API and the database extracts. Metrics are only
 * added: the handler's middleware flushes them once per invocation (locally, the runner does).
 */
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { extractResultOf, type ExtractResult, type LandingManifest } from './landing-manifest';
import type { Logger, Metrics } from './logging';
import { asError } from './errors';

export interface ExtractTelemetry {
  readonly logger?: Logger;
  readonly metrics?: Metrics;
}

export function reportExtractLanded(
  telemetry: ExtractTelemetry,
  manifest: LandingManifest,
  durationMs: number,
): void {
  telemetry.logger?.info('extract landed', {
    entity: manifest.entity,
    run_date: manifest.run_date,
    key: manifest.key,
    records: manifest.records,
    rejected: manifest.rejected,
    bytes: manifest.bytes,
    attempts: manifest.attempts,
    duration_ms: durationMs,
  });
  const metrics = telemetry.metrics;
  if (!metrics) return;
  metrics.addDimension('entity', manifest.entity);
  metrics.addMetric('RecordsLanded', MetricUnit.Count, manifest.records);
  metrics.addMetric('RecordsQuarantined', MetricUnit.Count, manifest.rejected);
  metrics.addMetric('BytesLanded', MetricUnit.Bytes, manifest.bytes);
  metrics.addMetric('SourceAttempts', MetricUnit.Count, manifest.attempts);
  metrics.addMetric('ExtractDuration', MetricUnit.Milliseconds, durationMs);
}

export function reportExtractFailed(
  telemetry: ExtractTelemetry,
  context: { entity: string; run_date: string; source_url: string },
  error: unknown,
): void {
  telemetry.logger?.error('extract failed', {
    ...context,
    error: asError(error),
  });
  const metrics = telemetry.metrics;
  if (!metrics) return;
  metrics.addDimension('entity', context.entity);
  metrics.addMetric('ExtractFailures', MetricUnit.Count, 1);
}

/** What an extract reads, for its log lines. */
export interface ExtractSource {
  readonly entity: string;
  readonly runDate: string;
  /** Read when logged (a database's description is known once connected). */
  readonly sourceUrl: () => string;
}

/**
 * One extract between its telemetry: `extract started`, then `extract landed` and the metrics, or
 * `extract failed` and the error thrown on.
 */
export async function reportedExtract(
  telemetry: ExtractTelemetry,
  source: ExtractSource,
  land: () => Promise<{ manifest: LandingManifest; manifestKey: string }>,
): Promise<ExtractResult> {
  const context = () => ({ entity: source.entity, run_date: source.runDate, source_url: source.sourceUrl() });
  const started = Date.now();
  telemetry.logger?.info('extract started', context());
  try {
    const { manifest, manifestKey } = await land();
    reportExtractLanded(telemetry, manifest, Date.now() - started);
    return extractResultOf(manifest, manifestKey);
  } catch (error: unknown) {
    reportExtractFailed(telemetry, context(), error);
    throw error;
  }
}
