/**
 * `deftunes query [--data-dir DIR] [--json] "SQL"`: runs SQL on the local warehouse (the DuckDB file that
 * stands in for Redshift), read-only for the database and for files (see DuckDbWarehouseOptions.sandbox).
 * Unqualified names resolve in deftunes_serving, then
 * deftunes_transform, then main, so `select * from dim_users` works.
 */
import { Command } from 'commander';
import { existsSync } from 'node:fs';
import { DuckDbWarehouse } from '../adapters/duckdb-warehouse';
import { SERVING_SCHEMA, TRANSFORM_SCHEMA } from '../../../lambdas/shared/platform-names';
import type { Row } from '../../../lambdas/shared/warehouse';
import { localPaths } from '../data-dir';
import { WAREHOUSE_SEARCH_PATH } from '../spectrum';

export interface QueryOptions {
  readonly dataDir?: string;
}

/** Runs one SQL text on the local warehouse file of the data directory. */
export async function runLocalQuery(sql: string, options: QueryOptions = {}): Promise<Row[]> {
  const paths = localPaths(options.dataDir);
  if (!existsSync(paths.warehouseDb)) {
    throw new Error(`no warehouse at ${paths.warehouseDb}: run the pipeline first (or pass --data-dir)`);
  }
  // The transform views read the Iceberg data files: that directory is the only one SQL may touch.
  const warehouse = await DuckDbWarehouse.open(paths.warehouseDb, {
    readOnly: true,
    searchPath: [...WAREHOUSE_SEARCH_PATH],
    sandbox: { readableDirectories: [paths.warehouse] },
  });
  try {
    return await warehouse.query(sql);
  } finally {
    await warehouse.close();
  }
}

function cell(value: unknown): string {
  if (value === null || value === undefined) return 'NULL';
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
}

/** Rows as an aligned text table with a header and a row count. */
export function formatTable(rows: readonly Row[]): string {
  if (rows.length === 0) return '(0 rows)\n';
  const columns = Object.keys(rows[0]);
  const cells = rows.map((row) => columns.map((column) => cell(row[column])));
  const widths = columns.map((column, index) =>
    Math.max(column.length, ...cells.map((line) => line[index].length)),
  );
  const line = (values: string[]): string =>
    values
      .map((value, index) => value.padEnd(widths[index]))
      .join(' | ')
      .trimEnd();
  return [
    line(columns),
    widths.map((width) => '-'.repeat(width)).join('-+-'),
    ...cells.map(line),
    `(${rows.length} row${rows.length === 1 ? '' : 's'})`,
    '',
  ].join('\n');
}

export function registerQueryCommand(program: Command): void {
  program
    .command('query')
    .description(
      `Run SQL on the local warehouse (read-only). Unqualified names resolve in ${SERVING_SCHEMA}, ` +
        `${TRANSFORM_SCHEMA}, then main: e.g. deftunes query "select * from sales_per_country_vw".`,
    )
    .argument('<sql>', 'the SQL to run')
    .option('--data-dir <dir>', 'local data directory (default: $DEFTUNES_DATA_DIR or ./data)')
    .option('--json', 'print the rows as a JSON array of objects on stdout')
    .action(async (sql: string, options: { dataDir?: string; json?: boolean }) => {
      const rows = await runLocalQuery(sql, { dataDir: options.dataDir });
      process.stdout.write(options.json ? `${JSON.stringify(rows, null, 2)}\n` : formatTable(rows));
    });
}
