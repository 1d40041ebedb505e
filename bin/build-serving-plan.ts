/**
 * Build step (run by `npm run build` after tsc): compiles the dbt project offline for each target and
 * writes the serving plan `dbt_modeling/plan/<target>.json` that serving-load and data-quality execute.
 * When the dbt project's sources and the plan builder are unchanged since the last plan, nothing runs.
 *
 * The seams live in bin/plan-builder/ (this folder of bin/ holds commands; the builder's modules are not
 * ones): dbt.ts runs dbt (compile, for the manifest), manifest.ts reads the manifest, plan.ts assembles the
 * plan, source-hash.ts tells whether it is up to date.
 *
 * Usage: tsx bin/build-serving-plan.ts [--target duckdb|redshift]... [--force]
 */
import { mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import {
  type PlanTarget,
  PlanTargetSchema,
  SERVING_PLAN_FORMAT_VERSION,
} from '../lambdas/shared/serving-plan';
import { compileManifest, DBT_PROJECT_DIR, PROJECT_ROOT } from './plan-builder/dbt';
import { planFromManifest } from './plan-builder/plan';
import { sourceHash } from './plan-builder/source-hash';

export { DBT_PROJECT_DIR } from './plan-builder/dbt';
export { sourceHash } from './plan-builder/source-hash';

export const PLAN_DIR = path.join(DBT_PROJECT_DIR, 'plan');

export function planPath(target: PlanTarget): string {
  return path.join(PLAN_DIR, `${target}.json`);
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
