/**
 * Structured logs and metrics with Powertools for AWS Lambda: JSON log lines and CloudWatch EMF metric lines
 * on stdout, which Lambda ships to CloudWatch Logs. The local runner writes the same lines to its run log
 * instead (lib/local/run-log.ts subclasses these classes).
 */
import { Logger } from '@aws-lambda-powertools/logger';
import type { ConstructorOptions } from '@aws-lambda-powertools/logger/types';
import { Metrics } from '@aws-lambda-powertools/metrics';

export type { Logger } from '@aws-lambda-powertools/logger';
export type { Metrics } from '@aws-lambda-powertools/metrics';

/** The CloudWatch namespace of the platform's metrics (overridden by POWERTOOLS_METRICS_NAMESPACE). */
export const METRICS_NAMESPACE = 'DeFtunes';

export interface TelemetryOptions {
  /** The `service` of every log line and the `service` dimension of every metric, e.g. `extract-api`. */
  readonly serviceName: string;
  /** @default POWERTOOLS_LOG_LEVEL, else INFO */
  readonly logLevel?: ConstructorOptions['logLevel'];
}

/** The Logger's options for `options` (shared with the local run-log logger). */
export function loggerOptions(options: TelemetryOptions): ConstructorOptions {
  return { serviceName: options.serviceName, logLevel: options.logLevel };
}

/** The Metrics' options for `options`: the service and the platform's namespace (shared with the local ones). */
export function metricsOptions(options: TelemetryOptions): { serviceName: string; namespace: string } {
  return {
    serviceName: options.serviceName,
    namespace: process.env.POWERTOOLS_METRICS_NAMESPACE ?? METRICS_NAMESPACE,
  };
}

export function createLogger(options: TelemetryOptions): Logger {
  return new Logger(loggerOptions(options));
}

export function createMetrics(options: TelemetryOptions): Metrics {
  return new Metrics(metricsOptions(options));
}
