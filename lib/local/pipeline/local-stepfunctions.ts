/**
 * aws-local-stepfunctions ships ESM type declarations beside a CommonJS build. This project compiles to
 * CommonJS, so the types are imported in ESM resolution mode and the value is loaded through `require`
 * (its package exports map `require` to the CommonJS build).
 */
import '../polyfills';
import type * as LocalStepFunctions from 'aws-local-stepfunctions' with { 'resolution-mode': 'import' };

export type { RunOptions, StateMachineDefinition } from 'aws-local-stepfunctions' with {
  'resolution-mode': 'import',
};

type Execution = ReturnType<InstanceType<typeof LocalStepFunctions.StateMachine>['run']>;
/** One event of an execution's log (the package does not export this type by name). */
export type EventLog = Execution['eventLogs'] extends AsyncGenerator<infer Event> ? Event : never;

// eslint-disable-next-line @typescript-eslint/no-require-imports
const localStepFunctions = require('aws-local-stepfunctions') as typeof LocalStepFunctions;

export const { StateMachine, ExecutionError, ExecutionTimeoutError } = localStepFunctions;
