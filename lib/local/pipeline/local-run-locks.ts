/**
 * The local stand-in for DailyPipeline's run-lock table: one file per run date under
 * `<data-dir>/run-locks/`, bound to the DynamoDB states (`dynamodb:putItem`, `dynamodb:deleteItem`) with
 * the same semantics, so the deployed definition runs unchanged. Only the two conditional writes the
 * definition makes are understood (anything else fails, naming what it got), and a failed condition throws
 * `DynamoDB.ConditionalCheckFailedException`, which the definition catches as in AWS.
 *
 * One difference: a lock whose holder process is gone (a killed local run) is stale whatever its
 * `expires_at` says, since locally nothing else could still be running that date (the data directory lock
 * admits one run at a time).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  ACQUIRE_RUN_LOCK_CONDITION,
  CONDITIONAL_CHECK_FAILED,
  RELEASE_RUN_LOCK_CONDITION,
} from '../../constructs/daily-pipeline';
import { RUN_LOCK_ATTRIBUTES } from '../../constructs/run-lock-table';
import { isProcessAlive } from '../data-dir-lock';
import { requireObject, type JsonObject, type JsonValue, type LocalTaskHandler } from './task-states';

/** A run-lock item as stored locally: the DynamoDB attributes, plus the pid of the local run. */
export interface LocalRunLock {
  readonly run_date: string;
  readonly execution_id: string;
  readonly acquired_at: number;
  readonly expires_at: number;
  readonly pid: number;
}

export class ConditionalCheckFailedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = CONDITIONAL_CHECK_FAILED;
  }
}

/** `{S: "..."}` or `{N: "..."}` of an attribute map, or a failure naming the state and the attribute. */
function attribute(map: JsonObject, name: string, type: 'S' | 'N', what: string): string {
  const value = requireObject(map[name] ?? null, `${what} ${name}`)[type];
  if (typeof value !== 'string') throw new Error(`${what} ${name}: expected {"${type}": "..."}`);
  return value;
}

/** The condition the definition puts on each of its two writes: the only ones the local table understands. */
const CONDITIONS = { putItem: ACQUIRE_RUN_LOCK_CONDITION, deleteItem: RELEASE_RUN_LOCK_CONDITION } as const;

/**
 * A conditional write as the Task sends it (`Item` of a put, `Key` of a delete, and the values of its
 * condition), after checking that its condition is the one the definition makes; failures name the state.
 */
function conditionalRequest(
  state: string,
  input: JsonValue,
  operation: keyof typeof CONDITIONS,
): { readonly target: JsonObject; readonly values: JsonObject } {
  const condition = CONDITIONS[operation];
  const request = requireObject(input, `${state} (dynamodb:${operation})`);
  if (request.ConditionExpression !== condition) {
    throw new Error(
      `${state}: the local run-lock table understands only the condition "${condition}", got ${JSON.stringify(request.ConditionExpression)}`,
    );
  }
  const member = operation === 'putItem' ? 'Item' : 'Key';
  return {
    target: requireObject(request[member] ?? null, `${state} ${member}`),
    values: requireObject(request.ExpressionAttributeValues ?? null, `${state} ExpressionAttributeValues`),
  };
}

export class LocalRunLocks {
  constructor(
    readonly directory: string,
    private readonly isAlive: (pid: number) => boolean = isProcessAlive,
  ) {}

  private file(runDate: string): string {
    return path.join(this.directory, `run_date=${runDate}.json`);
  }

  read(runDate: string): LocalRunLock | undefined {
    try {
      return JSON.parse(fs.readFileSync(this.file(runDate), 'utf8')) as LocalRunLock;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
  }

  /** `dynamodb:putItem` with {@link ACQUIRE_RUN_LOCK_CONDITION}. */
  readonly acquire = (state: string): LocalTaskHandler => {
    return async (input: JsonValue) => {
      const { target: item, values } = conditionalRequest(state, input, 'putItem');
      const A = RUN_LOCK_ATTRIBUTES;
      const lock: LocalRunLock = {
        run_date: attribute(item, A.runDate, 'S', `${state} Item`),
        execution_id: attribute(item, A.executionId, 'S', `${state} Item`),
        acquired_at: Number(attribute(item, A.acquiredAt, 'N', `${state} Item`)),
        expires_at: Number(attribute(item, A.expiresAt, 'N', `${state} Item`)),
        pid: process.pid,
      };
      const now = Number(attribute(values, ':now', 'N', `${state} ExpressionAttributeValues`));
      const held = this.read(lock.run_date);
      if (held && !(held.expires_at < now) && this.isAlive(held.pid)) {
        throw new ConditionalCheckFailedError(
          `The conditional request failed: run date ${held.run_date} is locked by ${held.execution_id} ` +
            `(pid ${held.pid}) since ${new Date(held.acquired_at * 1000).toISOString()}, until ${new Date(held.expires_at * 1000).toISOString()}`,
        );
      }
      fs.mkdirSync(this.directory, { recursive: true });
      const temporary = `${this.file(lock.run_date)}.${process.pid}.tmp`;
      fs.writeFileSync(temporary, `${JSON.stringify(lock)}\n`);
      fs.renameSync(temporary, this.file(lock.run_date));
      return {};
    };
  };

  /** `dynamodb:deleteItem` with {@link RELEASE_RUN_LOCK_CONDITION}. */
  readonly release = (state: string): LocalTaskHandler => {
    return async (input: JsonValue) => {
      const { target: key, values } = conditionalRequest(state, input, 'deleteItem');
      const runDate = attribute(key, RUN_LOCK_ATTRIBUTES.runDate, 'S', `${state} Key`);
      const execution = attribute(values, ':execution', 'S', `${state} ExpressionAttributeValues`);
      const held = this.read(runDate);
      if (held?.execution_id !== execution) {
        throw new ConditionalCheckFailedError(
          `The conditional request failed: the lock of run date ${runDate} is ${held ? `held by ${held.execution_id}` : 'not held'}, not by ${execution}`,
        );
      }
      fs.rmSync(this.file(runDate), { force: true });
      return {};
    };
  };
}
