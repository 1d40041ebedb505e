/**
 * Where the local stand-ins keep their state under one data directory (`--data-dir`, default `./data`).
 * Each zone directory plays the part of its S3 bucket, with the same keys.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { WAREHOUSE_PREFIX, ZONES } from '../../lambdas/shared/platform-names';

export interface LocalPaths {
  /** The data directory itself. */
  readonly root: string;
  /** Landing bucket: raw extracts, manifests, quarantine. */
  readonly landing: string;
  /** The transform zone's directory: the warehouse, the catalog and the local Spark's own files. */
  readonly transform: string;
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
  /** The run-lock table's stand-in: one lock file per run date being run. */
  readonly runLocks: string;
}

export const DEFAULT_DATA_DIR = 'data';

export function localPaths(dataDir: string = process.env.DEFTUNES_DATA_DIR ?? DEFAULT_DATA_DIR): LocalPaths {
  const root = path.resolve(dataDir);
  return {
    root,
    landing: path.join(root, ZONES.landing),
    transform: path.join(root, ZONES.transform),
    warehouse: path.join(root, ZONES.transform, WAREHOUSE_PREFIX),
    catalog: path.join(root, ZONES.transform, 'catalog.sqlite'),
    serving: path.join(root, ZONES.serving),
    warehouseDb: path.join(root, ZONES.serving, 'deftunes.duckdb'),
    runLog: path.join(root, 'run.log'),
    runLocks: path.join(root, 'run-locks'),
  };
}

/** Why a data directory cannot be used, from the error creating or probing it. */
function unusableReason(error: NodeJS.ErrnoException): string {
  switch (error.code) {
    case 'ENOTDIR':
      return 'a part of its path is a file';
    case 'EEXIST':
      return 'it is a file';
    case 'EACCES':
    case 'EPERM':
      return 'no permission to create or write it';
    case 'EROFS':
      return 'it is on a read-only file system';
    case 'ENOENT':
      return 'its parent cannot hold directories';
    default:
      return error.message;
  }
}

/**
 * Creates the data directory when missing and proves it writable (a probe file is written and removed), so
 * a command given an unusable `--data-dir` fails at once, naming it, instead of after starting the sources
 * and Spark. Returns the directory's absolute path.
 */
export function requireUsableDataDir(dataDir?: string): string {
  const { root } = localPaths(dataDir);
  const probe = path.join(root, `.deftunes-probe-${process.pid}`);
  try {
    if (fs.existsSync(root) && !fs.statSync(root).isDirectory())
      throw Object.assign(new Error('not a directory'), { code: 'EEXIST' });
    fs.mkdirSync(root, { recursive: true });
    fs.writeFileSync(probe, '');
    fs.rmSync(probe, { force: true });
  } catch (error: unknown) {
    throw new Error(
      `data directory ${root} is not usable: ${unusableReason(error as NodeJS.ErrnoException)} (--data-dir or DEFTUNES_DATA_DIR)`,
      { cause: error },
    );
  }
  return root;
}
