/**
 * `cdk synth` of each environment with the real CLI, as a fresh shell without AWS credentials runs it: no
 * credentials, no profile, no instance metadata, an empty home. A context lookup (Availability Zones, VPC,
 * ...) would need an AWS call and fail the synthesis, so this guards the "synth works offline" promise.
 * Each run bundles the Lambdas with esbuild (~30 s on the 2-core development machine).
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PROJECT_ROOT } from '../../lib/constructs/pipeline-function';
import { stageId } from '../../lib/deftunes-app';

const STACKS = ['Storage', 'Catalog', 'Warehouse', 'Compute', 'Pipeline'];
const CREDENTIAL_VARIABLES = [
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
  'AWS_SECURITY_TOKEN',
  'AWS_PROFILE',
  'AWS_DEFAULT_PROFILE',
  'AWS_ROLE_ARN',
  'AWS_WEB_IDENTITY_TOKEN_FILE',
  'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI',
  'AWS_CONTAINER_CREDENTIALS_FULL_URI',
];

interface Manifest {
  artifacts?: Record<string, { type: string; displayName?: string; properties?: { templateFile?: string } }>;
  missing?: { key: string }[];
}

describe.each(['dev', 'prod'])('npx cdk synth -c env=%s without AWS credentials', (environmentName) => {
  const stage = stageId(environmentName);
  let scratch: string;

  beforeAll(() => {
    scratch = fs.mkdtempSync(path.join(os.tmpdir(), `deftunes-offline-synth-${environmentName}-`));
  });
  afterAll(() => fs.rmSync(scratch, { recursive: true, force: true }));

  it(`exits 0 and writes the five ${stage} stacks, with no context lookup`, () => {
    const home = path.join(scratch, 'home');
    const outdir = path.join(scratch, 'cdk.out');
    fs.mkdirSync(home);
    const emptyFile = path.join(scratch, 'empty');
    fs.writeFileSync(emptyFile, '');
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      AWS_EC2_METADATA_DISABLED: 'true',
      AWS_SHARED_CREDENTIALS_FILE: emptyFile,
      AWS_CONFIG_FILE: emptyFile,
      HOME: home,
      CDK_DISABLE_CLI_TELEMETRY: 'true',
    };
    for (const name of CREDENTIAL_VARIABLES) delete env[name];
    // cdk.context.json is gitignored: a fresh clone has none, a working copy may hold `{}`.
    const contextFile = path.join(PROJECT_ROOT, 'cdk.context.json');
    const contextBefore = fs.existsSync(contextFile) ? fs.readFileSync(contextFile, 'utf8') : undefined;

    const result = spawnSync(
      'npx',
      ['cdk', 'synth', '-c', `env=${environmentName}`, `${stage}/*`, '-q', '-o', outdir, '--no-notices'],
      { cwd: PROJECT_ROOT, env, encoding: 'utf8', timeout: 280_000 },
    );

    // On failure the CLI's own output says why (lookup, nag finding, bundling error).
    expect({ status: result.status, stderr: result.status === 0 ? '' : result.stderr }).toEqual({
      status: 0,
      stderr: '',
    });
    const manifest = JSON.parse(
      fs.readFileSync(path.join(outdir, `assembly-${stage}`, 'manifest.json'), 'utf8'),
    ) as Manifest;
    expect(manifest.missing ?? []).toEqual([]);
    const stacks = Object.values(manifest.artifacts ?? {}).filter(
      (artifact) => artifact.type === 'aws:cloudformation:stack',
    );
    expect(stacks.map((artifact) => artifact.displayName).sort()).toEqual(
      STACKS.map((name) => `${stage}/${name}`).sort(),
    );
    for (const artifact of stacks) {
      const template = path.join(outdir, `assembly-${stage}`, artifact.properties?.templateFile ?? '');
      expect(fs.statSync(template).size).toBeGreaterThan(0);
    }
    // A lookup answered from somewhere would have been cached here.
    // A lookup would have been cached there: the file is as it was, and holds no context value.
    const contextAfter = fs.existsSync(contextFile) ? fs.readFileSync(contextFile, 'utf8') : undefined;
    expect(contextAfter).toBe(contextBefore);
    expect(JSON.parse(contextAfter ?? '{}')).toEqual({});
  }, 300_000);
});
