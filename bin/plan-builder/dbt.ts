/**
 * Running the venv's dbt on dbt_modeling: where the project and the dbt executable are, the arguments every
 * invocation takes, and the offline `dbt compile` the plan builder reads its manifest from.
 *
 * `dbt compile --no-introspect --no-populate-cache` needs no database: the duckdb target points at a
 * throw-away path and the redshift target gets placeholder connection values (compile never connects).
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import type { PlanTarget } from '../../lambdas/shared/serving-plan';
import type { DbtManifest } from './manifest';

export const PROJECT_ROOT = path.resolve(__dirname, '..', '..');
export const DBT_PROJECT_DIR = path.join(PROJECT_ROOT, 'dbt_modeling');
export const DBT_BIN = path.join(PROJECT_ROOT, '.venv', 'bin', 'dbt');

/**
 * A dbt command's arguments on dbt_modeling: the target, the project and its profiles, target and logs at the
 * given paths (outside the repository), no partial parsing (every run parses the project, as a fresh
 * container would); `options` are the command's own.
 */
export function dbtArgs(
  command: string,
  run: { readonly target: string; readonly targetPath: string; readonly logPath: string },
  ...options: string[]
): string[] {
  return [
    command,
    '--target',
    run.target,
    '--profiles-dir',
    DBT_PROJECT_DIR,
    '--project-dir',
    DBT_PROJECT_DIR,
    '--target-path',
    run.targetPath,
    '--log-path',
    run.logPath,
    '--no-partial-parse',
    ...options,
  ];
}

/** Environment for an offline compile: placeholders where a target needs connection settings. */
function compileEnvironment(target: PlanTarget, scratch: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    DBT_SEND_ANONYMOUS_USAGE_STATS: 'false',
    DO_NOT_TRACK: '1',
  };
  if (target === 'duckdb') {
    // The file is never opened by compile; a scratch path makes sure no real database is touched.
    env.DEFTUNES_DUCKDB_PATH = path.join(scratch, 'deftunes.duckdb');
  } else {
    env.DEFTUNES_REDSHIFT_HOST = 'compile-only.invalid';
    env.DEFTUNES_REDSHIFT_USER = 'compile_only';
    env.DEFTUNES_REDSHIFT_PASSWORD = 'compile_only';
    env.DEFTUNES_REDSHIFT_DATABASE = 'compile_only';
    env.DEFTUNES_REDSHIFT_METHOD = 'database';
  }
  return env;
}

/** Runs `dbt compile` for the target and returns the parsed manifest. */
export function compileManifest(target: PlanTarget, scratch: string): DbtManifest {
  const targetPath = path.join(scratch, 'target');
  const args = dbtArgs(
    'compile',
    { target, targetPath, logPath: path.join(scratch, 'logs') },
    '--no-introspect',
    '--no-populate-cache',
    '--quiet',
  );
  const result = spawnSync(DBT_BIN, args, {
    cwd: DBT_PROJECT_DIR,
    env: compileEnvironment(target, scratch),
    encoding: 'utf8',
    timeout: 300_000,
  });
  if (result.error) throw new Error(`cannot run ${DBT_BIN} (run npm run setup): ${result.error.message}`);
  if (result.status !== 0) {
    throw new Error(
      `dbt compile --target ${target} failed (exit ${result.status}):\n${result.stdout}${result.stderr}`,
    );
  }
  return JSON.parse(readFileSync(path.join(targetPath, 'manifest.json'), 'utf8')) as DbtManifest;
}
