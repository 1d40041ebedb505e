/**
 * Logs and metrics of one CLI command: the same Powertools JSON lines as in AWS, written to the run log and,
 * as they happen, to stderr so a person sees them.
 */
import type { Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import {
  closeStream,
  createLogger,
  createMetrics,
  openRunLog,
  teeStream,
  type Logger,
  type Metrics,
} from '../run-log';

export interface CliTelemetry {
  readonly logger: Logger;
  readonly metrics: Metrics;
  /** Flushes the metrics (what the handler's middleware does in AWS) and closes the run log. */
  close(): Promise<void>;
}

export function openCliTelemetry(runLogFile: string, serviceName: string, stderr: Writable): CliTelemetry {
  const runLog = openRunLog(runLogFile);
  const destination = teeStream(runLog, stderr);
  const metrics = createMetrics({ serviceName, destination });
  return {
    logger: createLogger({ serviceName, destination }),
    metrics,
    async close() {
      metrics.publishStoredMetrics();
      // The tee forwards asynchronously: wait until it has handed everything to the run log.
      destination.end();
      await finished(destination);
      await closeStream(runLog);
    },
  };
}
