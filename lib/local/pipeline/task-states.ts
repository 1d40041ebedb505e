/**
 * Walks a state machine definition (Amazon States Language) and binds its Task states, by name, to local
 * handlers for aws-local-stepfunctions. A Task state without a binding is an error before anything runs,
 * so a new state in the deployed definition can never be skipped silently by the local runner.
 */
import type { StateMachineDefinition } from './local-stepfunctions';

type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };
export type { JsonValue };

/** The AWS service a Task state calls, from its Resource ARN. */
export type TaskService = 'lambda' | 'glue' | 'sns' | 'states' | 'dynamodb' | 'other';

export interface TaskStateInfo {
  readonly name: string;
  readonly resource: string;
  readonly service: TaskService;
  readonly timeoutSeconds?: number;
}

export type LocalTaskHandler = (input: JsonValue) => Promise<JsonValue>;

interface StateLike {
  Type: string;
  Resource?: string;
  TimeoutSeconds?: number;
  Branches?: { States: Record<string, StateLike> }[];
  Iterator?: { States: Record<string, StateLike> };
  ItemProcessor?: { States: Record<string, StateLike> };
}

export function taskServiceOf(resource: string): TaskService {
  const match = /^arn:[^:]+:states:::([a-z0-9-]+):/.exec(resource);
  const service = match?.[1];
  if (
    service === 'lambda' ||
    service === 'glue' ||
    service === 'sns' ||
    service === 'states' ||
    service === 'dynamodb'
  )
    return service;
  if (/^arn:[^:]+:lambda:/.test(resource)) return 'lambda';
  return 'other';
}

/** Every Task state of the definition, including those inside Parallel branches and Map iterators. */
export function collectTaskStates(definition: Pick<StateMachineDefinition, 'States'>): TaskStateInfo[] {
  const found: TaskStateInfo[] = [];
  const visit = (states: Record<string, StateLike>): void => {
    for (const [name, state] of Object.entries(states)) {
      if (state.Type === 'Task') {
        const resource = state.Resource ?? '';
        found.push({
          name,
          resource,
          service: taskServiceOf(resource),
          timeoutSeconds: state.TimeoutSeconds,
        });
      }
      for (const branch of state.Branches ?? []) visit(branch.States);
      const iterator = state.ItemProcessor ?? state.Iterator;
      if (iterator) visit(iterator.States);
    }
  };
  visit(definition.States as unknown as Record<string, StateLike>);
  return found;
}

/**
 * Picks, for every Task state of the definition, the handler bound to its name. Throws one error listing
 * every unbound state, and names bindings that match no state (a renamed state would otherwise leave a
 * dead binding behind).
 */
export function bindTaskStates(
  definition: Pick<StateMachineDefinition, 'States'>,
  bindings: Readonly<Record<string, LocalTaskHandler>>,
  options: { allowUnusedBindings?: boolean } = {},
): Record<string, LocalTaskHandler> {
  const tasks = collectTaskStates(definition);
  const unbound = tasks.filter((task) => !bindings[task.name]);
  const taskNames = new Set(tasks.map((task) => task.name));
  const orphaned = options.allowUnusedBindings
    ? []
    : Object.keys(bindings).filter((name) => !taskNames.has(name));
  const problems: string[] = [];
  if (unbound.length > 0) {
    problems.push(
      `no local binding for Task state(s) ${unbound.map((task) => `${task.name} (${task.resource})`).join(', ')}`,
    );
  }
  if (orphaned.length > 0) {
    problems.push(`local binding(s) for state(s) not in the definition: ${orphaned.join(', ')}`);
  }
  if (problems.length > 0) {
    throw new Error(`DailyPipeline cannot run locally: ${problems.join('; ')}`);
  }
  return Object.fromEntries(
    tasks.map((task) => [task.name, withPayloadLimit(task.name, bindings[task.name])]),
  );
}

/**
 * Step Functions' quota on what a state passes on: a task's input and result are at most 256 KiB of UTF-8
 * JSON, else the execution fails with `States.DataLimitExceeded`. aws-local-stepfunctions does not check it,
 * so a result that grows with the data (a quality report with every sample, say) would pass locally and
 * fail in AWS.
 */
export const STATE_PAYLOAD_LIMIT_BYTES = 256 * 1024;

export class DataLimitExceededError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'States.DataLimitExceeded';
  }
}

function checkPayloadSize(state: string, what: 'input' | 'result', value: JsonValue): void {
  const bytes = Buffer.byteLength(JSON.stringify(value) ?? 'null', 'utf8');
  if (bytes > STATE_PAYLOAD_LIMIT_BYTES) {
    throw new DataLimitExceededError(
      `${state}: its ${what} is ${bytes} bytes; Step Functions passes at most ${STATE_PAYLOAD_LIMIT_BYTES} bytes between states`,
    );
  }
}

export function withPayloadLimit(state: string, handler: LocalTaskHandler): LocalTaskHandler {
  return async (input) => {
    checkPayloadSize(state, 'input', input);
    const result = await handler(input);
    checkPayloadSize(state, 'result', result);
    return result;
  };
}

/** Reads a property of a JSON object, or fails naming the state and what was expected. */
export function requireObject(value: JsonValue, what: string): JsonObject {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new Error(`${what}: expected a JSON object, got ${JSON.stringify(value)}`);
  }
  return value;
}

/**
 * A definition that runs only `stateName` (found at the top level or inside any branch): the state ends
 * the execution and has no Catch, so its own error is what the caller sees.
 */
export function singleStateDefinition(
  definition: Pick<StateMachineDefinition, 'States'>,
  stateName: string,
): StateMachineDefinition {
  const names: string[] = [];
  let found: Record<string, unknown> | undefined;
  const visit = (states: Record<string, StateLike>): void => {
    for (const [name, state] of Object.entries(states)) {
      names.push(name);
      if (name === stateName) found = state as unknown as Record<string, unknown>;
      for (const branch of state.Branches ?? []) visit(branch.States);
    }
  };
  visit(definition.States as unknown as Record<string, StateLike>);
  if (!found) throw new Error(`DailyPipeline has no state ${stateName}; its states are: ${names.join(', ')}`);
  if (found.Type === 'Choice' || found.Type === 'Fail' || found.Type === 'Succeed') {
    throw new Error(
      `${stateName} is a ${String(found.Type)} state: only Task, Parallel and Pass states run alone`,
    );
  }
  const { Next: _next, Catch: _catch, ...state } = found;
  return {
    StartAt: stateName,
    States: { [stateName]: { ...state, End: true } },
  } as unknown as StateMachineDefinition;
}
