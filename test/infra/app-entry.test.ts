/**
 * bin/app.ts as the CDK CLI runs it (`npx tsx bin/app.ts` with the CLI's environment variables), minus the
 * bundling, which bundles.test.ts covers: the app must synthesize offline, without AWS credentials.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PROJECT_ROOT } from '../../lib/constructs/pipeline-function';

jest.setTimeout(300_000);

describe('bin/app.ts', () => {
  it('synthesizes the chosen environment into a cloud assembly, with no AWS credentials', () => {
    const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'deftunes-app-'));
    try {
      const env: NodeJS.ProcessEnv = {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        CDK_OUTDIR: outdir,
        CDK_CONTEXT_JSON: JSON.stringify({ env: 'dev', 'aws:cdk:bundling-stacks': [] }),
      };
      execFileSync(path.join(PROJECT_ROOT, 'node_modules/.bin/tsx'), ['bin/app.ts'], {
        cwd: PROJECT_ROOT,
        env,
        stdio: 'pipe',
      });
      const manifest = JSON.parse(
        fs.readFileSync(path.join(outdir, 'assembly-Dev', 'manifest.json'), 'utf8'),
      ) as {
        artifacts: Record<string, { type: string; displayName?: string }>;
      };
      const stacks = Object.values(manifest.artifacts)
        .filter((artifact) => artifact.type === 'aws:cloudformation:stack')
        .map((artifact) => artifact.displayName)
        .sort();
      expect(stacks).toEqual(['Dev/Catalog', 'Dev/Compute', 'Dev/Pipeline', 'Dev/Storage', 'Dev/Warehouse']);
      expect(fs.existsSync(path.join(outdir, 'assembly-Prod'))).toBe(false);
    } finally {
      fs.rmSync(outdir, { recursive: true, force: true });
    }
  });
});
