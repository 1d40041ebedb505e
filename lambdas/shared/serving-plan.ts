/**
 * The serving plan: what `dbt compile` produced for one target (duckdb or redshift), turned into plain data
 * that the serving-load and data-quality Lambdas execute through the `Warehouse` interface, without dbt at
 * run time. `bin/build-serving-plan.ts` writes it to `dbt_modeling/plan/<target>.json`.
 *
 * Compiled SQL uses the `:run_date` named parameter (rendered by the `run_date()` macro); `parameters`
 * lists the named parameters each SQL text uses, so an executor binds exactly those.
 */
import { readFileSync } from 'node:fs';
import { QUALITY_STAGES } from './platform-names';
import * as z from './zod';

export const SERVING_PLAN_FORMAT_VERSION = 1;

export const PlanTargetSchema = z.enum(['duckdb', 'redshift']);
export type PlanTarget = z.infer<typeof PlanTargetSchema>;

export const MaterializationSchema = z.enum([
  'view',
  'table',
  'incremental',
  'snapshot_type2',
  'first_row_per_key',
]);
export type Materialization = z.infer<typeof MaterializationSchema>;

const identifier = z.string().check(z.regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'a plain SQL identifier'));
const parameterNames = z.array(identifier);

/** Incremental models: each run replaces the run date's rows (and any row sharing a unique key with them). */
export const IncrementalConfigSchema = z.object({
  /** The date column holding the run date that loaded each row; `delete ... where <column> = :run_date`. */
  run_date_column: identifier,
  /**
   * The model selects the run date's rows only (dbt config `run_date_only`): a run deletes the run date's
   * rows and inserts the model's rows of the run date, without a batch table (two statements, not five).
   * @default false
   */
  run_date_only: z.optional(z.boolean()),
});
export type IncrementalConfig = z.infer<typeof IncrementalConfigSchema>;

/**
 * Type-2 snapshot models: the model's SQL returns every entity's state on each snapshot date from
 * `:replay_from` onwards (the newest applied date before the run date, or the run date), with the date in
 * `snapshot_date`; the executor replays the applied dates among them in date order over the history
 * before `:replay_from` (see lambdas/serving-load/materializations/snapshot-type2.ts).
 */
export const SnapshotConfigSchema = z.object({
  /** Columns whose change opens a new version (the others are updated in place on the current version). */
  check_cols: z.array(identifier).check(z.minLength(1)),
  /** Columns corrected in place on the current version (type 1). */
  update_cols: z.array(identifier),
  /**
   * The model's column holding each row's snapshot date (not kept in the table). The model returns the
   * unique key, check_cols, update_cols and this column, nothing else.
   */
  snapshot_date: identifier,
  /** Column receiving the md5 version key (natural key + valid_from). */
  surrogate_key: identifier,
  /** Fixed column names of the version bookkeeping. */
  valid_from: identifier,
  valid_to: identifier,
  is_current: identifier,
  /** The run date that created the version (drives idempotent re-runs). */
  loaded_on: identifier,
  /** valid_from of an entity's first version. */
  first_valid_from: z.string().check(z.regex(/^\d{4}-\d{2}-\d{2}$/)),
  /**
   * An update_cols column flagging inferred members: rows the model returns with it true (attributes
   * unknown) for an entity that is referenced but has no state yet. Such a row only opens the entity's
   * first version; the first real row completes that version in place (same key), never opens another.
   */
  inferred_flag: z.optional(identifier),
});
export type SnapshotConfig = z.infer<typeof SnapshotConfigSchema>;

/**
 * First-row-per-key models: the table keeps, per unique key (one column), the first row in `order_by`
 * among every row any run's model returned; the model reads the partitions from `:reads_from` on and
 * returns at most one row per key (see lambdas/serving-load/materializations/first-row-per-key.ts).
 */
export const FirstRowConfigSchema = z.object({
  /** The order rows are compared in; the first column where two rows differ decides. Never null columns. */
  order_by: z.array(z.object({ column: identifier, descending: z.boolean() })).check(z.minLength(1)),
});
export type FirstRowConfig = z.infer<typeof FirstRowConfigSchema>;

export const PlanModelSchema = z
  .object({
    /** dbt model name, also the relation name (`dim_users`). */
    name: identifier,
    /** dbt unique id (`model.deftunes.dim_users`). */
    unique_id: z.string(),
    /** Schema holding the relation (`deftunes_serving`). */
    schema: identifier,
    /** Fully qualified, quoted for the target (`"deftunes_serving"."dim_users"`). */
    relation: z.string(),
    materialization: MaterializationSchema,
    /** The compiled SELECT (no trailing semicolon), with `:run_date`-style named parameters. */
    sql: z.string().check(z.minLength(1)),
    /** Named parameters used by `sql`. */
    parameters: parameterNames,
    /** Natural key columns (empty for views). */
    unique_key: z.array(identifier),
    /** Models this one reads (names), all earlier in the plan. */
    depends_on: z.array(identifier),
    incremental: z.optional(IncrementalConfigSchema),
    snapshot: z.optional(SnapshotConfigSchema),
    first_row: z.optional(FirstRowConfigSchema),
  })
  .check(
    z.superRefine((model, ctx) => {
      if (model.materialization === 'incremental' && (!model.incremental || model.unique_key.length === 0)) {
        ctx.addIssue({
          code: 'custom',
          message: `incremental model ${model.name} needs run_date_column and unique_key`,
        });
      }
      if (model.materialization === 'snapshot_type2' && (!model.snapshot || model.unique_key.length === 0)) {
        ctx.addIssue({
          code: 'custom',
          message: `snapshot model ${model.name} needs snapshot config and unique_key`,
        });
      }
      if (
        model.materialization === 'first_row_per_key' &&
        (!model.first_row || model.unique_key.length !== 1)
      ) {
        ctx.addIssue({
          code: 'custom',
          message: `first_row_per_key model ${model.name} needs order_by and one unique_key column`,
        });
      }
    }),
  );
export type PlanModel = z.infer<typeof PlanModelSchema>;

/** When a test runs in the pipeline: tests on sources gate the transform zone, tests on models the serving layer. */
export const TestStageSchema = z.enum(QUALITY_STAGES);
export type TestStage = z.infer<typeof TestStageSchema>;

export const TestedNodeSchema = z.object({
  /** `source` (a transform table) or `model` (a serving relation). */
  kind: z.enum(['source', 'model']),
  /** Schema of the tested relation (`deftunes_transform` or `deftunes_serving`). */
  schema: identifier,
  /** Table or model name (`sessions`, `fact_session_items`). */
  table: identifier,
  /** The tested column, when the test is on a column. */
  column: z.nullable(z.string()),
});
export type TestedNode = z.infer<typeof TestedNodeSchema>;

/** A dbt threshold: a comparison operator and a number, e.g. `!=0`, `>10`, `>=5`. */
export const ThresholdSchema = z
  .string()
  .check(z.regex(/^\s*(==|=|!=|<>|>=|<=|>|<)\s*-?\d+(\.\d+)?\s*$/, 'a dbt threshold'));

export const PlanTestSchema = z.object({
  /** dbt test name (`not_null_fact_session_items_session_id`). */
  name: z.string(),
  /** dbt unique id. */
  unique_id: z.string(),
  /** Generic test name (`not_null`, `unique`, `accepted_range`...), or null for a singular test. */
  test_type: z.nullable(z.string()),
  /** The compiled SELECT returning the failing rows; count them to get `failures`. */
  sql: z.string().check(z.minLength(1)),
  parameters: parameterNames,
  severity: z.enum(['error', 'warn']),
  /**
   * The measure compared with the thresholds, over the failing rows (dbt's `fail_calc`, `count(*)` unless
   * the test sets another). Optional so plans compiled before it was carried still parse.
   */
  fail_calc: z.optional(z.string().check(z.minLength(1))),
  warn_if: ThresholdSchema,
  error_if: ThresholdSchema,
  stage: TestStageSchema,
  tested: TestedNodeSchema,
});
export type PlanTest = z.infer<typeof PlanTestSchema>;

export const ServingPlanSchema = z.object({
  format_version: z.literal(SERVING_PLAN_FORMAT_VERSION),
  target: PlanTargetSchema,
  dbt_version: z.string(),
  /** sha256 of the dbt project's sources the plan was compiled from. */
  source_hash: z.string(),
  /** Models in dependency order: executing them in this order satisfies every dependency. */
  models: z.array(PlanModelSchema),
  tests: z.array(PlanTestSchema),
});
export type ServingPlan = z.infer<typeof ServingPlanSchema>;

/** Validates a parsed plan document; the error names what is wrong and where. */
export function parseServingPlan(document: unknown, origin = 'serving plan'): ServingPlan {
  const result = ServingPlanSchema.safeParse(document);
  if (!result.success) {
    const issues = result.error.issues.map(
      (issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`,
    );
    throw new Error(`${origin} is not a valid serving plan: ${issues.join('; ')}`);
  }
  return result.data;
}

/** Reads and validates a plan file. */
export function loadServingPlan(file: string): ServingPlan {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new Error(`cannot read serving plan ${file}: ${(error as Error).message}`, { cause: error });
  }
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (error) {
    throw new Error(`serving plan ${file} is not JSON: ${(error as Error).message}`, { cause: error });
  }
  return parseServingPlan(document, file);
}

/** True when `failures` satisfies a dbt threshold such as `!=0` or `>10`. */
export function thresholdMet(threshold: string, failures: number): boolean {
  const match = /^\s*(==|=|!=|<>|>=|<=|>|<)\s*(-?\d+(?:\.\d+)?)\s*$/.exec(threshold);
  if (!match) throw new Error(`invalid dbt threshold "${threshold}"`);
  const limit = Number(match[2]);
  switch (match[1]) {
    case '=':
    case '==':
      return failures === limit;
    case '!=':
    case '<>':
      return failures !== limit;
    case '>':
      return failures > limit;
    case '>=':
      return failures >= limit;
    case '<':
      return failures < limit;
    default:
      return failures <= limit;
  }
}

/**
 * dbt's test outcome rules: with severity error, `error_if` met gives `error`, else `warn_if` met gives
 * `warn`; with severity warn only `warn_if` is checked.
 */
export function testOutcome(
  test: Pick<PlanTest, 'severity' | 'warn_if' | 'error_if'>,
  failures: number,
): 'pass' | 'warn' | 'error' {
  if (test.severity === 'error' && thresholdMet(test.error_if, failures)) return 'error';
  if (thresholdMet(test.warn_if, failures)) return 'warn';
  return 'pass';
}

/** Named parameters (`:name`) a SQL text uses, ignoring `::type` casts and quoted text. */
export function namedParameters(sql: string): string[] {
  const names = new Set<string>();
  for (const match of stripQuoted(sql).matchAll(/(?<![:\w]):([A-Za-z_][A-Za-z0-9_]*)/g)) names.add(match[1]);
  return [...names];
}

/** The SQL with string literals, quoted identifiers and comments blanked out (same length). */
export function stripQuoted(sql: string): string {
  return sql.replace(/'(?:[^']|'')*'|"(?:[^"]|"")*"|--[^\n]*|\/\*[\s\S]*?\*\//g, (part) =>
    ' '.repeat(part.length),
  );
}

/**
 * Rewrites every `:name` parameter of a SQL text (outside literals, quoted identifiers, comments and `::`
 * casts) with `render(name)`; throws naming the parameter when `render` does.
 */
export function rewriteNamedParameters(sql: string, render: (name: string) => string): string {
  const masked = stripQuoted(sql);
  let output = '';
  let last = 0;
  for (const match of masked.matchAll(/(?<![:\w]):([A-Za-z_][A-Za-z0-9_]*)/g)) {
    output += sql.slice(last, match.index) + render(match[1]);
    last = match.index + match[0].length;
  }
  return output + sql.slice(last);
}
