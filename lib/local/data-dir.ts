/**
 * Where the local stand-ins keep their state under one data directory (`--data-dir`, default `./data`).
 * Each zone directory plays the part of its S3 bucket, with the same keys.
 */
import * as path from 'node:path';

export interface LocalPaths {
  /** The data directory itself. */
  readonly root: string;
  /** Landing bucket: raw extracts, manifests, quarantine. */
  readonly landing: string;
  /** Transform bucket: the Iceberg warehouse (table data and metadata files). */
  readonly warehouse: string;
  /** The SQLite file of the Iceberg JDBC catalog, the local Glue Data Catalog. */
  readonly catalog: string;
  /** Serving-side bucket: data-quality result documents, dashboard. */
  readonly serving: string;
  /** The DuckDB file that stands in for Redshift Serverless. */
  readonly warehouseDb: string;
  /** The run log: one JSON line per event, the local stand-in for CloudWatch Logs and SNS. */
  readonly runLog: string;
}

export const DEFAULT_DATA_DIR = 'data';

export function localPaths(dataDir: string = process.env.DEFTUNES_DATA_DIR ?? DEFAULT_DATA_DIR): LocalPaths {
  const root = path.resolve(dataDir);
  return {
    root,
    landing: path.join(root, 'landing'),
    warehouse: path.join(root, 'transform', 'warehouse'),
    catalog: path.join(root, 'transform', 'catalog.sqlite'),
    serving: path.join(root, 'serving'),
    warehouseDb: path.join(root, 'serving', 'deftunes.duckdb'),
    runLog: path.join(root, 'run.log'),
  };
}
