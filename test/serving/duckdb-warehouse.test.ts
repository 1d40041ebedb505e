/**
 * DuckDbWarehouse (parameters, transactions, value shapes), the local Spectrum views and `deftunes query`.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { DuckDbWarehouse } from '../../lib/local/adapters/duckdb-warehouse';
import { localPaths } from '../../lib/local/data-dir';
import { formatTable, registerQueryCommand, runLocalQuery } from '../../lib/local/cli/query';
import { createTransformViews, TRANSFORM_COLUMNS } from '../../lib/local/spectrum';
import { TRANSFORM_TABLES } from '../../lambdas/shared/platform-names';
import { Command } from 'commander';

let dir: string;

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'deftunes-duckdb-'));
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

test(':name parameters are bound (not spliced), also next to casts and quoted text', async () => {
  const warehouse = await DuckDbWarehouse.open(':memory:');
  try {
    const rows = await warehouse.query(
      "select cast(:day as date) as day, ':day' as text, :n::integer + 1 as n, :who as who",
      {
        day: '2024-03-01',
        n: 41,
        who: "O'Brien'); drop table x; --",
      },
    );
    expect(rows).toEqual([{ day: '2024-03-01', text: ':day', n: 42, who: "O'Brien'); drop table x; --" }]);
    await expect(warehouse.query('select :missing')).rejects.toThrow(
      'query: no value for parameter :missing',
    );
  } finally {
    await warehouse.close();
  }
});

test('values come back in the Data API shapes: integers as numbers, decimals, dates and timestamps as strings', async () => {
  const warehouse = await DuckDbWarehouse.open(':memory:');
  try {
    const [row] = await warehouse.query(
      "select 3::bigint as big, 2.50::decimal(10,2) as price, timestamp '2024-03-01 10:15:00' as ts, 0.5::double as ratio, true as flag, null as nothing, 9007199254740993::hugeint as huge",
    );
    expect(row).toEqual({
      big: 3,
      price: '2.50',
      ts: '2024-03-01 10:15:00',
      ratio: 0.5,
      flag: true,
      nothing: null,
      huge: '9007199254740993',
    });
  } finally {
    await warehouse.close();
  }
});

test('a transaction is all or nothing, DDL included, and its error names the statement', async () => {
  const file = path.join(dir, 'tx', 'deftunes.duckdb');
  const warehouse = await DuckDbWarehouse.open(file);
  try {
    await warehouse.transaction([{ sql: 'create table kept as select 1 as id' }]);
    await expect(
      warehouse.transaction([
        { sql: 'drop table kept', label: 'drop kept' },
        { sql: 'create table fresh as select 2 as id', label: 'create fresh' },
        { sql: 'insert into fresh select * from nowhere', label: 'model fresh: insert' },
      ]),
    ).rejects.toThrow(/statement "model fresh: insert" failed on DuckDB: .*nowhere/);
    expect(
      await warehouse.query(
        "select table_name from information_schema.tables where table_schema = 'main' order by 1",
      ),
    ).toEqual([{ table_name: 'kept' }]);
    // The connection is usable after a rollback.
    await warehouse.transaction([{ sql: 'insert into kept values (:id)', parameters: { id: 5 } }]);
    expect(await warehouse.query('select count(*) as n from kept')).toEqual([{ n: 2 }]);
  } finally {
    await warehouse.close();
  }
});

test('two warehouses on one file in one process share it; closing both releases it', async () => {
  const file = path.join(dir, 'shared', 'deftunes.duckdb');
  const first = await DuckDbWarehouse.open(file);
  const second = await DuckDbWarehouse.open(file);
  await first.transaction([{ sql: 'create table t as select 1 as id' }]);
  expect(await second.query('select id from t')).toEqual([{ id: 1 }]);
  await first.close();
  expect(await second.query('select id from t')).toEqual([{ id: 1 }]);
  await second.close();
  await expect(second.query('select 1')).rejects.toThrow(/is closed/);
  const reopened = await DuckDbWarehouse.open(file, { readOnly: true });
  await expect(reopened.query('create table u (id int)')).rejects.toThrow(/read-only/i);
  await reopened.close();
});

test('Spectrum stand-in: typed empty views without files; Spark UTC timestamps become UTC wall-clock times', async () => {
  const file = path.join(dir, 'spectrum', 'deftunes.duckdb');
  const warehouse = await DuckDbWarehouse.open(file);
  try {
    await createTransformViews(warehouse, {});
    for (const table of TRANSFORM_TABLES) {
      const columns = await warehouse.query<{ column_name: string; column_type: string }>(
        `describe deftunes_transform.${table}`,
      );
      expect(columns.map((column) => [column.column_name, column.column_type])).toEqual(
        TRANSFORM_COLUMNS[table].map(([name, type]) => [name, type]),
      );
      expect(await warehouse.query(`select count(*) as n from deftunes_transform.${table}`)).toEqual([
        { n: 0 },
      ]);
    }
    // A file as Spark writes it: timestamps as instants (TIMESTAMP WITH TIME ZONE), narrower integer types.
    const parquet = path.join(dir, 'spectrum', 'sessions.parquet');
    await warehouse.query("SET TimeZone = 'America/New_York'");
    const columns = TRANSFORM_COLUMNS.sessions.map(([name, type]) => {
      if (name === 'session_start_time') return `timestamptz '2024-03-01 23:30:00+00' as ${name}`;
      if (name === 'item_index') return `2::smallint as ${name}`;
      return `cast(null as ${type}) as ${name}`;
    });
    await warehouse.query(`copy (select ${columns.join(', ')}) to '${parquet}' (format parquet)`);
    await createTransformViews(warehouse, { sessions: [parquet] });
    expect(
      await warehouse.query(
        'select cast(session_start_time as varchar) as t, item_index from deftunes_transform.sessions',
      ),
    ).toEqual([{ t: '2024-03-01 23:30:00', item_index: 2 }]);
    const types = await warehouse.query<{ column_type: string }>('describe deftunes_transform.sessions');
    expect(types.map((row) => row.column_type)).toEqual(TRANSFORM_COLUMNS.sessions.map(([, type]) => type));
    await expect(createTransformViews(warehouse, { users: [parquet] })).rejects.toThrow(
      'deftunes_transform.users: the data files have no column user_name',
    );
  } finally {
    await warehouse.close();
  }
});

test.each([
  [
    'COPY ... TO a file',
    (_lake: string, outside: string) => `copy (select 1 as a) to '${outside}'`,
    /Permission Error: Cannot access file/,
  ],
  [
    'COPY ... TO a file in the lake',
    (lake: string) => `copy (select 1 as a) to '${lake}/copy.csv'`,
    /COPY statements are refused/,
  ],
  ['reading a file outside the lake', () => "select * from read_text('/etc/hostname')", /Permission Error/],
  ['installing an extension', () => 'install httpfs', /refused/],
  ['lifting the sandbox', () => 'set enable_external_access = true', /refused/],
  ['attaching another database', (_lake: string, outside: string) => `attach '${outside}.db'`, /refused/],
  ['two statements in one text', () => 'select 1; select 2', /expected one statement, got 2/],
])('deftunes query refuses %s, and still reads the lake', async (_case, sqlFor, message) => {
  const dataDir = path.join(dir, 'sandbox');
  const paths = localPaths(dataDir);
  const lakeFile = path.join(paths.warehouse, 'users', 'data', 'part-0.parquet');
  mkdirSync(path.dirname(lakeFile), { recursive: true });
  mkdirSync(path.dirname(paths.warehouseDb), { recursive: true });
  if (!existsSync(paths.warehouseDb)) {
    const warehouse = await DuckDbWarehouse.open(paths.warehouseDb);
    await warehouse.query(`copy (select 'u1' as user_id) to '${lakeFile}' (format parquet)`);
    await warehouse.query(`create view main.lake_users as select * from read_parquet('${lakeFile}')`);
    await warehouse.close();
  }
  const outside = path.join(dir, 'outside.csv');

  await expect(runLocalQuery(sqlFor(paths.warehouse, outside), { dataDir })).rejects.toThrow(message);
  expect(existsSync(outside)).toBe(false);
  expect(existsSync(path.join(paths.warehouse, 'copy.csv'))).toBe(false);
  expect(await runLocalQuery('select user_id from lake_users', { dataDir })).toEqual([{ user_id: 'u1' }]);
});

test('deftunes query resolves unqualified names and prints JSON rows or a table', async () => {
  const dataDir = path.join(dir, 'data');
  const paths = localPaths(dataDir);
  mkdirSync(path.dirname(paths.warehouseDb), { recursive: true });
  const warehouse = await DuckDbWarehouse.open(paths.warehouseDb);
  await createTransformViews(warehouse, {});
  await warehouse.transaction([
    { sql: 'create schema deftunes_serving' },
    {
      sql: "create table deftunes_serving.dim_artists as select 'A1' as artist_id, 'Aurora Lane' as artist_name",
    },
  ]);
  await warehouse.close();

  expect(await runLocalQuery('select artist_name from dim_artists', { dataDir })).toEqual([
    { artist_name: 'Aurora Lane' },
  ]);
  expect(await runLocalQuery('select count(*) as n from sessions', { dataDir })).toEqual([{ n: 0 }]);
  await expect(runLocalQuery('select 1', { dataDir: path.join(dir, 'nowhere') })).rejects.toThrow(
    /no warehouse at .*deftunes.duckdb/,
  );
  expect(formatTable([{ artist_name: 'Aurora Lane', n: 1 }])).toBe(
    'artist_name | n\n------------+--\nAurora Lane | 1\n(1 row)\n',
  );

  const written: string[] = [];
  const spy = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    written.push(String(chunk));
    return true;
  });
  try {
    const program = new Command('deftunes').exitOverride();
    registerQueryCommand(program);
    await program.parseAsync([
      'node',
      'deftunes',
      'query',
      '--data-dir',
      dataDir,
      '--json',
      'select artist_id, artist_name from dim_artists',
    ]);
  } finally {
    spy.mockRestore();
  }
  expect(JSON.parse(written.join(''))).toEqual([{ artist_id: 'A1', artist_name: 'Aurora Lane' }]);
});
