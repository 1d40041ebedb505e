/**
 * Build step (run by `npm run build` after tsc): compiles the dbt project offline for each target and
 * writes the serving plan `dbt_modeling/plan/<target>.json` that serving-load and data-quality execute.
 *
 * `dbt compile --no-introspect --no-populate-cache` needs no database: the duckdb target points at a
 * throw-away path and the redshift target gets placeholder connection values (compile never connects).
 * When the dbt project's sources and this script are unchanged since the last plan, nothing runs.
 *
 * Usage: tsx bin/build-serving-plan.ts [--target duckdb|redshift]... [--force]
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import {
  namedParameters,
  parseServingPlan,
  PlanModel,
  PlanTarget,
  PlanTargetSchema,
  PlanTest,
  SERVING_PLAN_FORMAT_VERSION,
  ServingPlan,
} from '../lambdas/shared/serving-plan';

const PROJECT_ROOT = path.resolve(__dirname, '..');
export const DBT_PROJECT_DIR = path.join(PROJECT_ROOT, 'dbt_modeling');
export const PLAN_DIR = path.join(DBT_PROJECT_DIR, 'plan');
const DBT_BIN = path.join(PROJECT_ROOT, '.venv', 'bin', 'dbt');
const IGNORED_DIRS = new Set(['target', 'logs', 'plan', 'dbt_packages']);
export const SERVING_SCHEMA = 'deftunes_serving';

export function planPath(target: PlanTarget): string {
  return path.join(PLAN_DIR, `${target}.json`);
}

/** sha256 over the dbt project's source files (paths and contents), this script and the plan format. */
export function sourceHash(target: PlanTarget): string {
  const hash = createHash('sha256');
  hash.update(`format ${SERVING_PLAN_FORMAT_VERSION} target ${target}\n`);
  hash.update(readFileSync(__filename));
  hash.update(readFileSync(path.join(PROJECT_ROOT, 'lambdas', 'shared', 'serving-plan.ts')));
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) =>
      a.name.localeCompare(b.name),
    )) {
      const full = path.join(dir, entry.name);
      // Dot files (.user.yml, .gitkeep, editor files) never change what dbt compiles.
      if (entry.name.startsWith('.')) continue;
      if (entry.isDirectory()) {
        if (!(dir === DBT_PROJECT_DIR && IGNORED_DIRS.has(entry.name))) walk(full);
      } else if (entry.isFile()) {
        hash.update(`\n${path.relative(DBT_PROJECT_DIR, full)}\n`);
        hash.update(readFileSync(full));
      }
    }
  };
  walk(DBT_PROJECT_DIR);
  return hash.digest('hex');
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
  const args = [
    'compile',
    '--no-introspect',
    '--no-populate-cache',
    '--no-partial-parse',
    '--profiles-dir',
    DBT_PROJECT_DIR,
    '--project-dir',
    DBT_PROJECT_DIR,
    '--target',
    target,
    '--target-path',
    targetPath,
    '--log-path',
    path.join(scratch, 'logs'),
    '--quiet',
  ];
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

// The parts of dbt's manifest.json (schema v12) the plan reads.
interface DbtNodeConfig {
  materialized?: string;
  unique_key?: string | string[] | null;
  severity?: string;
  warn_if?: string;
  error_if?: string;
  fail_calc?: string;
  run_date_column?: string;
  run_date_only?: boolean;
  check_cols?: string[];
  update_cols?: string[];
  snapshot_date_column?: string;
  first_valid_from?: string;
  inferred_flag?: string;
  surrogate_key?: string;
  [key: string]: unknown;
}
interface DbtNode {
  unique_id: string;
  resource_type: string;
  name: string;
  schema: string;
  alias?: string;
  compiled_code?: string;
  config: DbtNodeConfig;
  depends_on: { nodes: string[] };
  column_name?: string | null;
  attached_node?: string | null;
  test_metadata?: { name: string; kwargs: Record<string, unknown> } | null;
}
interface DbtSource {
  unique_id: string;
  schema: string;
  source_name: string;
  name: string;
  identifier?: string;
}
export interface DbtManifest {
  metadata: { dbt_version: string };
  nodes: Record<string, DbtNode>;
  sources: Record<string, DbtSource>;
}

function quoteIdentifier(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

function asList(value: string | string[] | null | undefined): string[] {
  if (value === null || value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}

function compiledSql(node: DbtNode): string {
  if (!node.compiled_code) throw new Error(`${node.unique_id} has no compiled SQL in the manifest`);
  return node.compiled_code.trim().replace(/;\s*$/, '');
}

/** Models in dependency order (dependencies first; ties by name, so the order is stable). */
export function orderModels(models: DbtNode[]): DbtNode[] {
  const byId = new Map(models.map((model) => [model.unique_id, model]));
  const ordered: DbtNode[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (model: DbtNode, trail: string[]): void => {
    const seen = state.get(model.unique_id);
    if (seen === 'done') return;
    if (seen === 'visiting') throw new Error(`dependency cycle: ${[...trail, model.name].join(' -> ')}`);
    state.set(model.unique_id, 'visiting');
    const dependencies = model.depends_on.nodes
      .map((id) => byId.get(id))
      .filter((node) => node !== undefined);
    for (const dependency of dependencies.sort((a, b) => a.name.localeCompare(b.name)))
      visit(dependency, [...trail, model.name]);
    state.set(model.unique_id, 'done');
    ordered.push(model);
  };
  for (const model of [...models].sort((a, b) => a.name.localeCompare(b.name))) visit(model, []);
  return ordered;
}

function planModel(node: DbtNode, modelsById: Map<string, DbtNode>): PlanModel {
  const sql = compiledSql(node);
  const name = node.alias ?? node.name;
  const materialization = node.config.materialized;
  const base = {
    name,
    unique_id: node.unique_id,
    schema: node.schema,
    relation: `${quoteIdentifier(node.schema)}.${quoteIdentifier(name)}`,
    sql,
    parameters: namedParameters(sql),
    unique_key: asList(node.config.unique_key),
    depends_on: node.depends_on.nodes
      .filter((id) => modelsById.has(id))
      .map((id) => modelsById.get(id)!.name),
  };
  switch (materialization) {
    case 'view':
    case 'table':
      return { ...base, materialization };
    case 'incremental':
      if (!node.config.run_date_column)
        throw new Error(`${node.unique_id}: incremental models need config run_date_column`);
      return {
        ...base,
        materialization,
        incremental: {
          run_date_column: node.config.run_date_column,
          ...(node.config.run_date_only === true ? { run_date_only: true } : {}),
        },
      };
    case 'snapshot_type2':
      return {
        ...base,
        materialization,
        snapshot: {
          check_cols: node.config.check_cols ?? [],
          update_cols: node.config.update_cols ?? [],
          snapshot_date: node.config.snapshot_date_column ?? 'snapshot_date',
          surrogate_key: node.config.surrogate_key ?? `${name}_key`,
          valid_from: 'valid_from',
          valid_to: 'valid_to',
          is_current: 'is_current',
          loaded_on: 'loaded_on',
          first_valid_from: node.config.first_valid_from ?? '1900-01-01',
          ...(node.config.inferred_flag ? { inferred_flag: node.config.inferred_flag } : {}),
        },
      };
    default:
      throw new Error(
        `${node.unique_id}: materialization ${String(materialization)} is not supported by the serving plan`,
      );
  }
}

/**
 * The source or model a test is about. dbt sets `attached_node` only for tests on models; a test on a
 * source that also reads another source (a relationships test) lists both in `depends_on`, so the tested
 * one is taken from the test's `model` argument (`source('schema', 'table')` or `ref('model')`).
 */
export function testedNodeId(node: DbtNode, manifest: DbtManifest): string | undefined {
  if (node.attached_node) return node.attached_node;
  const argument = node.test_metadata?.kwargs.model;
  if (typeof argument === 'string') {
    const source = /source\(\s*['"]([^'"]+)['"]\s*,\s*['"]([^'"]+)['"]\s*\)/.exec(argument);
    if (source) {
      const found = Object.values(manifest.sources).find(
        (candidate) => candidate.source_name === source[1] && candidate.name === source[2],
      );
      if (found) return found.unique_id;
    }
    const ref = /ref\(\s*['"]([^'"]+)['"]\s*\)/.exec(argument);
    if (ref) {
      const found = Object.values(manifest.nodes).find(
        (candidate) => candidate.resource_type === 'model' && candidate.name === ref[1],
      );
      if (found) return found.unique_id;
    }
  }
  return node.depends_on.nodes[0];
}

function planTest(node: DbtNode, manifest: DbtManifest): PlanTest {
  const sql = compiledSql(node);
  const testedId = testedNodeId(node, manifest);
  const source = testedId ? manifest.sources[testedId] : undefined;
  const model = testedId ? manifest.nodes[testedId] : undefined;
  if (!source && !model) throw new Error(`${node.unique_id}: cannot tell which source or model it tests`);
  const severity = String(node.config.severity ?? 'error').toLowerCase();
  if (severity !== 'error' && severity !== 'warn')
    throw new Error(`${node.unique_id}: unknown severity ${severity}`);
  return {
    name: node.name,
    unique_id: node.unique_id,
    test_type: node.test_metadata?.name ?? null,
    sql,
    parameters: namedParameters(sql),
    severity,
    fail_calc: node.config.fail_calc ?? 'count(*)',
    warn_if: node.config.warn_if ?? '!=0',
    error_if: node.config.error_if ?? '!=0',
    stage: source ? 'transform' : 'serving',
    tested: source
      ? {
          kind: 'source',
          schema: source.schema,
          table: source.identifier ?? source.name,
          column: node.column_name ?? null,
        }
      : {
          kind: 'model',
          schema: model!.schema,
          table: model!.alias ?? model!.name,
          column: node.column_name ?? null,
        },
  };
}

/** Turns a compiled manifest into the serving plan. */
export function planFromManifest(manifest: DbtManifest, target: PlanTarget, hash: string): ServingPlan {
  const nodes = Object.values(manifest.nodes);
  const models = nodes.filter((node) => node.resource_type === 'model' && node.config.enabled !== false);
  const modelsById = new Map(models.map((model) => [model.unique_id, model]));
  const tests = nodes
    .filter((node) => node.resource_type === 'test' && node.config.enabled !== false)
    .sort((a, b) => a.unique_id.localeCompare(b.unique_id));
  return parseServingPlan(
    {
      format_version: SERVING_PLAN_FORMAT_VERSION,
      target,
      dbt_version: manifest.metadata.dbt_version,
      source_hash: hash,
      models: orderModels(models).map((model) => planModel(model, modelsById)),
      tests: tests.map((test) => planTest(test, manifest)),
    },
    `plan compiled for ${target}`,
  );
}

function currentPlanHash(target: PlanTarget): string | undefined {
  try {
    if (!statSync(planPath(target)).isFile()) return undefined;
    const document = JSON.parse(readFileSync(planPath(target), 'utf8')) as {
      source_hash?: string;
      format_version?: number;
    };
    return document.format_version === SERVING_PLAN_FORMAT_VERSION ? document.source_hash : undefined;
  } catch {
    return undefined;
  }
}

/** Builds the plan of one target unless it is up to date; returns what it did. */
export function buildServingPlan(target: PlanTarget, force = false): 'built' | 'up to date' {
  const hash = sourceHash(target);
  if (!force && currentPlanHash(target) === hash) return 'up to date';
  const scratch = mkdtempSync(path.join(tmpdir(), `deftunes-plan-${target}-`));
  try {
    const plan = planFromManifest(compileManifest(target, scratch), target, hash);
    mkdirSync(PLAN_DIR, { recursive: true });
    const staged = `${planPath(target)}.${process.pid}.tmp`;
    writeFileSync(staged, `${JSON.stringify(plan, null, 2)}\n`);
    renameSync(staged, planPath(target));
    return 'built';
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

function main(argv: string[]): void {
  const targets: PlanTarget[] = [];
  let force = false;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--force') force = true;
    else if (argv[i] === '--target') targets.push(PlanTargetSchema.parse(argv[++i]));
    else
      throw new Error(
        `unknown argument ${argv[i]} (usage: build-serving-plan [--target duckdb|redshift]... [--force])`,
      );
  }
  for (const target of targets.length > 0 ? targets : PlanTargetSchema.options) {
    const started = Date.now();
    const outcome = buildServingPlan(target, force);
    process.stderr.write(
      `serving plan ${path.relative(PROJECT_ROOT, planPath(target))}: ${outcome} (${Date.now() - started} ms)\n`,
    );
  }
}

if (require.main === module) {
  try {
    main(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`build-serving-plan: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  }
}
