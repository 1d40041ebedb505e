/**
 * One local run per data directory (issue 13, point 4): the lock names its holder, a second run fails at
 * once, and the lock of a killed run (SIGKILL: no cleanup) is taken over with a warning.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  acquireDataDirLock,
  checkDataDirFree,
  DATA_DIR_LOCK_FILE,
  DataDirLockedError,
  type LockHolder,
} from '../../lib/local/data-dir-lock';
import { runSingleState } from '../../lib/local/pipeline/run-pipeline';
import type { StateMachineDefinition } from '../../lib/local/pipeline/local-stepfunctions';

const LOCK_MODULE = path.resolve(__dirname, '..', '..', 'lib', 'local', 'data-dir-lock.ts');

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'deftunes-lock-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const readLock = (): LockHolder =>
  JSON.parse(fs.readFileSync(path.join(dir, DATA_DIR_LOCK_FILE), 'utf8')) as LockHolder;

/** A child process that takes the lock, says so on stdout, and then waits to be killed. */
async function childHoldingTheLock(): Promise<{ pid: number; kill: () => Promise<void> }> {
  // The child is this node itself with tsx registered (the tsx launcher would put a second process between).
  const script =
    `require('tsx/cjs/api').register();` +
    `const { acquireDataDirLock } = require(${JSON.stringify(LOCK_MODULE)});` +
    `acquireDataDirLock(${JSON.stringify(dir)}, { command: 'deftunes run (child)' });` +
    `process.stdout.write('locked\\n'); setInterval(() => undefined, 1000);`;
  const child = spawn(process.execPath, ['-e', script], {
    cwd: path.resolve(__dirname, '..', '..'),
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('locked')) resolve();
    });
    child.on('exit', (code) => reject(new Error(`the child exited (${code}) before taking the lock`)));
  });
  return {
    pid: child.pid!,
    kill: () =>
      new Promise<void>((resolve) => {
        child.on('exit', () => resolve());
        child.kill('SIGKILL');
      }),
  };
}

describe('the data directory lock', () => {
  it('holds pid, host and start time, refuses a second holder naming the first, and is released', () => {
    const lock = acquireDataDirLock(dir, { command: 'deftunes run 2020-02-01..2020-02-03' });
    expect(readLock()).toEqual({
      pid: process.pid,
      host: os.hostname(),
      started_at: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T/),
      command: 'deftunes run 2020-02-01..2020-02-03',
    });
    expect(() => acquireDataDirLock(dir, { command: 'deftunes step LoadServing 2020-02-01' })).toThrow(
      new RegExp(
        `another deftunes run is using ${dir}: pid ${process.pid} on ${os.hostname()} since .* \\(deftunes run 2020-02-01\\.\\.2020-02-03\\); wait for it to finish$`,
      ),
    );
    lock.release();
    lock.release();
    expect(fs.existsSync(path.join(dir, DATA_DIR_LOCK_FILE))).toBe(false);
    acquireDataDirLock(dir, { command: 'again' }).release();
  });

  it('takes over, with a warning, the lock of a run killed with SIGKILL', async () => {
    const child = await childHoldingTheLock();
    expect(readLock()).toMatchObject({ pid: child.pid, command: 'deftunes run (child)' });
    expect(() => acquireDataDirLock(dir, { command: 'second' })).toThrow(DataDirLockedError);
    await child.kill();
    // SIGKILL left the file behind, naming a pid that is gone.
    expect(readLock().pid).toBe(child.pid);

    const warnings: string[] = [];
    const lock = acquireDataDirLock(dir, { command: 'next run', warn: (message) => warnings.push(message) });
    expect(readLock()).toMatchObject({ pid: process.pid, command: 'next run' });
    expect(warnings).toEqual([
      expect.stringContaining(`took over the lock of ${dir} from a run that is gone: pid ${child.pid}`),
    ]);
    lock.release();
  }, 30_000);

  it('lets a command check before its slow start that no live run holds the directory', () => {
    checkDataDirFree(dir);
    const lock = acquireDataDirLock(dir, { command: 'deftunes run 2020-02-01..2020-02-01' });
    expect(() => checkDataDirFree(dir)).toThrow(/another deftunes run is using .*pid \d+ on /);
    // A dead holder does not stop the command: its lock is taken over when the run starts.
    expect(() => checkDataDirFree(dir, () => false)).not.toThrow();
    lock.release();
  });

  it('never takes over a lock from another host, which it cannot check', () => {
    const foreign: LockHolder = {
      pid: 1,
      host: 'elsewhere',
      started_at: '2026-01-01T00:00:00Z',
      command: 'x',
    };
    fs.writeFileSync(path.join(dir, DATA_DIR_LOCK_FILE), JSON.stringify(foreign));
    expect(() => acquireDataDirLock(dir, { command: 'y', isAlive: () => false })).toThrow(
      /pid 1 on elsewhere .*remove .*\.deftunes\.lock if that run is over/,
    );
  });

  it('makes deftunes step fail at once, before starting anything, while a run holds the directory', async () => {
    const lock = acquireDataDirLock(dir, { command: 'deftunes run 2020-02-01..2020-02-01' });
    try {
      const definition = {
        StartAt: 'Noop',
        States: { Noop: { Type: 'Pass', End: true } },
      } as unknown as StateMachineDefinition;
      const started = Date.now();
      await expect(
        runSingleState({
          dataDir: dir,
          state: 'Noop',
          runDate: '2020-02-01',
          definition,
          startGlue: () => Promise.reject(new Error('must not start')),
        }),
      ).rejects.toThrow(/another deftunes run is using .*deftunes run 2020-02-01\.\.2020-02-01/);
      expect(Date.now() - started).toBeLessThan(2000);
    } finally {
      lock.release();
    }
  });
});
