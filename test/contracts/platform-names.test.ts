/**
 * The platform's names have one home in TypeScript (lambdas/shared/platform-names.ts, landing-keys.ts,
 * lib/local/data-dir.ts); the Glue scripts (Python) and the dbt project (YAML) cannot import it and keep
 * their own copies. This test reads those copies and fails as soon as one differs from its home.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { parse } from 'yaml';
import { DEFAULT_SESSIONS_LOOKBACK_DAYS } from '../../lambdas/extract-api/extract-api';
import { LANDING_PREFIXES, LISTENS_LANDING_PREFIXES } from '../../lambdas/shared/landing-keys';
import {
  JOB_RESULTS_PREFIX,
  QUARANTINE_TABLE,
  SERVING_SCHEMA,
  TRANSFORM_SCHEMA,
  TRANSFORM_TABLES,
} from '../../lambdas/shared/platform-names';
import { jobSpecs, TRANSFORM_JOB_TABLES } from '../../lib/constructs/transform-job-specs';
import { DEFAULT_DATA_DIR, localPaths } from '../../lib/local/data-dir';

const ROOT = path.resolve(__dirname, '..', '..');
const DBT_DIR = path.join(ROOT, 'dbt_modeling');

interface PythonNames {
  landing_prefixes: Record<string, string>;
  listens_landing_prefix: string;
  quarantine_table: string;
  job_results_dir: string;
  tables: string[];
  job_tables: Record<string, string[]>;
  local_paths: Record<string, string>;
  job_paths: { landing_path: string; warehouse_path: string };
}

/** The Python copies, as the Glue scripts and the local Spark session import them. */
function pythonNames(dataDir: string): PythonNames {
  const script = [
    'import json, sys',
    'from deftunes_glue import jobs, listens, maintenance, options, schemas',
    'from local_session import local_paths',
    'job, _ = options.resolve_job_options(["job", "--run_date", "2020-01-01", "--local_data_dir", sys.argv[1]])',
    'print(json.dumps({',
    '  "landing_prefixes": jobs.LANDING_PREFIXES,',
    '  "listens_landing_prefix": listens.LANDING_PREFIX,',
    '  "quarantine_table": jobs.QUARANTINE_TABLE,',
    '  "job_results_dir": options.JOB_RESULTS_DIR,',
    '  "tables": list(schemas.TABLE_SCHEMAS),',
    '  "job_tables": {job: list(maintenance.job_tables(job)) for job in jobs.JOB_SOURCES},',
    '  "local_paths": local_paths(sys.argv[1]),',
    '  "job_paths": {name: getattr(job, name) for name in ("landing_path", "warehouse_path")},',
    '}))',
  ].join('\n');
  const output = execFileSync(path.join(ROOT, '.venv', 'bin', 'python'), ['-c', script, dataDir], {
    env: {
      ...process.env,
      PYTHONPATH: [path.join(ROOT, 'glue-scripts'), path.join(ROOT, 'lib', 'local', 'spark')].join(
        path.delimiter,
      ),
    },
    encoding: 'utf8',
  });
  return JSON.parse(output) as PythonNames;
}

interface SourcesYml {
  sources: { name: string; schema: string; tables: { name: string }[] }[];
}
interface ProjectYml {
  vars: Record<string, unknown>;
}
interface ProfilesYml {
  deftunes: { outputs: Record<string, { schema: string; path?: string }> };
}

describe('the Glue scripts use the platform names', () => {
  const dataDir = path.join(ROOT, DEFAULT_DATA_DIR);
  const python = pythonNames(dataDir);

  it('lands and reads the same landing prefixes', () => {
    expect(python.landing_prefixes).toEqual(LANDING_PREFIXES);
    expect(python.listens_landing_prefix).toBe(LISTENS_LANDING_PREFIXES.data);
  });

  it('writes the transform tables, quarantine included, and its counts where the gate reads them', () => {
    expect([...python.tables].sort()).toEqual([...TRANSFORM_TABLES].sort());
    expect(python.quarantine_table).toBe(QUARANTINE_TABLE);
    expect(python.job_results_dir).toBe(JOB_RESULTS_PREFIX);
  });

  it('has each job write the tables its role may write and whose local views it re-points', () => {
    const specs = jobSpecs(0);
    expect(Object.keys(python.job_tables).sort()).toEqual(
      specs.map((spec) => path.basename(spec.script, '.py')).sort(),
    );
    for (const spec of specs) {
      const written = python.job_tables[path.basename(spec.script, '.py')];
      expect({ job: spec.id, tables: [...TRANSFORM_JOB_TABLES[spec.id]].sort() }).toEqual({
        job: spec.id,
        tables: [...written].sort(),
      });
    }
  });

  it('lays the local data directory out as lib/local/data-dir.ts does', () => {
    const paths = localPaths(dataDir);
    expect(python.local_paths).toEqual({
      root: paths.root,
      landing: paths.landing,
      transform: paths.transform,
      warehouse: paths.warehouse,
      catalog: paths.catalog,
    });
  });

  it('runs a job given only --local_data_dir on the data directory’s landing zone and warehouse', () => {
    const paths = localPaths(dataDir);
    expect(python.job_paths).toEqual({ landing_path: paths.landing, warehouse_path: paths.warehouse });
  });
});

describe('the dbt project uses the platform names', () => {
  it('reads the transform schema and every transform table as its source', () => {
    const sources = parse(readFileSync(path.join(DBT_DIR, 'models', 'sources.yml'), 'utf8')) as SourcesYml;
    expect(sources.sources.map(({ name, schema }) => ({ name, schema }))).toEqual([
      { name: TRANSFORM_SCHEMA, schema: TRANSFORM_SCHEMA },
    ]);
    expect(sources.sources[0].tables.map((table) => table.name).sort()).toEqual([...TRANSFORM_TABLES].sort());
  });

  it('builds the serving schema on both targets, locally in the data directory’s DuckDB file', () => {
    const profiles = parse(readFileSync(path.join(DBT_DIR, 'profiles.yml'), 'utf8')) as ProfilesYml;
    const outputs = Object.values(profiles.deftunes.outputs);
    expect(outputs.map((output) => output.schema)).toEqual(outputs.map(() => SERVING_SCHEMA));
    const duckdbPath = /env_var\('DEFTUNES_DUCKDB_PATH', '([^']+)'\)/.exec(
      profiles.deftunes.outputs.duckdb.path ?? '',
    );
    expect(duckdbPath?.[1]).toBe(
      path.relative(ROOT, localPaths(path.join(ROOT, DEFAULT_DATA_DIR)).warehouseDb),
    );
  });

  it('checks the BI views from the earliest sale date the API extraction loads (the sessions look-back)', () => {
    const project = parse(readFileSync(path.join(DBT_DIR, 'dbt_project.yml'), 'utf8')) as ProjectYml;
    expect(project.vars.sessions_lookback_days).toBe(DEFAULT_SESSIONS_LOOKBACK_DAYS);
  });
});
