/**
 * The data-quality gate on the local stand-ins: the DuckDB file for Redshift, directories for the landing
 * and serving buckets, the transform warehouse directory for the Glue jobs' counts, the duckdb serving plan
 * built by `npm run build`. Used by `deftunes quality` and by the local pipeline runner
 * (`CheckTransformQuality`, `CheckServingQuality`), so both run exactly what the Lambda runs.
 *
 * ```ts
 * const gate = await openLocalDataQuality({ dataDir, logger, metrics, warehouse });
 * try {
 *   const result = await runDataQuality({ run_date, stage: 'transform' }, gate.deps);
 * } finally {
 *   await gate.close();
 * }
 * ```
 */
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { localPaths } from './data-dir';
import { DuckDbWarehouse } from './adapters/duckdb-warehouse';
import { LocalObjectStore } from './adapters/local-object-store';
import { loadServingPlan, type ServingPlan } from '../../lambdas/shared/serving-plan';
import type { Warehouse } from '../../lambdas/shared/warehouse';
import { transformCountsFromJobResults } from '../../lambdas/data-quality/quarantine-rate';
import { JOB_RESULTS_PREFIX } from '../../lambdas/shared/platform-names';
import type {
  DataQualityDeps,
  DataQualityThresholds,
  QualityLogger,
  QualityMetrics,
} from '../../lambdas/data-quality/run-data-quality';

/** `dbt_modeling/plan/duckdb.json`, written by `npm run build`. */
export const LOCAL_PLAN_FILE = path.resolve(__dirname, '..', '..', 'dbt_modeling', 'plan', 'duckdb.json');

export interface LocalDataQualityOptions {
  /** @default $DEFTUNES_DATA_DIR, else ./data */
  readonly dataDir?: string;
  readonly logger: QualityLogger;
  readonly metrics: QualityMetrics;
  /**
   * An open warehouse on the data directory's DuckDB file (the local runner's); it stays open on close().
   * @default the data directory's DuckDB file, opened here and closed by close()
   */
  readonly warehouse?: Warehouse;
  /** @default the plan in {@link LOCAL_PLAN_FILE} */
  readonly plan?: ServingPlan;
  readonly thresholds?: DataQualityThresholds;
}

export interface LocalDataQuality {
  readonly deps: DataQualityDeps;
  /** Where result documents are written (`<data-dir>/serving`). */
  readonly resultsDir: string;
  close(): Promise<void>;
}

export function loadLocalPlan(file = LOCAL_PLAN_FILE): ServingPlan {
  if (!existsSync(file)) {
    throw new Error(
      `serving plan ${file} not found: run \`npm run build\` to compile the dbt project into it`,
    );
  }
  const plan = loadServingPlan(file);
  if (plan.target !== 'duckdb')
    throw new Error(`${file} is the ${plan.target} plan; the local gate runs the duckdb plan`);
  return plan;
}

export async function openLocalDataQuality(options: LocalDataQualityOptions): Promise<LocalDataQuality> {
  const paths = localPaths(options.dataDir);
  const plan = options.plan ?? loadLocalPlan();
  let warehouse = options.warehouse;
  let ownsWarehouse = false;
  if (!warehouse) {
    if (!existsSync(paths.warehouseDb)) {
      throw new Error(
        `no local warehouse at ${paths.warehouseDb}: run the pipeline (deftunes run) for a date first`,
      );
    }
    warehouse = await DuckDbWarehouse.open(paths.warehouseDb);
    ownsWarehouse = true;
  }
  const opened = warehouse;
  return {
    resultsDir: paths.serving,
    deps: {
      warehouse: opened,
      plan,
      landingStore: new LocalObjectStore(paths.landing),
      resultsStore: new LocalObjectStore(paths.serving),
      transformCounts: transformCountsFromJobResults(
        new LocalObjectStore(paths.warehouse),
        JOB_RESULTS_PREFIX,
      ),
      logger: options.logger,
      metrics: options.metrics,
      thresholds: options.thresholds,
      // One DuckDB connection serializes queries anyway.
      concurrency: 1,
    },
    close: async () => {
      if (ownsWarehouse) await opened.close();
    },
  };
}
