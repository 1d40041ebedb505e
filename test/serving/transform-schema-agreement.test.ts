/**
 * The transform tables' columns are written down three times, for three engines: the Glue jobs' Iceberg
 * schemas (glue-scripts/deftunes_glue/schemas.py), the local Spectrum views (lib/local/spectrum.ts) and the
 * dbt sources (dbt_modeling/models/sources.yml). This test fails as soon as one of them drifts.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { parse } from 'yaml';
import { TRANSFORM_COLUMNS } from '../../lib/local/spectrum';
import { TRANSFORM_SCHEMA, TRANSFORM_TABLES } from '../../lambdas/shared/platform-names';

const ROOT = path.resolve(__dirname, '..', '..');

/** Spark's type names as the DuckDB types the Spectrum views declare. */
const DUCKDB_TYPE_OF_SPARK: Record<string, string> = {
  string: 'VARCHAR',
  double: 'DOUBLE',
  int: 'INTEGER',
  bigint: 'BIGINT',
  boolean: 'BOOLEAN',
  date: 'DATE',
  timestamp_ntz: 'TIMESTAMP',
  'decimal(10,2)': 'DECIMAL(10,2)',
};

function glueSchemas(): Record<string, [string, string][]> {
  const script =
    'import json\n' +
    'from deftunes_glue.schemas import TABLE_SCHEMAS\n' +
    'print(json.dumps({t: [[f.name, f.dataType.simpleString()] for f in s.fields] for t, s in TABLE_SCHEMAS.items()}))';
  const output = execFileSync(path.join(ROOT, '.venv', 'bin', 'python'), ['-c', script], {
    env: { ...process.env, PYTHONPATH: path.join(ROOT, 'glue-scripts') },
    encoding: 'utf8',
  });
  return JSON.parse(output) as Record<string, [string, string][]>;
}

interface SourcesYml {
  sources: { name: string; tables: { name: string; columns?: { name: string }[] }[] }[];
}

describe('transform table schemas', () => {
  const glue = glueSchemas();
  const sources = parse(
    readFileSync(path.join(ROOT, 'dbt_modeling', 'models', 'sources.yml'), 'utf8'),
  ) as SourcesYml;
  const dbtTables = sources.sources.find((source) => source.name === TRANSFORM_SCHEMA)?.tables ?? [];

  test.each(TRANSFORM_TABLES)(
    '%s: the Spectrum view declares the Glue job columns, in order, with the same types',
    (table) => {
      const expected = glue[table].map(([name, sparkType]) => [
        name,
        DUCKDB_TYPE_OF_SPARK[sparkType] ?? `spark:${sparkType}`,
      ]);
      expect(TRANSFORM_COLUMNS[table]).toEqual(expected);
    },
  );

  test.each(TRANSFORM_TABLES)('%s: the dbt source lists exactly the Glue job columns', (table) => {
    const columns = dbtTables
      .find((candidate) => candidate.name === table)
      ?.columns?.map((column) => column.name);
    expect(columns?.sort()).toEqual(glue[table].map(([name]) => name).sort());
  });
});
