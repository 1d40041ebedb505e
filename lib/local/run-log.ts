/**
 * Logs and metrics of the local runner and CLI: the Powertools JSON lines a Lambda prints for CloudWatch
 * (lambdas/shared/logging.ts), written to a `destination` stream instead, usually the run log. Powertools'
 * Logger exposes `printLog` for subclasses, and Metrics' `serializeMetrics` gives the EMF document that would
 * have been printed, so the lines are exactly what CloudWatch would get.
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
import { loggerOptions, metricsOptions, type TelemetryOptions } from '../../lambdas/shared/logging';

export type { Logger, Metrics } from '../../lambdas/shared/logging';

export interface RunLogTelemetryOptions extends TelemetryOptions {
  /** Where the JSON lines go: the run log, a tee of it and stderr, or a test's capture. */
  readonly destination: Writable;
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

/** A Powertools Logger writing to `options.destination`, children included. */
export function createLogger(options: RunLogTelemetryOptions): Logger {
  return new StreamLogger(options.destination, loggerOptions(options));
}

/** Powertools Metrics whose `publishStoredMetrics` writes the EMF document to `options.destination`. */
export function createMetrics(options: RunLogTelemetryOptions): Metrics {
  return new StreamMetrics(options.destination, metricsOptions(options));
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
