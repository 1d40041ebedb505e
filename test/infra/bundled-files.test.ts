/**
 * The shell commands that put extra files (the serving plan) into a Lambda bundle: they build a missing or
 * stale file with its build command, and print, never execute, the hint when that fails.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { type BundledFile, bundledFileCommands } from '../../lib/constructs/pipeline-function';

/** A hint a shell would execute if it were interpolated unquoted or in double quotes. */
const HOSTILE_HINT = 'run `touch backtick-ran` or $(touch dollar-ran) and \'quoted\' "text"';

describe('bundledFileCommands', () => {
  let root: string;
  let input: string;
  let output: string;

  beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'deftunes-bundled files-'));
    input = path.join(root, "project's root");
    output = path.join(root, 'bundle');
    fs.mkdirSync(input);
    fs.mkdirSync(output);
  });
  afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

  /** Runs the commands the way local bundling does (`bash -c`, joined with &&, from the input directory). */
  function run(files: BundledFile[]): { status: number | null; stderr: string } {
    const script = bundledFileCommands(files, input, output).join(' && ');
    const result = spawnSync('bash', ['-c', script], { cwd: root, encoding: 'utf8' });
    return { status: result.status, stderr: result.stderr };
  }

  it('copies an existing file', () => {
    fs.writeFileSync(path.join(input, 'plan.json'), '{}');
    expect(run([{ source: 'plan.json', target: 'serving-plan.json', hint: 'unused' }]).status).toBe(0);
    expect(fs.readFileSync(path.join(output, 'serving-plan.json'), 'utf8')).toBe('{}');
  });

  it('stops on a missing file with the hint as plain text, running nothing in it', () => {
    const result = run([{ source: 'plan dir/plan.json', target: 'serving-plan.json', hint: HOSTILE_HINT }]);
    expect(result.status).toBe(1);
    expect(result.stderr).toBe(`missing plan dir/plan.json: ${HOSTILE_HINT}\n`);
    expect(fs.readdirSync(root).sort()).toEqual(['bundle', "project's root"]);
    expect(fs.readdirSync(input)).toEqual([]);
    expect(fs.readdirSync(output)).toEqual([]);
  });

  it('builds a missing file with its build command, from the input directory, before copying it', () => {
    const build = [process.execPath, '-e', "require('fs').writeFileSync('built $(x).json', '[1]')"];
    const result = run([{ source: 'built $(x).json', target: 'plan.json', build, hint: HOSTILE_HINT }]);
    expect(result).toEqual({ status: 0, stderr: '' });
    expect(fs.readFileSync(path.join(output, 'plan.json'), 'utf8')).toBe('[1]');
  });

  it('stops when the build command fails, naming the file and the command, running nothing in the hint', () => {
    const build = [process.execPath, '-e', 'process.exit(3)'];
    const result = run([{ source: 'plan.json', target: 'plan.json', build, hint: HOSTILE_HINT }]);
    expect(result.status).toBe(1);
    expect(result.stderr).toBe(`cannot build plan.json (${build.join(' ')} failed): ${HOSTILE_HINT}\n`);
    expect(fs.readdirSync(root).sort()).toEqual(['bundle', "project's root"]);
  });

  it('accepts an absolute source', () => {
    const source = path.join(root, 'elsewhere.json');
    fs.writeFileSync(source, 'x');
    expect(run([{ source, target: 'copy.json', hint: 'unused' }]).status).toBe(0);
    expect(fs.readFileSync(path.join(output, 'copy.json'), 'utf8')).toBe('x');
  });
});
