/**
 * What the CLI prints and where it writes: a password in a URL is never printed, and an unusable data
 * directory fails the command at once, naming it, before anything starts.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { parseUrl } from '../../lib/local/cli/options';
import { requireUsableDataDir } from '../../lib/local/data-dir';
import { redactUrl } from '../../lib/local/redact-url';

const ROOT = path.resolve(__dirname, '..', '..');
let dir: string;

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'deftunes-cli-safety-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test.each([
  ['postgresql://etl:s3cr%21t@db.example.com:5432/songs', 'postgresql://etl:***@db.example.com:5432/songs'],
  [
    'postgres://db.example.com/songs?user=etl&password=s3cret&sslmode=require',
    'postgres://db.example.com/songs?user=etl&password=***&sslmode=require',
  ],
  ['https://user:token@api.example.com/v1', 'https://user:***@api.example.com/v1'],
  ['postgres://etl:s3cret@db:notaport/songs', 'postgres://etl:***@db:notaport/songs'],
  // Without a password the URL is printed exactly as given.
  ['http://127.0.0.1:8000', 'http://127.0.0.1:8000'],
  [
    'postgresql://postgres@127.0.0.1:5433/postgres?sslmode=disable',
    'postgresql://postgres@127.0.0.1:5433/postgres?sslmode=disable',
  ],
])('redactUrl(%s) prints %s', (url, printed) => {
  expect(redactUrl(url)).toBe(printed);
  expect(redactUrl(url)).not.toMatch(/s3cr|token/);
});

test('an invalid URL option is refused without echoing its password', () => {
  expect(() => parseUrl('postgres://etl:s3cret@db:notaport/songs')).toThrow(/etl:\*\*\*@db/);
  expect(() => parseUrl('postgres://etl:s3cret@db:notaport/songs')).not.toThrow(/s3cret/);
});

test.each([
  [
    'a file',
    () => {
      const file = path.join(dir, 'a-file');
      writeFileSync(file, 'x');
      return file;
    },
    /is not usable: it is a file/,
  ],
  [
    'a path below a file',
    () => {
      const file = path.join(dir, 'another-file');
      writeFileSync(file, 'x');
      return path.join(file, 'data');
    },
    /is not usable: a part of its path is a file/,
  ],
])('requireUsableDataDir refuses %s, naming it', (_case, make, reason) => {
  const dataDir = make();
  expect(() => requireUsableDataDir(dataDir)).toThrow(reason);
  expect(() => requireUsableDataDir(dataDir)).toThrow(path.resolve(dataDir));
});

test('requireUsableDataDir creates a missing directory and leaves no probe behind', () => {
  const dataDir = path.join(dir, 'fresh', 'data');
  expect(requireUsableDataDir(dataDir)).toBe(path.resolve(dataDir));
  expect(readdirSync(dataDir)).toEqual([]);
});

test('deftunes run on an unusable --data-dir exits 1 at once, before synthesizing anything', () => {
  const file = path.join(dir, 'not-a-dir');
  writeFileSync(file, 'x');
  const run = spawnSync(
    process.execPath,
    [path.join(ROOT, 'bin', 'deftunes.cjs'), 'run', '--from', '2020-02-01', '--data-dir', file],
    { cwd: ROOT, encoding: 'utf8', timeout: 60_000 },
  );
  expect(run.status).toBe(1);
  expect(run.stderr).toMatch(/data directory .*not-a-dir is not usable: it is a file/);
  expect(run.stderr).not.toMatch(/synthesizing/);
});
