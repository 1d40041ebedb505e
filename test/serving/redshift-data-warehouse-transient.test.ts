/**
 * RedshiftDataWarehouse against a mocked Data API: which failures come out as TransientWarehouseError (the
 * error DailyPipeline retries), which keep their own error, and the cancellation of a statement that runs
 * past the polling deadline.
 */
import {
  ActiveStatementsExceededException,
  BatchExecuteStatementCommand,
  CancelStatementCommand,
  DatabaseConnectionException,
  DescribeStatementCommand,
  ExecuteStatementCommand,
  GetStatementResultCommand,
  RedshiftDataClient,
  RedshiftDataServiceException,
  ValidationException,
} from '@aws-sdk/client-redshift-data';
import { mockClient } from 'aws-sdk-client-mock';
import {
  isTransientFailureMessage,
  isTransientWarehouseError,
  RedshiftDataWarehouse,
  TransientWarehouseError,
} from '../../lambdas/shared/redshift-data-warehouse';

const redshift = mockClient(RedshiftDataClient);
const meta = { $metadata: {} };

function warehouse(timeoutMs = 60_000): RedshiftDataWarehouse {
  return new RedshiftDataWarehouse({
    client: new RedshiftDataClient({ region: 'eu-west-1' }),
    workgroupName: 'deftunes-dev',
    database: 'deftunes',
    polling: { initialDelayMs: 100, maxDelayMs: 100, timeoutMs },
    sleep: async () => undefined,
  });
}

const throttling = () =>
  new RedshiftDataServiceException({
    name: 'ThrottlingException',
    $fault: 'client',
    message: 'Rate exceeded',
    ...meta,
  });

/** The rejection of `promise` (fails the test when it resolves). */
async function rejectionOf(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a rejection');
}

beforeEach(() => redshift.reset());

describe('transient Data API errors', () => {
  it('turns a throttled ExecuteStatement into TransientWarehouseError naming the call and keeping the cause', async () => {
    redshift.on(ExecuteStatementCommand).rejects(throttling());
    const error = await rejectionOf(warehouse().query('select 1'));
    expect(error).toBeInstanceOf(TransientWarehouseError);
    expect(error.name).toBe('TransientWarehouseError');
    expect(error.message).toBe(
      'Redshift Data API ExecuteStatement ("query"): ThrottlingException: Rate exceeded',
    );
    expect((error.cause as Error).name).toBe('ThrottlingException');
    expect(isTransientWarehouseError(error)).toBe(true);
  });

  it('does the same for too many active statements on a transaction, and on DescribeStatement and GetStatementResult', async () => {
    redshift.on(BatchExecuteStatementCommand).rejects(
      new ActiveStatementsExceededException({
        message: 'Active statements exceeded the allowed quota',
        ...meta,
      }),
    );
    const batch = await rejectionOf(
      warehouse().transaction([{ sql: 'delete from t', label: 'model t: delete the run date' }]),
    );
    expect(batch.name).toBe('TransientWarehouseError');
    expect(batch.message).toContain('BatchExecuteStatement ("model t: delete the run date", ...)');
    expect(batch.message).toContain('ActiveStatementsExceededException');

    redshift.reset();
    redshift.on(ExecuteStatementCommand).resolves({ Id: 'q-1' });
    redshift.on(DescribeStatementCommand).rejects(throttling());
    expect((await rejectionOf(warehouse().query('select 1'))).message).toContain('DescribeStatement q-1');

    redshift.reset();
    redshift.on(ExecuteStatementCommand).resolves({ Id: 'q-2' });
    redshift.on(DescribeStatementCommand).resolves({ Status: 'FINISHED', HasResultSet: true });
    redshift.on(GetStatementResultCommand).rejects(
      new DatabaseConnectionException({
        message: 'Connection to the database failed',
        Message: 'Connection to the database failed',
        ...meta,
      }),
    );
    const read = await rejectionOf(warehouse().query('select 1'));
    expect(read.name).toBe('TransientWarehouseError');
    expect(read.message).toContain('GetStatementResult q-2');
  });

  it('classifies a statement that FAILED because the workgroup was unavailable or a transaction conflicted', async () => {
    redshift.on(ExecuteStatementCommand).resolves({ Id: 'q-3' });
    redshift.on(DescribeStatementCommand).resolves({
      Status: 'FAILED',
      Error: 'ERROR: The workgroup deftunes-dev is not available right now; it is resuming',
    });
    const paused = await rejectionOf(warehouse().query('select 1'));
    expect(paused.name).toBe('TransientWarehouseError');
    expect(paused.message).toMatch(/^Redshift statement "query" failed: ERROR: The workgroup/);

    redshift.reset();
    redshift.on(BatchExecuteStatementCommand).resolves({ Id: 'b-1' });
    redshift.on(DescribeStatementCommand).resolves({
      Status: 'FAILED',
      SubStatements: [
        { Id: 'b-1:1', Status: 'FINISHED' },
        {
          Id: 'b-1:2',
          Status: 'FAILED',
          Error:
            'ERROR: 1023 DETAIL: Serializable isolation violation on table - 123456, transactions forming the cycle are: 1, 2',
        },
      ],
    });
    const conflict = await rejectionOf(
      warehouse().transaction([
        { sql: 'delete from t', label: 'model t: delete the run date' },
        { sql: 'insert into t select 1', label: "model t: insert the run date's rows" },
      ]),
    );
    expect(conflict.name).toBe('TransientWarehouseError');
    expect(conflict.message).toContain(`"model t: insert the run date's rows" failed`);
    expect(conflict.message).toContain('(the whole transaction was rolled back)');
  });

  it('keeps every other failure as it is: a bad statement is not retried', async () => {
    redshift.on(ExecuteStatementCommand).resolves({ Id: 'q-4' });
    redshift.on(DescribeStatementCommand).resolves({
      Status: 'FAILED',
      Error: 'ERROR: relation "deftunes_serving.missing" does not exist',
    });
    const failed = await rejectionOf(warehouse().query('select * from deftunes_serving.missing'));
    expect(failed.name).toBe('Error');
    expect(isTransientWarehouseError(failed)).toBe(false);

    redshift.reset();
    const invalid = new ValidationException({ message: 'Workgroup name is invalid', ...meta });
    redshift.on(ExecuteStatementCommand).rejects(invalid);
    const rejected = await rejectionOf(warehouse().query('select 1'));
    expect(rejected.name).toBe('ValidationException');
    expect(rejected.message).toBe('Workgroup name is invalid');
  });

  it.each([
    ['Cluster deftunes is paused', true],
    ['The workgroup deftunes-dev is currently unavailable', true],
    ['Insufficient capacity to run the query', true],
    ['FATAL: too many connections for database "deftunes"', true],
    ['ERROR: syntax error at or near "selec"', false],
    ['ERROR: permission denied for schema deftunes_serving', false],
    ['ERROR: column "paused" does not exist', false],
  ])('isTransientFailureMessage(%j) is %s', (message, transient) => {
    expect(isTransientFailureMessage(message)).toBe(transient);
  });
});

describe('the polling deadline', () => {
  it('cancels a statement still running at the deadline, then fails naming it', async () => {
    redshift.on(BatchExecuteStatementCommand).resolves({ Id: 'b-2' });
    redshift.on(DescribeStatementCommand).resolves({ Status: 'STARTED' });
    redshift.on(CancelStatementCommand).resolves({ Status: true });
    const error = await rejectionOf(
      warehouse(0).transaction([{ sql: 'insert into t select 1', label: 'model t: insert' }]),
    );
    expect(redshift.commandCalls(CancelStatementCommand).map((call) => call.args[0].input)).toEqual([
      { Id: 'b-2' },
    ]);
    expect(error.name).toBe('WarehouseStatementTimeout');
    expect(error.message).toBe(
      'Redshift statement b-2 ("model t: insert") still STARTED after 0 ms; cancelled it (a transaction is rolled back)',
    );
  });

  it('still reports the timeout when the cancellation fails or does nothing', async () => {
    redshift.on(ExecuteStatementCommand).resolves({ Id: 'q-5' });
    redshift.on(DescribeStatementCommand).resolves({ Status: 'SUBMITTED' });
    redshift.on(CancelStatementCommand).rejects(throttling());
    const failedCancel = await rejectionOf(warehouse(0).query('select 1'));
    expect(failedCancel.name).toBe('WarehouseStatementTimeout');
    expect(failedCancel.message).toMatch(
      /still SUBMITTED after 0 ms; CancelStatement failed: Rate exceeded$/,
    );

    redshift.on(CancelStatementCommand).resolves({ Status: false });
    const notCancelled = await rejectionOf(warehouse(0).query('select 1'));
    expect(notCancelled.message).toMatch(/CancelStatement did not cancel it/);
  });

  it('does not cancel a statement that ends in time', async () => {
    redshift.on(ExecuteStatementCommand).resolves({ Id: 'q-6' });
    redshift
      .on(DescribeStatementCommand)
      .resolvesOnce({ Status: 'STARTED' })
      .resolves({ Status: 'FINISHED', HasResultSet: false });
    await expect(warehouse().query('select 1')).resolves.toEqual([]);
    expect(redshift.commandCalls(CancelStatementCommand)).toHaveLength(0);
  });
});
