/**
 * The platform's shared names, one home each: the CDK, the Lambdas, the local runtime, the build script, the
 * bench and the tests import them from here instead of writing the strings again. Dependency-free, since it
 * is bundled into the Lambdas (which never import `lib/`).
 *
 * The landing zone's keys have their own home, ./landing-keys.ts.
 *
 * The Glue scripts (glue-scripts/deftunes_glue) and the dbt project (dbt_modeling) keep their own copies of
 * some of these names, in their own languages; test/contracts/platform-names.test.ts fails when one drifts.
 */

/**
 * The Redshift external schema (Spectrum) over the transform zone's Glue database, and dbt's source name
 * for it; locally a DuckDB schema of views over the Iceberg data files (lib/local/spectrum.ts).
 */
export const TRANSFORM_SCHEMA = 'deftunes_transform';

/** The schema of the serving models: the star schema and the BI views (dbt profiles' `schema`). */
export const SERVING_SCHEMA = 'deftunes_serving';

/**
 * The medallion zones, in data order. On AWS each is a bucket; locally each is a directory of the data
 * directory holding the same keys (lib/local/data-dir.ts).
 */
export const ZONES = { landing: 'landing', transform: 'transform', serving: 'serving' } as const;

/** The stages the quality gate checks, named after the zone whose data they check. */
export const QUALITY_STAGES = [ZONES.transform, ZONES.serving] as const;
export type QualityStage = (typeof QUALITY_STAGES)[number];

/** Transform-zone key prefix of the Iceberg warehouse (table data and metadata files). */
export const WAREHOUSE_PREFIX = 'warehouse';

/**
 * Folder of the Glue jobs' row counts (`--job_results_path`), which the quality gate reads:
 * `_job_results/<job>/<source>/ingest_on=D.json`. On AWS at the transform bucket's root; locally inside the
 * warehouse directory (`<data-dir>/transform/warehouse/_job_results`, where the local jobs write it).
 */
export const JOB_RESULTS_PREFIX = '_job_results';

/** Serving-side key prefix of the quality gate's result documents: `dq-results/run_date=D/<stage>.json`. */
export const QUALITY_RESULTS_PREFIX = 'dq-results';

/** Iceberg table of the rows the jobs could not type, shared by the jobs (partitioned by date and source). */
export const QUARANTINE_TABLE = 'quarantine';
/** The artist-enrichment job's Iceberg tables (docs/artist-enrichment.md, Transform). */
export const ENRICHMENT_TABLES = ['concerts', 'concert_windows', 'artist_stats'] as const;
/** The listening events job's Iceberg table (docs/listening-events.md, Transform). */
export const LISTENS_TABLE = 'listens';

/** Every Iceberg table of the transform zone (the tables of the transform schema), in creation order. */
export const TRANSFORM_TABLES = [
  'users',
  'sessions',
  'songs',
  ...ENRICHMENT_TABLES,
  LISTENS_TABLE,
  QUARANTINE_TABLE,
] as const;
export type TransformTable = (typeof TRANSFORM_TABLES)[number];
