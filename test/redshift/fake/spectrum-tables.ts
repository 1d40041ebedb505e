/**
 * The Spectrum stand-in of the Data API fake: in AWS `deftunes_transform` is an external schema over the
 * Glue catalog's Iceberg tables; here its tables are ordinary Postgres tables with the transform zone's
 * columns (lib/local/spectrum.ts TRANSFORM_COLUMNS, the same types), replaced wholesale with the rows a
 * test gives, the way a new Iceberg snapshot replaces what Spectrum reads.
 */
import {
  TRANSFORM_SCHEMA,
  TRANSFORM_TABLES,
  type TransformTable,
} from '../../../lambdas/shared/platform-names';
import { TRANSFORM_COLUMNS } from '../../../lib/local/spectrum';
import type { FakeRedshiftData } from './data-api-fake';

export type TransformRow = Readonly<Record<string, string | number | boolean | null>>;

/** TRANSFORM_COLUMNS' DuckDB type names that Postgres spells differently. */
const POSTGRES_TYPES: Readonly<Record<string, string>> = { DOUBLE: 'double precision' };

function quoteIdentifier(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

function literal(value: string | number | boolean | null): string {
  if (value === null) return 'null';
  if (typeof value === 'string') return `'${value.replace(/'/g, "''")}'`;
  return String(value);
}

/**
 * Creates (first time) and fills the transform tables in one transaction: every table gets exactly the
 * given rows (none when a table is missing from `rows`).
 */
export async function replaceTransformTables(
  fake: FakeRedshiftData,
  rows: Partial<Record<TransformTable, readonly TransformRow[]>>,
): Promise<void> {
  const statements = [`create schema if not exists ${TRANSFORM_SCHEMA}`];
  for (const table of TRANSFORM_TABLES) {
    const columns = TRANSFORM_COLUMNS[table];
    const relation = `${TRANSFORM_SCHEMA}.${quoteIdentifier(table)}`;
    statements.push(
      `create table if not exists ${relation} (${columns.map(([name, type]) => `${quoteIdentifier(name)} ${POSTGRES_TYPES[type] ?? type}`).join(', ')})`,
      `truncate ${relation}`,
    );
    const tableRows = rows[table] ?? [];
    if (tableRows.length > 0) {
      statements.push(
        `insert into ${relation} (${columns.map(([name]) => quoteIdentifier(name)).join(', ')}) values ` +
          tableRows
            .map((row) => `(${columns.map(([name]) => literal(row[name] ?? null)).join(', ')})`)
            .join(', '),
      );
    }
  }
  // One script is one implicit transaction (Postgres' simple query protocol): all of it or none.
  await fake.administer(statements.join(';\n'));
}
