/**
 * The local stand-ins the DailyPipeline's states run on, started once for a whole `deftunes run` and
 * closed at its end: the sources (API simulator and songs database, unless URLs are given), the landing
 * and serving-side stores (directories), the DuckDB warehouse and the run log.
 */
import type { Writable } from 'node:stream';
import {
  closeStream,
  createLogger,
  createMetrics,
  openRunLog,
  type Logger,
  type Metrics,
} from '../../../lambdas/shared/logging';
import { DuckDbWarehouse } from '../../../lambdas/shared/duckdb-warehouse';
import { LocalObjectStore } from '../../../lambdas/shared/local-object-store';
import { localPaths, type LocalPaths } from '../data-dir';
import { startSources, type RunningSources } from '../simulator';

/** Schemas searched for unqualified names: serving first, as `deftunes query` does. */
export const WAREHOUSE_SEARCH_PATH = ['deftunes_serving', 'deftunes_transform', 'main'] as const;

export interface LocalServicesOptions {
  readonly dataDir: string;
  /** Use this DeFtunes API instead of starting the simulator. */
  readonly apiUrl?: string;
  /** Use this Postgres instead of starting the embedded songs database. */
  readonly songsDbUrl?: string;
  /** Simulator settings, used only when it is started. */
  readonly scale?: string;
  readonly seed?: number;
  readonly apiFaultRate?: number;
  readonly badRecordRate?: number;
}

export class LocalServices {
  static async start(options: LocalServicesOptions): Promise<LocalServices> {
    const paths = localPaths(options.dataDir);
    const needsSources = !options.apiUrl || !options.songsDbUrl;
    const sources = needsSources
      ? await startSources({
          port: 0,
          songsPort: 0,
          scale: options.scale,
          seed: options.seed,
          faultRate: options.apiFaultRate,
          badRecordRate: options.badRecordRate,
        })
      : undefined;
    let warehouse: DuckDbWarehouse | undefined;
    let runLog: Writable | undefined;
    try {
      runLog = openRunLog(paths.runLog);
      warehouse = await DuckDbWarehouse.open(paths.warehouseDb, { searchPath: [...WAREHOUSE_SEARCH_PATH] });
      return new LocalServices(
        paths,
        options.apiUrl ?? sources!.apiUrl,
        options.songsDbUrl ?? sources!.songsDbUrl,
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

  private constructor(
    readonly paths: LocalPaths,
    readonly apiUrl: string,
    readonly songsDbUrl: string,
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

  /** Powertools metrics whose EMF documents go to the run log. */
  metrics(serviceName: string): Metrics {
    return createMetrics({ serviceName, destination: this.runLog });
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
