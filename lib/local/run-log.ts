/**
 * Structured logs and metrics with Powertools for AWS Lambda, wherever the handlers run.
 *
 * In AWS the Powertools defaults apply: JSON log lines and CloudWatch EMF metric lines on stdout, which
 * Lambda ships to CloudWatch Logs. Locally there is no CloudWatch, so the local runner passes a
 * `destination` stream (usually the run log, see {@link openRunLog}) and the same JSON lines are written
 * there instead of the console: Powertools' Logger exposes `printLog` for subclasses, and Metrics'
 * `serializeMetrics` gives the EMF document that would have been printed.
 *
 * ```ts
 * const runLog = openRunLog(localPaths(dataDir).runLog);
 * const logger = createLogger({ serviceName: 'extract-api', destination: runLog });
 * const metrics = createMetrics({ serviceName: 'extract-api', destination: runLog });
 * ```
 */
import { createWriteStream, mkdirSync } from 'node:fs';
import * as path from 'node:path';
import { PassThrough, type Writable } from 'node:stream';
import { Logger, type LogItem } from '@aws-lambda-powertools/logger';
import type { ConstructorOptions } from '@aws-lambda-powertools/logger/types';
import { Metrics } from '@aws-lambda-powertools/metrics';
import type { MetricsOptions } from '@aws-lambda-powertools/metrics/types';

export type { Logger } from '@aws-lambda-powertools/logger';
export type { Metrics } from '@aws-lambda-powertools/metrics';

/** The CloudWatch namespace of the platform's metrics (overridden by POWERTOOLS_METRICS_NAMESPACE). */
export const METRICS_NAMESPACE = 'DeFtunes';

export interface TelemetryOptions {
  /** The `service` of every log line and the `service` dimension of every metric, e.g. `extract-api`. */
  readonly serviceName: string;
  /**
   * Where JSON lines go. Set it locally (the run log); leave it unset in AWS.
   * @default standard output, as Powertools does in Lambda
   */
  readonly destination?: Writable;
  /** @default POWERTOOLS_LOG_LEVEL, else INFO */
  readonly logLevel?: ConstructorOptions['logLevel'];
}

/** A Powertools Logger that writes each JSON line to a stream instead of the console. */
class StreamLogger extends Logger {
  constructor(
    private readonly destination: Writable,
    options?: ConstructorOptions,
  ) {
    super(options);
  }

  protected override printLog(_logLevel: number, log: LogItem): void {
    log.prepareForPrint();
    this.destination.write(`${JSON.stringify(log.getAttributes(), this.getJsonReplacer())}\n`);
  }

  // Children (createChild) write to the same destination.
  protected override createLogger(options?: ConstructorOptions): Logger {
    return new StreamLogger(this.destination, options);
  }
}

/** Powertools Metrics that write each EMF document to a stream instead of the console. */
class StreamMetrics extends Metrics {
  constructor(
    private readonly destination: Writable,
    options: MetricsOptions,
  ) {
    super(options);
  }

  override publishStoredMetrics(): this {
    try {
      if (this.hasStoredMetrics()) this.destination.write(`${JSON.stringify(this.serializeMetrics())}\n`);
    } finally {
      this.clearMetrics();
      this.clearDimensions();
      this.clearMetadata();
    }
    return this;
  }
}

export function createLogger(options: TelemetryOptions): Logger {
  const loggerOptions: ConstructorOptions = { serviceName: options.serviceName, logLevel: options.logLevel };
  return options.destination
    ? new StreamLogger(options.destination, loggerOptions)
    : new Logger(loggerOptions);
}

export function createMetrics(options: TelemetryOptions): Metrics {
  const metricsOptions = {
    serviceName: options.serviceName,
    namespace: process.env.POWERTOOLS_METRICS_NAMESPACE ?? METRICS_NAMESPACE,
  };
  return options.destination
    ? new StreamMetrics(options.destination, metricsOptions)
    : new Metrics(metricsOptions);
}

/** Opens the run log for appending (creating its directory); each write is one JSON line. */
export function openRunLog(file: string): Writable {
  mkdirSync(path.dirname(file), { recursive: true });
  return createWriteStream(file, { flags: 'a' });
}

/** A stream that copies every write to each of `targets` (e.g. the run log and stderr). */
export function teeStream(...targets: Writable[]): Writable {
  const tee = new PassThrough();
  tee.on('data', (chunk: Buffer) => {
    for (const target of targets) target.write(chunk);
  });
  return tee;
}

/** Resolves when everything written to `stream` has been flushed (ends it). */
export function closeStream(stream: Writable): Promise<void> {
  return new Promise((resolve, reject) => {
    stream.once('error', reject);
    stream.end(() => resolve());
  });
}
