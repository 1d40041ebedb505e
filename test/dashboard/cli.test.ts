/**
 * `deftunes dashboard` end to end through its command line: locally on a data directory, and with
 * `--env dev` through the Redshift Data API and S3 (aws-sdk-client-mock). The mocked Data API answers each
 * statement with what the fixture DuckDB answers to the same SQL, encoded as the Data API encodes fields,
 * so the Redshift path must produce the same page numbers as the local one.
 */
import {
  DescribeStatementCommand,
  ExecuteStatementCommand,
  type Field,
  GetStatementResultCommand,
  RedshiftDataClient,
} from '@aws-sdk/client-redshift-data';
import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { Command } from 'commander';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import type { DuckDbWarehouse } from '../../lib/local/adapters/duckdb-warehouse';
import { registerDashboardCommand } from '../../lib/local/cli/dashboard';
import { createFixture, type Fixture } from './fixture';

/** What the repository's cdk.json says of the dev environment. */
const dev = (
  JSON.parse(readFileSync(path.join(__dirname, '..', '..', 'cdk.json'), 'utf8')) as {
    context: Record<string, Record<string, { region: string; redshift: { databaseName: string } }>>;
  }
).context['deftunes:environments'].dev;

const redshift = mockClient(RedshiftDataClient);
const s3 = mockClient(S3Client);

let dir: string;
let fixture: Fixture;
let stdout: string[];
let stderr: string[];

async function run(...args: string[]): Promise<void> {
  const program = new Command('deftunes').exitOverride();
  registerDashboardCommand(program);
  await program.parseAsync(['node', 'deftunes', 'dashboard', ...args]);
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'dashboard-cli-'));
  fixture = await createFixture(dir);
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

beforeEach(() => {
  stdout = [];
  stderr = [];
  jest.spyOn(process.stdout, 'write').mockImplementation((chunk) => (stdout.push(String(chunk)), true));
  jest.spyOn(process.stderr, 'write').mockImplementation((chunk) => (stderr.push(String(chunk)), true));
  process.exitCode = undefined;
});

afterEach(() => {
  jest.restoreAllMocks();
  redshift.reset();
  s3.reset();
  process.exitCode = undefined;
});

describe('deftunes dashboard (local)', () => {
  it('writes <data-dir>/serving/dashboard.html and prints the result as JSON', async () => {
    await run('--data-dir', dir, '--json');
    const result = JSON.parse(stdout.join('')) as {
      path: string;
      totals: { items: number };
      checks: { ok: boolean }[];
    };
    expect(result.path).toBe(path.join(dir, 'serving', 'dashboard.html'));
    expect(readFileSync(result.path, 'utf8')).toContain('<canvas id="artists-chart"');
    expect(result.checks.every((check) => check.ok)).toBe(true);
    expect(result.totals.items).toBeGreaterThan(0);
    expect(process.exitCode).toBeUndefined();
  });

  it('--sales-months sets the window the page holds; a bad value is refused', async () => {
    const out = path.join(dir, 'one-month.html');
    await run('--data-dir', dir, '--out', out, '--sales-months', '1', '--json');
    const result = JSON.parse(stdout.join('')) as { totals: { days: number } };
    // The fixture's newest sale is 2026-02-01: one calendar month holds that day only.
    expect(result.totals.days).toBe(1);
    expect(readFileSync(out, 'utf8')).toContain('sales 2026-02-01 to 2026-02-01 (the latest calendar month');
    await expect(run('--data-dir', dir, '--sales-months', '0')).rejects.toThrow(
      'must be a whole number of months in [1, 120]; got "0"',
    );
  });

  it('says what is missing when there is no warehouse', async () => {
    await expect(run('--data-dir', path.join(dir, 'nowhere'))).rejects.toThrow(
      `no warehouse at ${path.join(dir, 'nowhere', 'serving', 'deftunes.duckdb')}: run \`deftunes run\` first`,
    );
  });

  it('refuses Redshift-only options without a Redshift target', async () => {
    await expect(run('--data-dir', dir, '--results-bucket', 'b')).rejects.toThrow(
      '--results-bucket applies to Redshift; give --env NAME (or --workgroup) with it',
    );
    await expect(run('--env', 'dev', '--data-dir', dir)).rejects.toThrow('cannot be combined with --env');
  });
});

describe('deftunes dashboard --env dev (Redshift Data API)', () => {
  it('reads the same numbers through the Data API and the quality results from S3', async () => {
    const local = await fixture.openWarehouse();
    const statements = new Map<string, string>();
    try {
      redshift.on(ExecuteStatementCommand).callsFake((input: { Sql: string }) => {
        const id = `statement-${statements.size + 1}`;
        statements.set(id, input.Sql);
        return { Id: id };
      });
      redshift.on(DescribeStatementCommand).callsFake((input: { Id: string }) => ({
        Id: input.Id,
        Status: 'FINISHED',
        HasResultSet: true,
      }));
      redshift.on(GetStatementResultCommand).callsFake(async (input: { Id: string }) => {
        const rows = await (local as DuckDbWarehouse).query(statements.get(input.Id) ?? '');
        const names = rows.length > 0 ? Object.keys(rows[0]) : [];
        return {
          ColumnMetadata: names.map((name) => ({ name })),
          Records: rows.map((row) => names.map((name) => asField(row[name]))),
          TotalNumRows: rows.length,
        };
      });
      const keys = (await fixture.results.list('dq-results/')).filter((key) => key.endsWith('.json'));
      s3.on(ListObjectsV2Command).resolves({ Contents: keys.map((Key) => ({ Key })), IsTruncated: false });
      s3.on(GetObjectCommand).callsFake(async (input: { Key: string }) => ({
        Body: Readable.from([await fixture.results.getObject(input.Key)]) as never,
      }));

      const out = path.join(dir, 'redshift.html');
      await run('--env', 'dev', '--results-bucket', 'serving-bucket', '--out', out, '--json');
      const viaRedshift = JSON.parse(stdout.join('')) as { totals: unknown; checks: { ok: boolean }[] };

      const calls = redshift.commandCalls(ExecuteStatementCommand);
      expect(calls.length).toBeGreaterThanOrEqual(6);
      for (const call of calls) {
        expect(call.args[0].input).toMatchObject({
          WorkgroupName: 'deftunes-dev',
          Database: dev.redshift.databaseName,
        });
      }
      expect(await redshift.call(0).thisValue.config.region()).toBe(dev.region);
      expect(s3.commandCalls(ListObjectsV2Command)[0].args[0].input).toMatchObject({
        Bucket: 'serving-bucket',
        Prefix: 'dq-results/',
      });
      const html = readFileSync(out, 'utf8');
      expect(html).toContain(
        `Redshift Serverless workgroup deftunes-dev, database ${dev.redshift.databaseName} (${dev.region})`,
      );
      expect(html).toContain('relationships_serving_user');
      expect(viaRedshift.checks.every((check) => check.ok)).toBe(true);

      stdout = [];
      await run('--data-dir', dir, '--json');
      expect(viaRedshift.totals).toEqual((JSON.parse(stdout.join('')) as { totals: unknown }).totals);
    } finally {
      await local.close();
    }
  });

  it('fails naming the query when the Data API reports a failed statement', async () => {
    redshift.on(ExecuteStatementCommand).resolves({ Id: 'x' });
    redshift.on(DescribeStatementCommand).resolves({
      Id: 'x',
      Status: 'FAILED',
      Error: 'permission denied for relation tables',
    });
    await expect(run('--env', 'dev', '--out', path.join(dir, 'never.html'))).rejects.toThrow(
      /dashboard: reading the serving schema failed: .*permission denied for relation tables/,
    );
  });
});

/** A value as the Data API returns it: integers as longValue, other numbers as doubleValue, text as stringValue. */
function asField(value: unknown): Field {
  if (value === null || value === undefined) return { isNull: true } as Field;
  if (typeof value === 'number')
    return (Number.isInteger(value) ? { longValue: value } : { doubleValue: value }) as Field;
  if (typeof value === 'boolean') return { booleanValue: value } as Field;
  return { stringValue: String(value) } as Field;
}
