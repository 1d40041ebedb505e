/**
 * Runs one execution of a state machine definition with aws-local-stepfunctions and turns its event log
 * into a per-state record (name, status, duration) and, on failure, the state that failed first with its
 * error and cause.
 */
import { StateMachine, type EventLog, type StateMachineDefinition } from './local-stepfunctions';
import type { JsonValue, LocalTaskHandler } from './task-states';

export type StateStatus = 'running' | 'succeeded' | 'failed' | 'caught';

export interface StateRecord {
  readonly name: string;
  readonly type: string;
  status: StateStatus;
  readonly startedAt: number;
  ms?: number;
  retries: number;
}

export interface ExecutionFailure {
  /** The state that failed first (a Task, not the Parallel around it). */
  readonly state: string;
  readonly error: string;
  readonly cause: string;
}

export interface ExecutionOutcome {
  readonly status: 'succeeded' | 'failed';
  readonly states: StateRecord[];
  readonly output?: JsonValue;
  readonly failure?: ExecutionFailure;
  readonly ms: number;
}

export interface ExecutionObserver {
  stateEntered?(state: StateRecord): void;
  stateExited?(state: StateRecord): void;
  stateRetried?(state: StateRecord, error: string): void;
}

export interface ExecuteOptions {
  readonly definition: StateMachineDefinition;
  readonly input: JsonValue;
  readonly handlers: Readonly<Record<string, LocalTaskHandler>>;
  readonly observer?: ExecutionObserver;
  /** Retry waits in ms per retryable state name; the definition's own intervals apply otherwise. */
  readonly retryIntervalOverrides?: Record<string, number>;
  /** The state machine's name in the context object (`$$.StateMachine.Name`). @default 'DailyPipeline' */
  readonly name?: string;
  /**
   * The state every failure goes through (the alert). What runs after it (releasing the run lock, its own
   * choices and retries) is clean-up, never the failure to report.
   * @default 'NotifyFailure'
   */
  readonly failurePathStart?: string;
}

function causeText(cause: unknown): string {
  if (typeof cause === 'string') return cause;
  if (cause instanceof Error) return cause.message;
  return JSON.stringify(cause);
}

/**
 * A failed Task is reported as Step Functions reports a Lambda's error: its own name and message.
 * aws-local-stepfunctions reports the error's ES2022 `cause` instead when it has one, so an engine error
 * wrapped with the statement that failed (`new Error(message, { cause })`) came out as `{}`.
 */
function reportingOwnMessage(handler: LocalTaskHandler): LocalTaskHandler {
  return async (...args) => {
    try {
      return await handler(...args);
    } catch (error) {
      if (!(error instanceof Error) || error.cause === undefined) throw error;
      const reported = new Error(error.message);
      reported.name = error.name;
      reported.stack = error.stack;
      throw reported;
    }
  };
}

export async function executeDefinition(options: ExecuteOptions): Promise<ExecutionOutcome> {
  const machine = new StateMachine(options.definition, {
    validationOptions: { checkArn: false, checkPaths: true },
  });
  const started = Date.now();
  const executionName = `local-${new Date(started).toISOString().replace(/[:.]/g, '-')}`;
  const execution = machine.run(options.input as never, {
    overrides: {
      taskResourceLocalHandlers: Object.fromEntries(
        Object.entries(options.handlers).map(([state, handler]) => [state, reportingOwnMessage(handler)]),
      ) as never,
      retryIntervalOverrides: options.retryIntervalOverrides,
    },
    context: {
      Execution: {
        Id: `arn:aws:states:local:000000000000:execution:${options.name ?? 'DailyPipeline'}:${executionName}`,
        Name: executionName,
        Input: options.input as never,
        StartTime: new Date(started).toISOString(),
        RoleArn: 'arn:aws:iam::000000000000:role/local',
      },
      StateMachine: {
        Id: `arn:aws:states:local:000000000000:stateMachine:${options.name ?? 'DailyPipeline'}`,
        Name: options.name ?? 'DailyPipeline',
      },
    },
  });

  const states: StateRecord[] = [];
  const open = new Map<string, StateRecord>();
  // The failure to report: the last Task failure that was not retried away, else (a quality gate sending
  // the run to its Fail state) the Fail state's error with the Choice that routed there.
  let taskFailure: ExecutionFailure | undefined;
  let executionFailure: { error: string; cause: string } | undefined;
  let lastChoice: string | undefined;
  let cleaningUp = false;
  const failurePathStart = options.failurePathStart ?? 'NotifyFailure';

  const close = (record: StateRecord, timestamp: number): void => {
    record.ms = timestamp - record.startedAt;
    open.delete(record.name);
    options.observer?.stateExited?.(record);
  };

  const consumeEvents = async (): Promise<void> => {
    for await (const event of execution.eventLogs as AsyncIterable<EventLog>) {
      if (event.type === 'ExecutionFailed') {
        executionFailure = { error: event.Error, cause: causeText(event.Cause) };
        continue;
      }
      if (!('state' in event)) continue;
      const name = event.state.name;
      const record = open.get(name);
      switch (event.type) {
        case 'StateEntered': {
          if (name === failurePathStart) cleaningUp = true;
          const entered: StateRecord = {
            name,
            type: event.state.type,
            status: 'running',
            startedAt: event.timestamp,
            retries: 0,
          };
          states.push(entered);
          open.set(name, entered);
          options.observer?.stateEntered?.(entered);
          break;
        }
        case 'StateFailed':
          if (!record) break;
          record.status = 'failed';
          if (record.type === 'Task' && !cleaningUp)
            taskFailure = { state: name, error: event.Error, cause: causeText(event.Cause) };
          if (record.type === 'Fail') close(record, event.timestamp);
          break;
        case 'StateRetried':
          if (!record) break;
          record.status = 'running';
          record.retries += 1;
          if (taskFailure?.state === name) taskFailure = undefined;
          options.observer?.stateRetried?.(record, `attempt ${record.retries + 1}`);
          break;
        case 'StateCaught':
          if (!record) break;
          record.status = 'caught';
          close(record, event.timestamp);
          break;
        case 'StateExited':
          if (!record) break;
          if (record.status === 'running') record.status = 'succeeded';
          if (record.type === 'Choice' && !cleaningUp) lastChoice = name;
          close(record, event.timestamp);
          break;
      }
    }
    for (const record of open.values()) close(record, Date.now());
  };

  const eventsDone = consumeEvents();
  let output: JsonValue | undefined;
  let thrown: Error | undefined;
  try {
    output = (await execution.result) as JsonValue;
  } catch (error) {
    thrown = error as Error;
  }
  await eventsDone;
  if (!thrown) return { status: 'succeeded', states, output, ms: Date.now() - started };
  const failure = taskFailure ?? {
    state: lastChoice ?? '(execution)',
    error: executionFailure?.error ?? thrown.name,
    cause: executionFailure?.cause ?? thrown.message,
  };
  return { status: 'failed', states, failure, ms: Date.now() - started };
}
