/**
 * RedshiftDataWarehouse against a mocked Data API: parameters, polling with capped backoff, result pages,
 * batch transactions with inlined literals, failures naming the statement, and the API's limits.
 */
import {
  BatchExecuteStatementCommand,
  DescribeStatementCommand,
  ExecuteStatementCommand,
  GetStatementResultCommand,
  RedshiftDataClient,
} from '@aws-sdk/client-redshift-data';
import { mockClient } from 'aws-sdk-client-mock';
import { finishedBatch } from '../fixtures/data-api';
import {
  inlineParameters,
  MAX_BATCH_STATEMENTS,
  RedshiftDataWarehouse,
  sqlLiteral,
} from '../../lambdas/shared/redshift-data-warehouse';

const redshift = mockClient(RedshiftDataClient);
let sleeps: number[];

function warehouse(
  overrides: Partial<ConstructorParameters<typeof RedshiftDataWarehouse>[0]> = {},
): RedshiftDataWarehouse {
  return new RedshiftDataWarehouse({
    client: new RedshiftDataClient({ region: 'eu-west-1' }),
    workgroupName: 'deftunes-dev',
    database: 'deftunes',
    polling: { initialDelayMs: 100, maxDelayMs: 400, timeoutMs: 60_000 },
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    ...overrides,
  });
}

beforeEach(() => {
  redshift.reset();
  sleeps = [];
});

test('query sends named parameters, polls with capped exponential backoff and reads every result page', async () => {
  redshift.on(ExecuteStatementCommand).resolves({ Id: 'q-1' });
  redshift
    .on(DescribeStatementCommand)
    .resolvesOnce({ Status: 'SUBMITTED' })
    .resolvesOnce({ Status: 'PICKED' })
    .resolvesOnce({ Status: 'STARTED' })
    .resolvesOnce({ Status: 'STARTED' })
    .resolvesOnce({ Status: 'STARTED' })
    .resolves({ Status: 'FINISHED', HasResultSet: true });
  redshift
    .on(GetStatementResultCommand, { Id: 'q-1', NextToken: undefined })
    .resolves({
      ColumnMetadata: [
        { name: 'country_code' },
        { name: 'total_sales' },
        { name: 'buyers' },
        { name: 'is_current' },
      ],
      Records: [[{ stringValue: 'US' }, { stringValue: '2.98' }, { longValue: 1 }, { booleanValue: true }]],
      NextToken: 'page-2',
    })
    .on(GetStatementResultCommand, { Id: 'q-1', NextToken: 'page-2' })
    .resolves({
      ColumnMetadata: [
        { name: 'country_code' },
        { name: 'total_sales' },
        { name: 'buyers' },
        { name: 'is_current' },
      ],
      Records: [[{ stringValue: 'GB' }, { stringValue: '7.00' }, { longValue: 2 }, { isNull: true }]],
    });

  const rows = await warehouse({
    secretArn: 'arn:aws:secretsmanager:eu-west-1:111111111111:secret:redshift',
  }).query(
    "select country_code from deftunes_serving.fact where ingest_on = cast(:run_date as date) and note = ':not_a_parameter' and x::int > :minimum",
    { run_date: '2024-03-01', minimum: 3 },
  );

  expect(rows).toEqual([
    { country_code: 'US', total_sales: '2.98', buyers: 1, is_current: true },
    { country_code: 'GB', total_sales: '7.00', buyers: 2, is_current: null },
  ]);
  expect(redshift).toHaveReceivedCommandWith(ExecuteStatementCommand, {
    WorkgroupName: 'deftunes-dev',
    Database: 'deftunes',
    SecretArn: 'arn:aws:secretsmanager:eu-west-1:111111111111:secret:redshift',
    Parameters: [
      { name: 'run_date', value: '2024-03-01' },
      { name: 'minimum', value: '3' },
    ],
  });
  expect(sleeps).toEqual([100, 200, 400, 400, 400]);
  expect(redshift).toHaveReceivedCommandTimes(GetStatementResultCommand, 2);
});

test('query inlines null and empty parameters (the Data API accepts neither) and skips results when there are none', async () => {
  redshift.on(ExecuteStatementCommand).resolves({ Id: 'q-2' });
  redshift.on(DescribeStatementCommand).resolves({ Status: 'FINISHED', HasResultSet: false });
  await expect(
    warehouse().query('update t set x = :value, y = :empty where id = :id', {
      value: null,
      empty: '',
      id: 'a',
    }),
  ).resolves.toEqual([]);
  expect(redshift).toHaveReceivedCommandWith(ExecuteStatementCommand, {
    Sql: "update t set x = NULL, y = '' where id = :id",
    Parameters: [{ name: 'id', value: 'a' }],
  });
  expect(redshift).not.toHaveReceivedCommand(GetStatementResultCommand);
});

test('a failed query rejects with Redshift’s message', async () => {
  redshift.on(ExecuteStatementCommand).resolves({ Id: 'q-3' });
  redshift
    .on(DescribeStatementCommand)
    .resolves({ Status: 'FAILED', Error: 'ERROR: relation "nope" does not exist' });
  await expect(warehouse().query('select * from nope')).rejects.toThrow(
    'Redshift statement "query" failed: ERROR: relation "nope" does not exist',
  );
});

test('a missing parameter value is refused before anything is sent', async () => {
  await expect(warehouse().query('select :run_date')).rejects.toThrow('no value for parameter :run_date');
  expect(redshift).not.toHaveReceivedCommand(ExecuteStatementCommand);
});

test('polling gives up after the timeout, naming the statement', async () => {
  redshift.on(ExecuteStatementCommand).resolves({ Id: 'q-4' });
  redshift.on(DescribeStatementCommand).resolves({ Status: 'STARTED' });
  await expect(
    warehouse({ polling: { initialDelayMs: 100, maxDelayMs: 100, timeoutMs: 0 } }).query('select 1'),
  ).rejects.toThrow(/q-4 \("query"\) still STARTED/);
});

test('a transaction is one BatchExecuteStatement with parameters inlined as checked literals', async () => {
  redshift.on(BatchExecuteStatementCommand).resolves({ Id: 'b-1' });
  redshift
    .on(DescribeStatementCommand)
    .resolvesOnce({ Status: 'STARTED' })
    .resolvesOnce(finishedBatch('b-1', 2))
    .resolves(finishedBatch('b-1', 1));
  const rows = await warehouse().transaction([
    { sql: 'create schema if not exists "deftunes_serving"', label: 'schema' },
    {
      sql: "delete from f where ingest_on = cast(:run_date as date) and note <> 'keep :run_date' and n > :n and ok = :ok",
      parameters: { run_date: '2024-03-01', n: 2.5, ok: true },
      label: 'model f: delete',
    },
  ]);
  expect(redshift).toHaveReceivedCommandWith(BatchExecuteStatementCommand, {
    WorkgroupName: 'deftunes-dev',
    Database: 'deftunes',
    Sqls: [
      'create schema if not exists "deftunes_serving"',
      "delete from f where ingest_on = cast('2024-03-01' as date) and note <> 'keep :run_date' and n > 2.5 and ok = TRUE",
    ],
    ExecutionMode: 'TRANSACTION',
  });
  expect(redshift).toHaveReceivedCommandTimes(DescribeStatementCommand, 2);
  expect(rows).toEqual([[], []]);

  // Each transaction has its own idempotency token: an SDK retry reuses it, a new transaction does not.
  await warehouse().transaction([{ sql: 'select 1', label: 'again' }]);
  const tokens = redshift
    .commandCalls(BatchExecuteStatementCommand)
    .map((call) => call.args[0].input.ClientToken);
  expect(tokens).toHaveLength(2);
  expect(tokens[0]).toMatch(/^[0-9a-f-]{36}$/);
  expect(tokens[1]).not.toBe(tokens[0]);
});

test('a transaction returns the rows of each sub-statement with a result set, read as <id>:<n>, or none after COMMIT when they cannot be read', async () => {
  redshift.on(BatchExecuteStatementCommand).resolves({ Id: 'b-2' });
  redshift.on(DescribeStatementCommand).resolves(finishedBatch('b-2', 2, (index) => index === 1));
  redshift.on(GetStatementResultCommand, { Id: 'b-2:2' }).resolves({
    ColumnMetadata: [{ name: 'test_name' }, { name: 'failures' }],
    Records: [[{ stringValue: 'unique_dim_users_user_key' }, { doubleValue: 0 }]],
  });
  const statements = [
    { sql: 'insert into t values (1)', label: 'insert' },
    { sql: 'select 1', label: 'guard' },
  ];
  expect(await warehouse().transaction(statements)).toEqual([
    [],
    [{ test_name: 'unique_dim_users_user_key', failures: 0 }],
  ]);
  expect(redshift).toHaveReceivedCommandTimes(GetStatementResultCommand, 1);

  // The batch has committed: rows it cannot read (a description without every sub-statement, a failing
  // GetStatementResult) are none, not a failed transaction.
  redshift.on(DescribeStatementCommand).resolves({ Id: 'b-2', Status: 'FINISHED', SubStatements: [] });
  expect(await warehouse().transaction(statements)).toEqual([[], []]);
  redshift.on(DescribeStatementCommand).resolves(finishedBatch('b-2', 2, (index) => index === 1));
  redshift
    .on(GetStatementResultCommand, { Id: 'b-2:2' })
    .rejects(new Error('ThrottlingException: Rate exceeded'));
  expect(await warehouse().transaction(statements)).toEqual([[], []]);
});

test('a failed transaction names the failing statement’s label and Redshift’s message', async () => {
  redshift.on(BatchExecuteStatementCommand).resolves({ Id: 'b-2' });
  redshift.on(DescribeStatementCommand).resolves({
    Status: 'FAILED',
    Error: 'batch failed',
    SubStatements: [
      { Id: 'b-2:1', Status: 'FINISHED' },
      { Id: 'b-2:2', Status: 'FAILED', Error: 'ERROR: column "bogus" does not exist' },
      { Id: 'b-2:3', Status: 'ABORTED' },
    ],
  });
  await expect(
    warehouse().transaction([
      { sql: 'select 1', label: 'model a: build' },
      { sql: 'select bogus', label: "model fact_session_items: insert the run date's rows" },
      { sql: 'select 3', label: 'model c: swap' },
    ]),
  ).rejects.toThrow(
    'Redshift statement "model fact_session_items: insert the run date\'s rows" failed: ERROR: column "bogus" does not exist (the whole transaction was rolled back)',
  );
});

test('the Data API limits are checked before sending: 40 statements per batch, 100 KB per statement', async () => {
  const many = Array.from({ length: MAX_BATCH_STATEMENTS + 1 }, (_, index) => ({
    sql: 'select 1',
    label: `s${index}`,
  }));
  await expect(warehouse().transaction(many)).rejects.toThrow(/41 statements exceeds the Data API's 40/);
  await expect(
    warehouse().transaction([{ sql: `select '${'x'.repeat(100 * 1024)}'`, label: 'model big: build' }]),
  ).rejects.toThrow(/statement "model big: build" is \d+ bytes; the Data API accepts at most 102400/);
  expect(redshift).not.toHaveReceivedCommand(BatchExecuteStatementCommand);
});

test('literals: quotes are doubled; backslashes, control characters and non-finite numbers are refused', () => {
  expect(sqlLiteral("O'Brien", 'p')).toBe("'O''Brien'");
  expect(sqlLiteral(null, 'p')).toBe('NULL');
  expect(sqlLiteral(false, 'p')).toBe('FALSE');
  expect(() => sqlLiteral('a\\b', 'statement "x", parameter :p')).toThrow(
    'statement "x", parameter :p: refusing to inline',
  );
  expect(() => sqlLiteral('a\nb', 'p')).toThrow(/control character/);
  expect(() => sqlLiteral(Number.NaN, 'p')).toThrow(/cannot be written/);
  expect(inlineParameters('select :a, \':a\', "col:a", x::date -- :a\n', { a: 'v' }, 'l')).toBe(
    "select 'v', ':a', \"col:a\", x::date -- :a\n",
  );
});
