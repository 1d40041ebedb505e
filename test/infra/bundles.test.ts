/**
 * Bundles the Lambda code for real (esbuild, as `cdk synth` does) and reports each bundle's size. The sizes
 * are printed for bench/README.md; the one asserted is issue 17's ceiling of 512 KiB per `index.js`.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createDeftunesApp } from '../../lib/deftunes-app';
import { PROJECT_ROOT } from '../../lib/constructs/pipeline-function';

jest.setTimeout(600_000);

/** Issue 17: each function's `index.js` at most 512 KiB (less to load and compile at a cold start). */
const MAX_INDEX_JS_BYTES = 512 * 1024;

const esbuildVersion = (
  JSON.parse(fs.readFileSync(path.join(PROJECT_ROOT, 'node_modules/esbuild/package.json'), 'utf8')) as {
    version: string;
  }
).version;

interface Bundle {
  service: string;
  files: Record<string, number>;
  dir: string;
}

describe('Lambda bundles (real esbuild bundling)', () => {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'deftunes-bundles-'));
  let bundles: Bundle[];
  let computeTemplate: { Resources: Record<string, { Type: string; Properties: Record<string, unknown> }> };

  beforeAll(() => {
    const { app, stages } = createDeftunesApp({
      outdir,
      nag: false,
      context: { env: 'dev', 'aws:cdk:bundling-stacks': ['Dev/Compute', 'Dev/Warehouse'] },
    });
    const started = Date.now();
    const assembly = app.synth();
    const elapsed = Date.now() - started;
    const stage = stages[0];
    const stageAssembly = assembly.getNestedAssembly(stage.artifactId);
    computeTemplate = stageAssembly.getStackArtifact(stage.compute.artifactId).template;
    bundles = [stage.compute, stage.warehouse].flatMap((stack) => {
      const template = stageAssembly.getStackArtifact(stack.artifactId).template as {
        Resources: Record<string, { Type: string; Properties: Record<string, unknown> }>;
      };
      return Object.values(template.Resources)
        .filter((resource) => resource.Type === 'AWS::Lambda::Function')
        .filter(
          (resource) =>
            (resource.Properties.Environment as { Variables?: Record<string, string> })?.Variables
              ?.POWERTOOLS_SERVICE_NAME,
        )
        .map((resource) => {
          const service = (resource.Properties.Environment as { Variables: Record<string, string> }).Variables
            .POWERTOOLS_SERVICE_NAME;
          const key = (resource.Properties.Code as { S3Key: string }).S3Key;
          const dir = path.join(outdir, `asset.${key.replace(/\.zip$/, '')}`);
          const files = Object.fromEntries(
            fs.readdirSync(dir).map((name) => [name, fs.statSync(path.join(dir, name)).size]),
          );
          return { service, files, dir };
        });
    });
    const kib = (bytes: number | undefined) =>
      bytes === undefined ? '-' : `${(bytes / 1024).toFixed(0)} KiB`;
    console.log(
      [
        `bundled ${bundles.length} functions in ${(elapsed / 1000).toFixed(1)} s (esbuild ${esbuildVersion}, ${os.cpus().length} cores)`,
        ...bundles.map(
          (bundle) =>
            `${bundle.service.padEnd(20)} index.js ${kib(bundle.files['index.js']).padStart(9)}  index.js.map ${kib(bundle.files['index.js.map']).padStart(9)}  serving-plan.json ${kib(bundle.files['serving-plan.json'])}`,
        ),
      ].join('\n'),
    );
  });

  afterAll(() => fs.rmSync(outdir, { recursive: true, force: true }));

  it('bundles every function into one minified file with its source map, well under the Lambda limits', () => {
    expect(bundles.map((bundle) => bundle.service).sort()).toEqual(
      [
        'data-quality',
        'extract-api',
        'extract-songs',
        'extract-concerts',
        'extract-artist-stats',
        'resolve-run-date',
        'serving-load',
        'warehouse-schemas',
      ].sort(),
    );
    for (const bundle of bundles) {
      expect(bundle.files['index.js']).toBeGreaterThan(1000);
      expect(bundle.files['index.js.map']).toBeGreaterThan(0);
      // 50 MB zipped / 250 MB unzipped are Lambda's limits; a bundle near 10 MB would mean something leaked in.
      expect(bundle.files['index.js']).toBeLessThan(10 * 1024 * 1024);
      const code = fs.readFileSync(path.join(bundle.dir, 'index.js'), 'utf8');
      expect(code).not.toMatch(/require\("[^"]*\.node"\)/);
      expect(code).not.toContain('@duckdb/node-api');
    }
  });

  it('keeps every index.js within 512 KiB (issue 17)', () => {
    const over = bundles
      .filter((bundle) => bundle.files['index.js'] > MAX_INDEX_JS_BYTES)
      .map((bundle) => `${bundle.service}: ${(bundle.files['index.js'] / 1024).toFixed(1)} KiB`);
    expect(over).toEqual([]);
  });

  it('loads: each bundle is self-contained and exports the handler (no module left outside it)', () => {
    // Also the cold-start init figure: require of the bundle (module init included) in a fresh process, as
    // Lambda runs it (NODE_OPTIONS=--enable-source-maps, which parses the source map at load) and without.
    const initMs = (bundle: Bundle, nodeOptions: string) => {
      const script = `const t = performance.now(); const m = require(${JSON.stringify(path.join(bundle.dir, 'index.js'))}); process.stdout.write(JSON.stringify({ handler: typeof m.handler, ms: performance.now() - t }));`;
      // A clean child process, so nothing resolves from this repository's node_modules.
      const output = execFileSync(process.execPath, ['-e', script], {
        cwd: os.tmpdir(),
        env: { PATH: process.env.PATH, NODE_OPTIONS: nodeOptions },
      });
      return JSON.parse(output.toString()) as { handler: string; ms: number };
    };
    const lines: string[] = [];
    for (const bundle of bundles) {
      const [withMaps, ...rest] = [1, 2, 3].map(() => initMs(bundle, '--enable-source-maps'));
      const plain = [1, 2, 3].map(() => initMs(bundle, ''));
      expect({ service: bundle.service, handler: withMaps.handler }).toEqual({
        service: bundle.service,
        handler: 'function',
      });
      const median = (runs: { ms: number }[]) => runs.map((run) => run.ms).sort((a, b) => a - b)[1];
      lines.push(
        `${bundle.service.padEnd(20)} ${median([withMaps, ...rest])
          .toFixed(0)
          .padStart(5)} ms with source maps  ${median(plain).toFixed(0).padStart(5)} ms without`,
      );
    }
    console.log(
      `cold-start init (require + module init, median of 3 fresh processes, Node ${process.version}, load average ${os.loadavg()[0].toFixed(1)})\n${lines.join('\n')}`,
    );
  });

  it('ships the serving plan beside the handlers that execute it', () => {
    const plan = fs.readFileSync(path.join(PROJECT_ROOT, 'dbt_modeling/plan/redshift.json'), 'utf8');
    for (const service of ['serving-load', 'data-quality']) {
      const bundle = bundles.find((candidate) => candidate.service === service) as Bundle;
      expect(fs.readFileSync(path.join(bundle.dir, 'serving-plan.json'), 'utf8')).toBe(plan);
    }
    for (const service of ['resolve-run-date', 'extract-api', 'extract-songs', 'warehouse-schemas']) {
      expect(
        bundles.find((candidate) => candidate.service === service)?.files['serving-plan.json'],
      ).toBeUndefined();
    }
  });

  it('ships the Glue package as a zip with deftunes_glue/ at its root and nothing else', () => {
    const jobs = Object.values(computeTemplate.Resources).filter(
      (resource) => resource.Type === 'AWS::Glue::Job',
    );
    // transform_api, transform_songs, transform_enrichment, transform_listens
    expect(jobs).toHaveLength(4);
    for (const job of jobs) {
      const extra = JSON.stringify(
        (job.Properties.DefaultArguments as Record<string, unknown>)['--extra-py-files'],
      );
      const hash = /([0-9a-f]{64})\.zip/.exec(extra)?.[1];
      expect(hash).toBeDefined();
      const dir = path.join(outdir, `asset.${hash}`);
      expect(fs.readdirSync(dir)).toEqual(['deftunes_glue']);
      const files = fs.readdirSync(path.join(dir, 'deftunes_glue'));
      expect(files).toContain('__init__.py');
      expect(files.filter((name) => !name.endsWith('.py'))).toEqual([]);
    }
  });
});
