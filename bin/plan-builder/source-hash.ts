/**
 * The plan's `source_hash`: when it matches, the plan is up to date and the build does nothing.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { SERVING_PLAN_FORMAT_VERSION, type PlanTarget } from '../../lambdas/shared/serving-plan';
import { DBT_PROJECT_DIR, PROJECT_ROOT } from './dbt';

/** dbt_modeling's directories that hold dbt's output, not sources. */
const IGNORED_DIRS = new Set(['target', 'logs', 'plan', 'dbt_packages']);

/** The plan builder's own files (bin/build-serving-plan.ts and this folder): a change to them rebuilds. */
function builderFiles(): string[] {
  const here = readdirSync(__dirname)
    .filter((name) => name.endsWith('.ts'))
    .sort()
    .map((name) => path.join(__dirname, name));
  return [path.join(PROJECT_ROOT, 'bin', 'build-serving-plan.ts'), ...here];
}

/**
 * sha256 over the dbt project's source files (paths and contents), the plan builder's files, the plan's
 * schema and format.
 */
export function sourceHash(target: PlanTarget): string {
  const hash = createHash('sha256');
  hash.update(`format ${SERVING_PLAN_FORMAT_VERSION} target ${target}\n`);
  for (const file of builderFiles()) hash.update(readFileSync(file));
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
