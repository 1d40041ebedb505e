/**
 * Handler configuration from environment variables, validated with zod at cold start: a missing or
 * malformed variable fails the function immediately with a message naming the variable, instead of a
 * confusing error deep inside the first invocation.
 */
import * as z from './zod';

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/**
 * Parses `env` with `schema` (an object schema keyed by variable name). Rejects with a {@link ConfigError}
 * listing every bad variable: `Invalid environment for extract-api: LANDING_BUCKET: required; ...`.
 */
export function readEnv<S extends z.ZodMiniObject>(
  schema: S,
  component: string,
  env: NodeJS.ProcessEnv = process.env,
): z.infer<S> {
  const result = schema.safeParse(env);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const variable = issue.path.join('.') || '(environment)';
    const value = issue.path.length ? env[String(issue.path[0])] : undefined;
    return value === undefined
      ? `${variable} is required (${issue.message})`
      : `${variable}="${value}": ${issue.message}`;
  });
  throw new ConfigError(`Invalid environment for ${component}: ${problems.join('; ')}`);
}

/** A positive integer given as a string, with a default when the variable is unset or empty. */
export function intVar(defaultValue: number, min = 1, max = Number.MAX_SAFE_INTEGER) {
  return z.pipe(
    z.optional(z.string()),
    z.transform((value: string | undefined, context) => {
      if (value === undefined || value.trim() === '') return defaultValue;
      const parsed = Number(value);
      if (!Number.isInteger(parsed) || parsed < min || parsed > max) {
        context.issues.push({
          code: 'custom',
          message: `must be an integer in [${min}, ${max}]`,
          input: value,
        });
        return z.NEVER;
      }
      return parsed;
    }),
  );
}

/** An http(s) URL. */
export const httpUrlVar = z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' });

/** An S3 bucket name. */
export const bucketVar = z
  .string({ error: 'must be set to the bucket name' })
  .check(z.regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'must be an S3 bucket name'));

/**
 * The variables of a handler that runs SQL through the Redshift Data API (serving-load, data-quality):
 * workgroup, database and, optionally, the ARN of a database secret (else IAM temporary credentials).
 * Spread into the handler's environment schema. A function, not a constant, so the other handlers' bundles
 * do not build these schemas at load.
 */
export function redshiftDataApiEnv() {
  return {
    REDSHIFT_WORKGROUP: z
      .string({ error: 'must be set to the Redshift Serverless workgroup name' })
      .check(z.minLength(1)),
    REDSHIFT_DATABASE: z.string({ error: 'must be set to the database name' }).check(z.minLength(1)),
    REDSHIFT_SECRET_ARN: z.optional(z.string().check(z.startsWith('arn:'))),
  };
}
