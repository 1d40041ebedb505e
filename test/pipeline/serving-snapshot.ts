/** Reading the local warehouse of a pipeline run in the end-to-end tests. */
import { DuckDbWarehouse } from '../../lib/local/adapters/duckdb-warehouse';
import { localPaths } from '../../lib/local/data-dir';
import { SERVING_SCHEMA } from '../../lambdas/shared/platform-names';
import { WAREHOUSE_SEARCH_PATH } from '../../lib/local/spectrum';

/** Opens the data directory's DuckDB file (serving, then transform names), runs `body`, closes it. */
export async function withWarehouse<T>(
  dataDir: string,
  body: (warehouse: DuckDbWarehouse) => Promise<T>,
): Promise<T> {
  const warehouse = await DuckDbWarehouse.open(localPaths(dataDir).warehouseDb, {
    searchPath: [...WAREHOUSE_SEARCH_PATH],
  });
  try {
    return await body(warehouse);
  } finally {
    await warehouse.close();
  }
}

/** Every serving table and view, row by row, in a stable order. */
export async function servingSnapshot(dataDir: string): Promise<Record<string, string>> {
  return withWarehouse(dataDir, async (warehouse) => {
    const tables = await warehouse.query<{ table_name: string }>(
      `SELECT table_name FROM information_schema.tables WHERE table_schema = :schema ORDER BY 1`,
      { schema: SERVING_SCHEMA },
    );
    const snapshot: Record<string, string> = {};
    for (const { table_name } of tables) {
      const rows = await warehouse.query(`SELECT * FROM ${SERVING_SCHEMA}.${table_name} ORDER BY ALL`);
      snapshot[table_name] = JSON.stringify(rows);
    }
    return snapshot;
  });
}
