/**
 * The local stand-ins the DailyPipeline's states run on, started once for a whole `deftunes run` and
 * closed at its end: the sources (API simulator, with the concerts and artist-statistics APIs, and songs
 * database, unless URLs are given), the landing and serving-side stores (directories), the DuckDB warehouse
 * and the run log.
 */
import type { Writable } from 'node:stream';
import { closeStream, createLogger, createMetrics, openRunLog, type Logger, type Metrics } from '../run-log';
import { DuckDbWarehouse } from '../adapters/duckdb-warehouse';
import { LocalObjectStore } from '../adapters/local-object-store';
import { localPaths, type LocalPaths } from '../data-dir';
import {
  ARTIST_STATS_API_KEY_ENV,
  CONCERTS_API_KEY_ENV,
  LOCAL_ENRICHMENT_RATE_LIMIT,
  localEnrichmentApi,
  type LocalEnrichmentApi,
} from '../enrichment-settings';
import { startSources, type RunningSources } from '../simulator';
import { WAREHOUSE_SEARCH_PATH } from '../spectrum';

export interface LocalServicesOptions {
  readonly dataDir: string;
  /** Use this DeFtunes API instead of starting the simulator. */
  readonly apiUrl?: string;
  /** Use this Postgres instead of starting the embedded songs database. */
  readonly songsDbUrl?: string;
  /** Use this concerts API instead of the simulator's; its key must be given too. */
  readonly concertsApiUrl?: string;
  /** Use this artist statistics API instead of the simulator's; its key must be given too. */
  readonly artistStatsApiUrl?: string;
  /**
   * The concerts API key (the CLI reads DEFTUNES_CONCERTS_API_KEY).
   * @default the simulator's key, when the simulator serves the concerts API
   */
  readonly concertsApiKey?: string;
  /**
   * The artist statistics API key (the CLI reads DEFTUNES_ARTIST_STATS_API_KEY).
   * @default the simulator's key, when the simulator serves the artist statistics API
   */
  readonly artistStatsApiKey?: string;
  /**
   * Requests per second each enrichment extract sends.
   * @default LOCAL_ENRICHMENT_PACE when the simulator is started (its limit raised to
   * LOCAL_ENRICHMENT_RATE_LIMIT), else cdk.json's requestsPerSecond
   */
  readonly enrichmentRequestsPerSecond?: number;
  /** Simulator settings, used only when it is started. */
  readonly scale?: string;
  readonly seed?: number;
  readonly apiFaultRate?: number;
  readonly badRecordRate?: number;
  /** Serve the tidy record shapes instead of the real API's (see WorldOptions.tidyShapes). @default false */
  readonly tidyShapes?: boolean;
  /** Fraction of enrichment requests the simulator fails. @default apiFaultRate */
  readonly enrichmentFaultRate?: number;
  /**
   * Longest wait for one enrichment answer before the request is retried (tests set it below the
   * simulator's slow answers to have timeouts).
   * @default the extracts' own (30 s)
   */
  readonly enrichmentTimeoutMs?: number;
}

export interface LocalEnrichment {
  readonly concerts: LocalEnrichmentApi;
  readonly artistStats: LocalEnrichmentApi;
  readonly timeoutMs?: number;
}

function localEnrichment(
  options: LocalServicesOptions,
  sources: RunningSources | undefined,
): LocalEnrichment {
  return {
    concerts: localEnrichmentApi(
      'concerts',
      { url: options.concertsApiUrl, key: options.concertsApiKey },
      () => ({ url: sources!.concertsApiUrl, key: sources!.enrichmentApiKey }),
      CONCERTS_API_KEY_ENV,
      options.enrichmentRequestsPerSecond,
    ),
    artistStats: localEnrichmentApi(
      'artist statistics',
      { url: options.artistStatsApiUrl, key: options.artistStatsApiKey },
      () => ({ url: sources!.artistStatsApiUrl, key: sources!.enrichmentApiKey }),
      ARTIST_STATS_API_KEY_ENV,
      options.enrichmentRequestsPerSecond,
    ),
    timeoutMs: options.enrichmentTimeoutMs,
  };
}

export class LocalServices {
  static async start(options: LocalServicesOptions): Promise<LocalServices> {
    const paths = localPaths(options.dataDir);
    const needsSources =
      !options.apiUrl || !options.songsDbUrl || !options.concertsApiUrl || !options.artistStatsApiUrl;
    const sources = needsSources
      ? await startSources({
          port: 0,
          songsPort: 0,
          scale: options.scale,
          seed: options.seed,
          faultRate: options.apiFaultRate,
          badRecordRate: options.badRecordRate,
          tidyShapes: options.tidyShapes,
          enrichmentFaultRate: options.enrichmentFaultRate,
          enrichmentRateLimit: LOCAL_ENRICHMENT_RATE_LIMIT,
        })
      : undefined;
    let warehouse: DuckDbWarehouse | undefined;
    let runLog: Writable | undefined;
    try {
      const enrichment = localEnrichment(options, sources);
      runLog = openRunLog(paths.runLog);
      warehouse = await DuckDbWarehouse.open(paths.warehouseDb, { searchPath: [...WAREHOUSE_SEARCH_PATH] });
      return new LocalServices(
        paths,
        options.apiUrl ?? sources!.apiUrl,
        options.songsDbUrl ?? sources!.songsDbUrl,
        enrichment,
        sources,
        warehouse,
        runLog,
      );
    } catch (error) {
      await warehouse?.close().catch(() => undefined);
      if (runLog) await closeStream(runLog).catch(() => undefined);
      await sources?.close();
      throw error;
    }
  }

  readonly landing: LocalObjectStore;
  readonly serving: LocalObjectStore;
  private readonly unflushedMetrics: Metrics[] = [];

  private constructor(
    readonly paths: LocalPaths,
    readonly apiUrl: string,
    readonly songsDbUrl: string,
    readonly enrichment: LocalEnrichment,
    readonly sources: RunningSources | undefined,
    readonly warehouse: DuckDbWarehouse,
    readonly runLog: Writable,
  ) {
    this.landing = new LocalObjectStore(paths.landing);
    this.serving = new LocalObjectStore(paths.serving);
  }

  /** A Powertools logger whose JSON lines go to the run log, as they would go to CloudWatch Logs. */
  logger(serviceName: string): Logger {
    return createLogger({ serviceName, destination: this.runLog });
  }

  /**
   * Powertools metrics whose EMF documents go to the run log. The core functions only add metrics (in AWS
   * the handler's middleware flushes them): {@link flushMetrics} does it here, after each Task.
   */
  metrics(serviceName: string): Metrics {
    const metrics = createMetrics({ serviceName, destination: this.runLog });
    this.unflushedMetrics.push(metrics);
    return metrics;
  }

  /** Writes what the metrics handed out since the last call hold, as one Lambda invocation's flush would. */
  flushMetrics(): void {
    for (const metrics of this.unflushedMetrics.splice(0)) metrics.publishStoredMetrics();
  }

  /** Appends one event of the runner itself to the run log. */
  log(event: Record<string, unknown>): void {
    this.runLog.write(
      `${JSON.stringify({ timestamp: new Date().toISOString(), service: 'local-runner', ...event })}\n`,
    );
  }

  async close(): Promise<void> {
    const results = await Promise.allSettled([
      this.warehouse.close(),
      this.sources?.close(),
      closeStream(this.runLog),
    ]);
    const failed = results.find((result) => result.status === 'rejected');
    if (failed) throw (failed as PromiseRejectedResult).reason;
  }
}
