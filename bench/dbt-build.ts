/**
 * Runs the real `dbt build --target duckdb` of dbt_modeling on a DuckDB file, as
 * test/quality/dbt-parity.test.ts runs `dbt test`: the venv's dbt, the project's profiles, target and log
 * paths outside the repository, no partial parsing (every run parses the project, as a fresh container
 * would), anonymous statistics off. Timed from spawn to exit (Python start-up, parsing, execution).
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { DBT_BIN, DBT_PROJECT_DIR, dbtArgs } from '../bin/plan-builder/dbt';
import { ZONES } from '../lambdas/shared/platform-names';
import type { ServingPlan } from '../lambdas/shared/serving-plan';

/** A selector that matches nothing: dbt starts, parses the project, selects no node and exits. */
export const NOTHING_SELECTED = ['tag:bench_nothing_selected'];

export interface DbtNodeResult {
  readonly unique_id: string;
  readonly status: string;
  /** Seconds dbt spent on the node (its SQL, its adapter calls). */
  readonly execution_time: number;
  readonly failures: number | null;
}

export interface DbtBuildRun {
  /** Wall-clock time from spawn to exit. */
  readonly ms: number;
  /** dbt's own elapsed_time of the task (run_results.json), seconds. */
  readonly elapsedSeconds: number;
  readonly results: DbtNodeResult[];
}

/**
 * The plan's models and its serving-stage tests, by name: the selection serving-load and the serving gate
 * execute. Used with `--indirect-selection empty`, so dbt adds no test the plan does not run.
 */
export function servingSelection(plan: ServingPlan): string[] {
  return [
    ...plan.models.map((model) => model.name),
    ...plan.tests.filter((test) => test.stage === ZONES.serving).map((test) => test.name),
  ];
}

/** `dbt build` of `selection` for `runDate` on `databaseFile`; target and logs under `workDir`. */
export async function dbtBuild(
  databaseFile: string,
  runDate: string,
  selection: readonly string[],
  workDir: string,
): Promise<DbtBuildRun> {
  const targetPath = path.join(workDir, 'dbt-target');
  const args = dbtArgs(
    'build',
    { target: 'duckdb', targetPath, logPath: path.join(workDir, 'dbt-logs') },
    '--vars',
    `{run_date: "${runDate}"}`,
    '--indirect-selection',
    'empty',
    '--select',
    ...selection,
  );
  const started = performance.now();
  const { status, output } = await run(DBT_BIN, args, {
    ...process.env,
    DEFTUNES_DUCKDB_PATH: databaseFile,
    DO_NOT_TRACK: '1',
  });
  const ms = performance.now() - started;
  // dbt build exits 1 when a node fails (reported in the results); anything else is a broken setup.
  if (status !== 0 && status !== 1)
    throw new Error(`dbt build failed to run (exit ${String(status)}):\n${output}`);
  const runResults = JSON.parse(readFileSync(path.join(targetPath, 'run_results.json'), 'utf8')) as {
    elapsed_time: number;
    results: DbtNodeResult[];
  };
  return { ms, elapsedSeconds: runResults.elapsed_time, results: runResults.results };
}

function run(
  command: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv,
): Promise<{ status: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: DBT_PROJECT_DIR, env });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, output }));
  });
}
