/**
 * The one shape of every pipeline Lambda's entry point, on Powertools' Middy middleware:
 * - `injectLambdaContext` puts the invocation's context (function name and version, `function_request_id`,
 *   `cold_start`) on every log line;
 * - `logMetrics` flushes the metrics the core functions added, once per invocation, whether the handler
 *   returns or throws (the core functions only add metrics, so the local runner flushes its own);
 * - X-Ray tracing is the function's active tracing (`PipelineFunction`): Powertools' Tracer would pull
 *   aws-xray-sdk-core into bundles that must stay within 512 KiB.
 *
 * Everything (telemetry, environment, AWS clients) is built on the first invocation, once per container, so
 * importing a handler reads no environment and a configuration error fails the invocation that meets it.
 */
import type middyCore from '@middy/core' with { 'resolution-mode': 'import' };
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { readEnv } from './config';
import { createLogger, createMetrics, type Logger, type Metrics } from './logging';
import { checkEventRunDate, runDateBoundsFromEnv, type RUN_DATE_BOUNDS_ENV } from './run-date';
import type * as z from './zod';

// @middy/core 4 (pinned: the last major that ships CommonJS, which Jest and the node16 build load) declares
// its types as ESM only, so a CommonJS file takes the types with `resolution-mode` and the code with require.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const middy = require('@middy/core') as typeof middyCore;

/** What Lambda passes as the handler's second argument, as far as the middleware reads it. */
export interface LambdaContext {
  readonly awsRequestId: string;
  readonly functionName?: string;
  readonly functionVersion?: string;
  readonly invokedFunctionArn?: string;
  readonly memoryLimitInMB?: string;
}

export interface Telemetry {
  readonly logger: Logger;
  readonly metrics: Metrics;
}

export interface PipelineHandlerOptions<Runtime, Result> {
  /** `extract-api`: the `service` of logs and metrics, and the name configuration errors carry. */
  readonly service: string;
  /** Builds the container's dependencies (reads and validates the environment). */
  readonly init: (telemetry: Telemetry) => Runtime;
  /** One invocation: parse the event, call the core function with the dependencies, return its result. */
  readonly handle: (event: unknown, runtime: Runtime) => Promise<Result>;
  /**
   * Whether the function emits metrics (a flush with none stored makes Powertools log a warning).
   * @default true
   */
  readonly metrics?: boolean;
}

export type PipelineHandler<Result> = (event: unknown, context: LambdaContext) => Promise<Result>;

/**
 * A Lambda handler: `options.handle` behind Powertools' context and metrics middleware. Logger, metrics and
 * the middleware chain are made at the first invocation too, so they see the environment Lambda gives it.
 */
export function pipelineHandler<Runtime, Result>(
  options: PipelineHandlerOptions<Runtime, Result>,
): PipelineHandler<Result> {
  let wrapped: PipelineHandler<Result> | undefined;
  return (event, context) => (wrapped ??= withMiddleware(options))(event, context);
}

function withMiddleware<Runtime, Result>(
  options: PipelineHandlerOptions<Runtime, Result>,
): PipelineHandler<Result> {
  const telemetry: Telemetry = {
    logger: createLogger({ serviceName: options.service }),
    metrics: createMetrics({ serviceName: options.service }),
  };
  let runtime: Runtime | undefined;
  const handler = middy(async (event: unknown) =>
    options.handle(event, (runtime ??= options.init(telemetry))),
  ).use(injectLambdaContext(telemetry.logger));
  if (options.metrics !== false) handler.use(logMetrics(telemetry.metrics));
  return handler as PipelineHandler<Result>;
}

/** The environment of a {@link runDateHandler}: any schema with {@link RUN_DATE_BOUNDS_ENV} spread in. */
type RunDateEnvSchema = z.ZodMiniObject<typeof RUN_DATE_BOUNDS_ENV>;

export interface RunDateHandlerOptions<Env extends RunDateEnvSchema, Deps, Result> {
  /** `extract-api`: the `service` of logs and metrics, and the name configuration errors carry. */
  readonly service: string;
  /** The function's environment, validated once per container with `readEnv`. */
  readonly envSchema: Env;
  /** Builds the core function's dependencies (AWS adapters) from the validated environment. */
  readonly deps: (env: z.infer<Env>, telemetry: Telemetry) => Deps;
  /** The core function, given the event once its `run_date` is within the environment's bounds. */
  readonly run: (event: unknown, deps: Deps) => Promise<Result>;
  /**
   * Whether the function emits metrics.
   * @default true
   */
  readonly metrics?: boolean;
}

/**
 * The handler of a function whose event carries a `run_date`: the environment read at the first invocation,
 * the core function's dependencies built from it, and every event's `run_date` checked against the run-date
 * bounds of the environment before the core function runs (the local bindings check theirs the same way).
 */
export function runDateHandler<Env extends RunDateEnvSchema, Deps, Result>(
  options: RunDateHandlerOptions<Env, Deps, Result>,
): PipelineHandler<Result> {
  return pipelineHandler({
    service: options.service,
    metrics: options.metrics,
    init: (telemetry) => {
      const env = readEnv(options.envSchema, options.service);
      return { deps: options.deps(env, telemetry), bounds: runDateBoundsFromEnv(env) };
    },
    handle: (event, { deps, bounds }) => options.run(checkEventRunDate(event, bounds), deps),
  });
}
