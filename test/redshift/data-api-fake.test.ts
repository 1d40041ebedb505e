/**
 * The Redshift Data API fake itself: the API's shapes and limits, its asynchrony, one transaction per
 * batch, typed result fields with paging, and the Redshift translations of redshift-dialect.ts (and that
 * what is not translated fails).
 */
import {
  BatchExecuteStatementCommand,
  CancelStatementCommand,
  DescribeStatementCommand,
  ExecuteStatementCommand,
  GetStatementResultCommand,
} from '@aws-sdk/client-redshift-data';
import type { RedshiftDataWarehouse } from '../../lambdas/shared/redshift-data-warehouse';
import { FakeRedshiftData } from './fake/data-api-fake';

const TARGET = { WorkgroupName: 'deftunes', Database: 'dev' };
type SqlParameters = { name: string; value: string }[];

/** BatchExecuteStatement of `sqls` on the test workgroup. */
const batch = (sqls: string[], parameters?: SqlParameters) =>
  new BatchExecuteStatementCommand({ ...TARGET, Sqls: sqls, ...(parameters && { Parameters: parameters }) });
/** ExecuteStatement of `sql` on the test workgroup. */
const statement = (sql: string, parameters?: SqlParameters) =>
  new ExecuteStatementCommand({ ...TARGET, Sql: sql, ...(parameters && { Parameters: parameters }) });

let fake: FakeRedshiftData;
let warehouse: RedshiftDataWarehouse;

beforeAll(async () => {
  fake = await FakeRedshiftData.start({ pageSize: 2 });
  warehouse = fake.warehouse();
}, 60_000);

afterAll(() => fake?.close());

async function settle(id: string): Promise<{ statuses: string[]; final: Record<string, unknown> }> {
  const statuses: string[] = [];
  for (;;) {
    const description = await fake.send(new DescribeStatementCommand({ Id: id }));
    statuses.push(description.Status);
    if (['FINISHED', 'FAILED', 'ABORTED'].includes(description.Status))
      return { statuses, final: description };
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
}

describe('statements', () => {
  test('are asynchronous: STARTED is reported before FINISHED, and results come typed, page by page', async () => {
    const { Id } = await fake.send(
      statement(
        `select n as long_value, n * 1.5::float8 as double_value, n % 2 = 0 as even, cast(n as numeric(10, 2)) as price,
                     cast(:day as date) + n as day, cast(null as varchar) as nothing, 'n' || n as label
              from generate_series(1, 5) as n order by n`,
        [{ name: 'day', value: '2024-03-01' }],
      ),
    );
    const { statuses, final } = await settle(Id);
    expect(statuses.at(-1)).toBe('FINISHED');
    expect(statuses).toContain('STARTED');
    expect(final).toMatchObject({ HasResultSet: true, ResultRows: 5 });

    const first = await fake.send(new GetStatementResultCommand({ Id }));
    expect(first.ColumnMetadata.map((column: { typeName: string }) => column.typeName)).toEqual([
      'int4',
      'float8',
      'bool',
      'numeric',
      'date',
      'varchar',
      'text',
    ]);
    expect(first.Records).toEqual([
      [
        { longValue: 1 },
        { doubleValue: 1.5 },
        { booleanValue: false },
        { stringValue: '1.00' },
        { stringValue: '2024-03-02' },
        { isNull: true },
        { stringValue: 'n1' },
      ],
      expect.any(Array),
    ]);
    expect(first.TotalNumRows).toBe(5);
    const second = await fake.send(new GetStatementResultCommand({ Id, NextToken: first.NextToken }));
    expect(second.Records[0][0]).toEqual({ longValue: 3 });
    expect(second.NextToken).toBeDefined();
  });

  test('RedshiftDataWarehouse reads every page', async () => {
    const send = jest.spyOn(fake, 'send');
    try {
      const rows = await warehouse.query(
        'select n from generate_series(1, 5) as n where n >= cast(:low as integer)',
        {
          low: 1,
        },
      );
      expect(rows.map((row) => row.n)).toEqual([1, 2, 3, 4, 5]);
      const pages = send.mock.calls.filter(([command]) => command instanceof GetStatementResultCommand);
      expect(pages).toHaveLength(3);
    } finally {
      send.mockRestore();
    }
  });

  test('a statement is its own session: its temporary tables are gone afterwards', async () => {
    await warehouse.transaction([{ sql: 'create temp table scratch as select 1 as one' }]);
    await expect(warehouse.query('select * from scratch')).rejects.toThrow(
      /relation "scratch" does not exist/,
    );
  });
});

describe('BatchExecuteStatement', () => {
  test('runs its Sqls in ONE transaction: a failure rolls every one back and marks the failing sub-statement', async () => {
    const { Id } = await fake.send(
      batch([
        'create table batch_rollback (id integer)',
        'insert into batch_rollback values (1)',
        'select cast(id as date) from batch_rollback',
        'insert into batch_rollback values (2)',
      ]),
    );
    const { final } = await settle(Id);
    expect(final).toMatchObject({
      Status: 'FAILED',
      Error: expect.stringMatching(/^ERROR: cannot cast type integer to date/),
      SubStatements: [
        { Id: `${Id}:1`, Status: 'FINISHED' },
        { Id: `${Id}:2`, Status: 'FINISHED' },
        { Id: `${Id}:3`, Status: 'FAILED', Error: expect.stringMatching(/cannot cast type integer to date/) },
        { Id: `${Id}:4`, Status: 'ABORTED' },
      ],
    });
    await expect(warehouse.query("select to_regclass('batch_rollback') is null as gone")).resolves.toEqual([
      { gone: true },
    ]);
  });

  test("RedshiftDataWarehouse's error names the failing statement's label", async () => {
    await expect(
      warehouse.transaction([
        { sql: 'create table labelled (id integer)', label: 'create it' },
        {
          sql: 'insert into labelled values (:value)',
          parameters: { value: 'not a number' },
          label: 'fill it',
        },
      ]),
    ).rejects.toThrow(/"fill it" failed: ERROR: invalid input syntax for type integer: "not a number"/);
  });

  test("a sub-statement's result is read by its id", async () => {
    const { Id } = await fake.send(
      batch(['select 1 as one', 'select :two as two'], [{ name: 'two', value: '2' }]),
    );
    await settle(Id);
    await expect(fake.send(new GetStatementResultCommand({ Id }))).rejects.toMatchObject({
      name: 'ValidationException',
    });
    const second = await fake.send(new GetStatementResultCommand({ Id: `${Id}:2` }));
    expect(second.Records).toEqual([[{ stringValue: '2' }]]);
  });
});

describe('limits, refused as the Data API refuses them', () => {
  test.each([
    ['over 40 Sqls in a batch', batch(Array.from({ length: 41 }, () => 'select 1'))],
    ['an empty batch', batch([])],
    ['a SQL text over 100 KB', statement(`select 1 -- ${'x'.repeat(100 * 1024)}`)],
    ['a batch SQL text over 100 KB', batch(['select 1', `select 2 -- ${'x'.repeat(100 * 1024)}`])],
    ['an empty parameter value', statement('select :x', [{ name: 'x', value: '' }])],
    ['a parameter no SQL references', batch(['select 1'], [{ name: 'x', value: '1' }])],
    ['no Database', new ExecuteStatementCommand({ WorkgroupName: 'deftunes', Sql: 'select 1' })],
  ])('%s: ValidationException', async (_what, command) => {
    await expect(fake.send(command)).rejects.toMatchObject({ name: 'ValidationException' });
  });

  test('an unknown statement id: ResourceNotFoundException', async () => {
    await expect(
      fake.send(new DescribeStatementCommand({ Id: '00000000-0000-4000-8000-000000000000' })),
    ).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
  });

  test('RedshiftDataWarehouse checks the same limits before sending', async () => {
    const statements = Array.from({ length: 41 }, (_, index) => ({ sql: 'select 1', label: `s${index}` }));
    await expect(warehouse.transaction(statements)).rejects.toThrow(/40 statements/);
  });
});

describe('CancelStatement', () => {
  test('aborts a statement that has not started and rolls nothing in; a finished one cannot be cancelled', async () => {
    const running = await fake.send(statement('select count(*) from generate_series(1, 200000)'));
    const queued = await fake.send(batch(['create table never_made (id integer)', 'select 1']));
    await expect(fake.send(new CancelStatementCommand({ Id: queued.Id }))).resolves.toEqual({ Status: true });
    expect((await settle(queued.Id)).final).toMatchObject({
      Status: 'ABORTED',
      SubStatements: [{ Status: 'ABORTED' }, { Status: 'ABORTED' }],
    });
    await settle(running.Id);
    await expect(fake.send(new CancelStatementCommand({ Id: running.Id }))).rejects.toMatchObject({
      name: 'ValidationException',
    });
    await expect(warehouse.query("select to_regclass('never_made') is null as gone")).resolves.toEqual([
      { gone: true },
    ]);
  });
});

describe('Redshift SQL on Postgres (redshift-dialect.ts)', () => {
  test('the translated functions give Redshift results', async () => {
    const [row] = await warehouse.query(
      `select
      cast(dateadd(day, -7, cast(:day as date)) as varchar(max)) as week_before,
      dateadd(year, 1, date_trunc('year', cast(:day as date))) as next_year,
      datediff(day, cast('2024-02-27' as date), cast(:day as date)) as days,
      pg_typeof(date_trunc('year', cast(:day as date)))::text as trunc_type`,
      { day: '2024-03-01' },
    );
    expect(row).toEqual({
      week_before: '2024-02-23 00:00:00',
      next_year: '2025-01-01 00:00:00',
      days: 3,
      trunc_type: 'timestamp without time zone',
    });
  });

  test.each([
    [
      'a date part not translated',
      "select dateadd(month, 1, cast('2024-03-01' as date))",
      /date part "month" is not translated/,
    ],
    ['a Redshift function not translated', 'select getdate()', /function getdate\(\) does not exist/],
    ['a bare date part outside dateadd', 'select datepart(day, current_date)', /column "day" does not exist/],
  ])('%s fails loudly', async (_what, sql, message) => {
    await expect(warehouse.query(sql)).rejects.toThrow(message);
  });

  test('a parameter without a value reaches Postgres as written and fails there', async () => {
    const { Id } = await fake.send(statement('select :missing'));
    expect((await settle(Id)).final).toMatchObject({
      Status: 'FAILED',
      Error: expect.stringMatching(/syntax error/),
    });
  });

  test('a late-binding view survives the drop of its table and reads the new table; a schema-bound view blocks the drop', async () => {
    await warehouse.transaction([
      { sql: 'create schema late' },
      { sql: 'create table late.base as select 1 as id' },
      { sql: 'create view late.bound_late as select id from late.base with no schema binding' },
    ]);
    await warehouse.transaction([
      { sql: 'create table late.base__new as select 2 as id' },
      { sql: 'drop table late.base' },
      { sql: 'alter table late.base__new rename to base' },
    ]);
    await expect(warehouse.query('select id from late.bound_late')).resolves.toEqual([{ id: 2 }]);

    await warehouse.transaction([{ sql: 'create view late.bound_early as select id from late.base' }]);
    await expect(
      warehouse.transaction([{ sql: 'drop table late.base', label: 'drop under a bound view' }]),
    ).rejects.toThrow(/"drop under a bound view" failed: .*other objects depend on it/);
  });

  test('a list of tables dropped in one statement keeps the late-binding views over any of them', async () => {
    await warehouse.transaction([
      { sql: 'create schema listed' },
      { sql: 'create table listed.a as select 1 as id' },
      { sql: 'create table listed.b as select 10 as id' },
      {
        sql: 'create view listed.both_late as select a.id + b.id as id from listed.a, listed.b with no schema binding',
      },
    ]);
    await warehouse.transaction([
      { sql: 'drop table listed.a, listed.b' },
      { sql: 'create table listed.a as select 2 as id' },
      { sql: 'create table listed.b as select 20 as id' },
    ]);
    await expect(warehouse.query('select id from listed.both_late')).resolves.toEqual([{ id: 22 }]);
  });
});

describe('CancelStatement on a running statement', () => {
  test('a batch cancelled while it runs stops before its next Sql and rolls back', async () => {
    const { Id } = await fake.send(
      batch([
        'create table cancelled_midway (id integer)',
        'select pg_sleep(1)',
        'insert into cancelled_midway values (1)',
      ]),
    );
    // The cancel arrives while pg_sleep runs (it cannot be interrupted: the fake stops before the next Sql).
    while ((await fake.send(new DescribeStatementCommand({ Id: `${Id}:2` }))).Status !== 'STARTED') {
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    await expect(fake.send(new CancelStatementCommand({ Id }))).resolves.toEqual({ Status: true });
    expect((await settle(Id)).final).toMatchObject({
      Status: 'ABORTED',
      SubStatements: [{ Status: 'FINISHED' }, { Status: 'FINISHED' }, { Status: 'ABORTED' }],
    });
    await expect(warehouse.query("select to_regclass('cancelled_midway') is null as gone")).resolves.toEqual([
      { gone: true },
    ]);
  });

  test('RedshiftDataWarehouse cancels a statement that outlives its deadline', async () => {
    const impatient = fake.warehouse({ initialDelayMs: 5, maxDelayMs: 5, timeoutMs: 50 });
    const send = jest.spyOn(fake, 'send');
    try {
      await expect(
        impatient.transaction([
          { sql: 'create table too_slow (id integer)', label: 'create' },
          { sql: 'select pg_sleep(0.3)', label: 'wait' },
          { sql: 'insert into too_slow values (1)', label: 'insert' },
        ]),
      ).rejects.toThrow(/still (?:SUBMITTED|STARTED) after 50 ms; cancelled it/);
      const cancelled = send.mock.calls.find(([command]) => command instanceof CancelStatementCommand);
      expect(cancelled).toBeDefined();
      const { final } = await settle((cancelled![0] as CancelStatementCommand).input.Id!);
      expect(final.Status).toBe('ABORTED');
    } finally {
      send.mockRestore();
    }
    await expect(warehouse.query("select to_regclass('too_slow') is null as gone")).resolves.toEqual([
      { gone: true },
    ]);
  });
});
