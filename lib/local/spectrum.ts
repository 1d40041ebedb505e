/**
 * The local stand-in for Redshift Spectrum: schema `deftunes_transform` in the DuckDB file, one view per
 * transform table over the parquet data files Iceberg lists as the table's current snapshot (the local
 * runner passes them; nothing here reads Iceberg metadata). Every view has the transform zone's typed
 * columns, also when a table has no data file yet, so the serving models always compile and run.
 */
import {
  SERVING_SCHEMA,
  TRANSFORM_SCHEMA,
  TRANSFORM_TABLES,
  type TransformTable,
} from '../../lambdas/shared/platform-names';
import type { Warehouse } from '../../lambdas/shared/warehouse';

/**
 * The local warehouse's schemas searched for unqualified names: the serving schema first, so
 * `select * from dim_users` works in `deftunes query` and in the local runner's connection.
 */
export const WAREHOUSE_SEARCH_PATH = [SERVING_SCHEMA, TRANSFORM_SCHEMA, 'main'] as const;

/** The transform tables' columns and DuckDB types (glue-scripts' Iceberg schemas). */
export const TRANSFORM_COLUMNS: Readonly<Record<TransformTable, ReadonlyArray<readonly [string, string]>>> = {
  users: [
    ['user_id', 'VARCHAR'],
    ['user_name', 'VARCHAR'],
    ['user_lastname', 'VARCHAR'],
    ['latitude', 'DOUBLE'],
    ['longitude', 'DOUBLE'],
    ['place_name', 'VARCHAR'],
    ['country_code', 'VARCHAR'],
    ['timezone', 'VARCHAR'],
    ['user_since', 'TIMESTAMP'],
    ['ingest_on', 'DATE'],
    ['processing_timestamp', 'TIMESTAMP'],
    ['source_from', 'VARCHAR'],
  ],
  sessions: [
    ['session_id', 'VARCHAR'],
    ['user_id', 'VARCHAR'],
    ['item_index', 'INTEGER'],
    ['song_id', 'VARCHAR'],
    ['song_name', 'VARCHAR'],
    ['artist_id', 'VARCHAR'],
    ['artist_name', 'VARCHAR'],
    ['price', 'DECIMAL(10,2)'],
    ['currency', 'VARCHAR'],
    ['liked', 'BOOLEAN'],
    ['liked_since', 'TIMESTAMP'],
    ['user_agent', 'VARCHAR'],
    ['session_start_time', 'TIMESTAMP'],
    ['ingest_on', 'DATE'],
    ['processing_timestamp', 'TIMESTAMP'],
    ['source_from', 'VARCHAR'],
  ],
  songs: [
    ['track_id', 'VARCHAR'],
    ['title', 'VARCHAR'],
    ['song_id', 'VARCHAR'],
    ['release', 'VARCHAR'],
    ['artist_id', 'VARCHAR'],
    ['artist_mbid', 'VARCHAR'],
    ['artist_name', 'VARCHAR'],
    ['duration', 'DOUBLE'],
    ['artist_familiarity', 'DOUBLE'],
    ['artist_hotttnesss', 'DOUBLE'],
    ['year', 'INTEGER'],
    ['track_7digitalid', 'INTEGER'],
    ['shs_perf', 'INTEGER'],
    ['shs_work', 'INTEGER'],
    ['ingest_on', 'DATE'],
    ['processing_timestamp', 'TIMESTAMP'],
    ['source_from', 'VARCHAR'],
  ],
  concerts: [
    ['event_id', 'VARCHAR'],
    ['event_name', 'VARCHAR'],
    ['event_date', 'DATE'],
    ['event_local_time', 'VARCHAR'],
    ['venue_id', 'VARCHAR'],
    ['venue_name', 'VARCHAR'],
    ['venue_city', 'VARCHAR'],
    ['venue_country_code', 'VARCHAR'],
    ['attraction_id', 'VARCHAR'],
    ['attraction_name', 'VARCHAR'],
    ['attraction_mbid', 'VARCHAR'],
    ['attraction_rank', 'INTEGER'],
    ['ingest_on', 'DATE'],
    ['processing_timestamp', 'TIMESTAMP'],
    ['source_from', 'VARCHAR'],
  ],
  concert_windows: [
    ['country_code', 'VARCHAR'],
    ['start_date', 'DATE'],
    ['end_date', 'DATE'],
    ['total_elements', 'INTEGER'],
    ['pages', 'INTEGER'],
    ['records', 'INTEGER'],
    ['ingest_on', 'DATE'],
  ],
  artist_stats: [
    ['artist_id', 'VARCHAR'],
    ['lookup', 'VARCHAR'],
    ['found', 'BOOLEAN'],
    ['stats_name', 'VARCHAR'],
    ['stats_mbid', 'VARCHAR'],
    ['listeners', 'BIGINT'],
    ['playcount', 'BIGINT'],
    ['top_tag', 'VARCHAR'],
    ['ingest_on', 'DATE'],
    ['processing_timestamp', 'TIMESTAMP'],
    ['source_from', 'VARCHAR'],
  ],
  // Partitioned by listen_date, not ingest_on (docs/listening-events.md).
  listens: [
    ['event_id', 'VARCHAR'],
    ['user_id', 'VARCHAR'],
    ['track_id', 'VARCHAR'],
    ['listened_at', 'TIMESTAMP'],
    ['listen_date', 'DATE'],
    ['listen_hour', 'INTEGER'],
    ['ms_played', 'BIGINT'],
    ['device', 'VARCHAR'],
    ['arrival_hour', 'TIMESTAMP'],
    ['arrived_late', 'BOOLEAN'],
    ['processing_timestamp', 'TIMESTAMP'],
    ['source_from', 'VARCHAR'],
  ],
  // Read by the transform-stage rule on page completeness (events quarantined count as landed).
  quarantine: [
    ['source', 'VARCHAR'],
    ['ingest_on', 'DATE'],
    ['reason', 'VARCHAR'],
    ['raw_record', 'VARCHAR'],
    ['source_from', 'VARCHAR'],
    ['processing_timestamp', 'TIMESTAMP'],
  ],
};

/** Data files (absolute paths) of each table's current Iceberg snapshot; a missing table has none. */
export type TransformDataFiles = Partial<Record<TransformTable, readonly string[]>>;

function quoteIdentifier(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

function quoteLiteral(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

/**
 * The column as the view exposes it. Spark writes timestamps as UTC instants (DuckDB reads them as
 * TIMESTAMP WITH TIME ZONE); they become UTC wall-clock TIMESTAMPs, like Spectrum shows them, whatever the
 * process's time zone.
 */
function columnExpression(
  column: string,
  expectedType: string,
  actualType: string | undefined,
  table: string,
): string {
  if (actualType === undefined)
    throw new Error(`${TRANSFORM_SCHEMA}.${table}: the data files have no column ${column}`);
  const source = quoteIdentifier(column);
  if (expectedType === 'TIMESTAMP' && actualType.startsWith('TIMESTAMP WITH TIME ZONE')) {
    return `timezone('UTC', ${source}) AS ${source}`;
  }
  return `CAST(${source} AS ${expectedType}) AS ${source}`;
}

/** The view's SELECT: typed columns over the files, or typed and empty when there are none. */
async function viewSelect(
  warehouse: Pick<Warehouse, 'query'>,
  table: TransformTable,
  files: readonly string[],
): Promise<string> {
  const columns = TRANSFORM_COLUMNS[table];
  if (files.length === 0) {
    const typedNulls = columns
      .map(([name, type]) => `CAST(NULL AS ${type}) AS ${quoteIdentifier(name)}`)
      .join(', ');
    return `SELECT ${typedNulls} WHERE false`;
  }
  const reader = `read_parquet([${files.map(quoteLiteral).join(', ')}], union_by_name = true)`;
  const described = await warehouse.query<{ column_name: string; column_type: string }>(
    `DESCRIBE SELECT * FROM ${reader}`,
  );
  const actualTypes = new Map(described.map((row) => [row.column_name, row.column_type]));
  const projection = columns
    .map(([name, type]) => columnExpression(name, type, actualTypes.get(name), table))
    .join(', ');
  return `SELECT ${projection} FROM ${reader}`;
}

/**
 * Creates or replaces schema `deftunes_transform` and its views over the given data files, in one
 * transaction (readers see the old views or the new ones, never a mix). Tables not in `files` get typed
 * empty views.
 */
export async function createTransformViews(
  warehouse: Pick<Warehouse, 'query' | 'transaction'>,
  files: TransformDataFiles,
): Promise<void> {
  const statements = [
    { sql: `CREATE SCHEMA IF NOT EXISTS ${TRANSFORM_SCHEMA}`, label: `schema ${TRANSFORM_SCHEMA}` },
  ];
  for (const table of TRANSFORM_TABLES) {
    const select = await viewSelect(warehouse, table, files[table] ?? []);
    statements.push({
      sql: `CREATE OR REPLACE VIEW ${TRANSFORM_SCHEMA}.${quoteIdentifier(table)} AS ${select}`,
      label: `view ${TRANSFORM_SCHEMA}.${table}`,
    });
  }
  await warehouse.transaction(statements);
}
