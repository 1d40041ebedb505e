import { executeDefinition } from '../../lib/local/pipeline/execute-definition';
import type { StateMachineDefinition } from '../../lib/local/pipeline/local-stepfunctions';
import {
  bindTaskStates,
  collectTaskStates,
  STATE_PAYLOAD_LIMIT_BYTES,
  taskServiceOf,
} from '../../lib/local/pipeline/task-states';

const definition = {
  StartAt: 'Work',
  States: {
    Work: {
      Type: 'Parallel',
      Branches: [
        {
          StartAt: 'Extract',
          States: {
            Extract: {
              Type: 'Task',
              Resource: 'arn:aws:states:::lambda:invoke',
              Parameters: { 'Payload.$': '$' },
              TimeoutSeconds: 5,
              Retry: [{ ErrorEquals: ['Transient'], MaxAttempts: 2, IntervalSeconds: 1 }],
              End: true,
            },
          },
        },
      ],
      Catch: [{ ErrorEquals: ['States.ALL'], Next: 'NotifyFailure', ResultPath: '$.error' }],
      ResultPath: '$.work',
      Next: 'Gate',
    },
    Gate: {
      Type: 'Choice',
      Choices: [{ Variable: '$.work[0].status', StringEquals: 'failed', Next: 'NotifyFailure' }],
      Default: 'Done',
    },
    NotifyFailure: {
      Type: 'Task',
      Resource: 'arn:aws:states:::sns:publish',
      Parameters: { 'Message.$': 'States.JsonToString($)' },
      TimeoutSeconds: 5,
      Next: 'LockHeld',
    },
    // Clean-up after the alert, as DailyPipeline releases its run lock: never the failure to report.
    LockHeld: {
      Type: 'Choice',
      Choices: [{ Variable: '$.lock', IsPresent: true, Next: 'Release' }],
      Default: 'PipelineFailed',
    },
    Release: {
      Type: 'Task',
      Resource: 'arn:aws:states:::lambda:invoke',
      TimeoutSeconds: 5,
      Catch: [{ ErrorEquals: ['States.ALL'], Next: 'PipelineFailed', ResultPath: '$.releaseError' }],
      Next: 'PipelineFailed',
    },
    PipelineFailed: { Type: 'Fail', Error: 'PipelineFailed', Cause: 'see the alert' },
    Done: { Type: 'Succeed' },
  },
} as unknown as StateMachineDefinition;

const notify = async () => ({ MessageId: 'local' });

describe('task state binding', () => {
  test('finds Task states inside Parallel branches and names their service', () => {
    expect(collectTaskStates(definition).map((task) => [task.name, task.service])).toEqual([
      ['Extract', 'lambda'],
      ['NotifyFailure', 'sns'],
      ['Release', 'lambda'],
    ]);
    expect(taskServiceOf('arn:aws:states:::glue:startJobRun.sync')).toBe('glue');
  });

  test('an unbound state is an error naming it, and so is a binding for a state that does not exist', () => {
    expect(() => bindTaskStates(definition, { NotifyFailure: notify })).toThrow(/no local binding.*Extract/);
    expect(() =>
      bindTaskStates(definition, { Extract: notify, NotifyFailure: notify, Renamed: notify }),
    ).toThrow(/not in the definition: Renamed/);
  });
});

test('a bound task whose result is over 256 KiB fails with States.DataLimitExceeded, as in AWS', async () => {
  const justUnder = 'x'.repeat(STATE_PAYLOAD_LIMIT_BYTES - 2); // JSON adds the two quotes
  const handlers = bindTaskStates(definition, {
    Extract: async (input) => (input === 'grow' ? `${justUnder}x` : justUnder),
    NotifyFailure: notify,
    Release: notify,
  });
  await expect(handlers.Extract('ok')).resolves.toHaveLength(STATE_PAYLOAD_LIMIT_BYTES - 2);
  await expect(handlers.Extract('grow')).rejects.toMatchObject({
    name: 'States.DataLimitExceeded',
    message: expect.stringMatching(/Extract: its result is 262145 bytes/),
  });
  await expect(handlers.NotifyFailure(justUnder + 'xy')).rejects.toThrow(/NotifyFailure: its input is/);
});

describe('executeDefinition', () => {
  test('records every state with its status and duration on success', async () => {
    const outcome = await executeDefinition({
      definition,
      input: { run_date: '2020-02-01' },
      handlers: { Extract: async () => ({ status: 'passed' }), NotifyFailure: notify, Release: notify },
    });
    expect(outcome.status).toBe('succeeded');
    expect(outcome.states.map((state) => [state.name, state.status])).toEqual([
      ['Work', 'succeeded'],
      ['Extract', 'succeeded'],
      ['Gate', 'succeeded'],
      ['Done', 'succeeded'],
    ]);
    expect(outcome.states.every((state) => typeof state.ms === 'number')).toBe(true);
  });

  test('reports the final error of a Task after its retries, not the retried one', async () => {
    let attempt = 0;
    const outcome = await executeDefinition({
      definition,
      input: { run_date: '2020-02-01' },
      retryIntervalOverrides: { Extract: 0 },
      handlers: {
        Extract: async () => {
          attempt += 1;
          const error = new Error(`attempt ${attempt} broke`);
          error.name = attempt === 1 ? 'Transient' : 'Permanent';
          throw error;
        },
        NotifyFailure: notify,
        Release: notify,
      },
    });
    expect(outcome.status).toBe('failed');
    expect(outcome.failure).toEqual({ state: 'Extract', error: 'Permanent', cause: 'attempt 2 broke' });
    expect(outcome.states.find((state) => state.name === 'Extract')?.retries).toBe(1);
  });

  test("a task error wrapping an engine error is reported with its own name and message, not the engine's", async () => {
    const outcome = await executeDefinition({
      definition,
      input: { run_date: '2020-02-01' },
      handlers: {
        Extract: async () => {
          // The engine's error, as a native binding may throw it: no enumerable property.
          const engine = Object.create(null) as object;
          const error = new Error(
            'LoadServing: statement 3 failed on DuckDB: guard fact_listens_user_coverage',
            {
              cause: engine,
            },
          );
          error.name = 'ServingLoadError';
          throw error;
        },
        NotifyFailure: notify,
        Release: notify,
      },
    });
    expect(outcome.failure).toEqual({
      state: 'Extract',
      error: 'ServingLoadError',
      cause: 'LoadServing: statement 3 failed on DuckDB: guard fact_listens_user_coverage',
    });
  });

  test('a gate that routes to the Fail state is reported with the Choice that sent it there', async () => {
    const outcome = await executeDefinition({
      definition,
      input: { run_date: '2020-02-01' },
      handlers: { Extract: async () => ({ status: 'failed' }), NotifyFailure: notify, Release: notify },
    });
    expect(outcome.failure).toEqual({ state: 'Gate', error: 'PipelineFailed', cause: 'see the alert' });
  });
});
