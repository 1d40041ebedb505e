/**
 * Benchmark of the Lambda bundles at two revisions: builds each handler of `lambdas/` as of each git revision
 * with the CDK's esbuild options (lib/constructs/pipeline-function.ts), then times the cold-start init
 * (`require` of the bundle, module initialisation included) in fresh Node processes, with
 * `--enable-source-maps` as in Lambda and without, the revisions taken alternately so both see the same
 * machine load. Prints each `index.js` size and the median init; asserts nothing.
 *
 *   npx tsx bench/lambda-init.ts [runs] [before-revision] [after-revision]
 *   (default: 15 HEAD~1 HEAD; a revision `.` is the working tree)
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import * as path from 'node:path';
import * as esbuild from 'esbuild';

const PROJECT_ROOT = path.resolve(__dirname, '..');

const FUNCTIONS = [
  'resolve-run-date',
  'extract-api',
  'extract-songs',
  'serving-load',
  'data-quality',
  'extract-concerts',
  'extract-artist-stats',
];

/** The tree holding `lambdas/` as of `revision` (`.`: the working tree itself). */
function checkout(revision: string, scratch: string): string {
  if (revision === '.') return PROJECT_ROOT;
  const root = path.join(scratch, revision.replace(/[^\w.-]/g, '_'));
  mkdirSync(root, { recursive: true });
  const archive = execFileSync('git', ['archive', revision, 'lambdas'], {
    cwd: PROJECT_ROOT,
    maxBuffer: 1 << 28,
  });
  execFileSync('tar', ['-x', '-C', root], { input: archive });
  symlinkSync(path.join(PROJECT_ROOT, 'node_modules'), path.join(root, 'node_modules'));
  return root;
}

/** Bundles one handler of `root` as `cdk synth` does; returns the path of its `index.js`. */
async function bundle(root: string, fn: string, outdir: string): Promise<string> {
  const outfile = path.join(outdir, fn, 'index.js');
  await esbuild.build({
    entryPoints: [path.join(root, 'lambdas', fn, 'index.ts')],
    outfile,
    bundle: true,
    minify: true,
    sourcemap: true,
    sourcesContent: false,
    platform: 'node',
    target: 'node22',
    format: 'cjs',
    mainFields: ['module', 'main'],
    tsconfig: path.join(PROJECT_ROOT, 'tsconfig.json'),
    external: ['pg-native'],
    alias: { '@aws-sdk/credential-provider-node': path.join(root, 'lambdas/shared/lambda-credentials.ts') },
    logLevel: 'error',
  });
  return outfile;
}

/** Milliseconds to `require` the bundle in a fresh process (outside the repository, nothing else to resolve). */
function initMs(file: string, nodeOptions: string): number {
  const script = `const t = performance.now(); const m = require(${JSON.stringify(file)}); if (typeof m.handler !== 'function') throw new Error('no handler'); process.stdout.write(String(performance.now() - t));`;
  const output = execFileSync(process.execPath, ['-e', script], {
    cwd: tmpdir(),
    env: { PATH: process.env.PATH, NODE_OPTIONS: nodeOptions },
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  return Number(output.toString());
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

async function main(): Promise<void> {
  const runs = Number(process.argv[2] ?? 15);
  const revisions = [process.argv[3] ?? 'HEAD~1', process.argv[4] ?? 'HEAD'];
  const scratch = mkdtempSync(path.join(tmpdir(), 'deftunes-lambda-init-'));
  try {
    const files = new Map<string, string>();
    for (const [index, revision] of revisions.entries()) {
      const root = checkout(revision, scratch);
      for (const fn of FUNCTIONS) {
        files.set(`${index}/${fn}`, await bundle(root, fn, path.join(scratch, `out-${index}`)));
      }
    }
    const times = new Map<string, { maps: number[]; plain: number[] }>();
    for (let run = 0; run < runs; run++) {
      for (const fn of FUNCTIONS) {
        for (const index of revisions.keys()) {
          const key = `${index}/${fn}`;
          const file = files.get(key) as string;
          const entry = times.get(key) ?? { maps: [], plain: [] };
          entry.maps.push(initMs(file, '--enable-source-maps'));
          entry.plain.push(initMs(file, ''));
          times.set(key, entry);
        }
      }
    }
    console.log(
      `${revisions.join(' -> ')}: ${runs} fresh processes per bundle, median; Node ${process.version}, ` +
        `${cpus().length} cores, load average ${loadavg()[0].toFixed(1)}`,
    );
    for (const fn of FUNCTIONS) {
      const [before, after] = [0, 1].map((index) => ({
        kib: statSync(files.get(`${index}/${fn}`) as string).size / 1024,
        ...(times.get(`${index}/${fn}`) as { maps: number[]; plain: number[] }),
      }));
      console.log(
        `${fn.padEnd(21)} ${before.kib.toFixed(1).padStart(6)} -> ${after.kib.toFixed(1).padStart(6)} KiB` +
          `  with source maps ${median(before.maps).toFixed(0).padStart(4)} -> ${median(after.maps).toFixed(0).padStart(4)} ms` +
          `  without ${median(before.plain).toFixed(0).padStart(4)} -> ${median(after.plain).toFixed(0).padStart(4)} ms`,
      );
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
