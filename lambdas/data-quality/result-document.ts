/**
 * The data-quality result document: one JSON object per run date and stage, written to the serving-side
 * bucket at `dq-results/run_date=YYYY-MM-DD/<stage>.json` (locally `<data-dir>/serving/dq-results/...`).
 * The dashboard and the local runner read it; its shape is a contract (dbt_modeling/README.md, Data quality), checked by
 * this schema on write and by tests.
 */
import * as z from '../shared/zod';
import { ISO_DATE_PATTERN } from '../shared/contracts';
import { QUALITY_RESULTS_PREFIX, QUALITY_STAGES, type QualityStage } from '../shared/platform-names';

export const RuleResultSchema = z.object({
  /** Unique name: the dbt test's name, or `quarantine_rate_<source>`. */
  rule: z.string().check(z.minLength(1)),
  /** `dbt_test` for a compiled dbt test, `quarantine_rate` for the gate's bound on quarantined records. */
  kind: z.enum(['dbt_test', 'quarantine_rate']),
  /** The tested table: `deftunes_transform.sessions`, `deftunes_serving.fact_session_items`, or the source. */
  table: z.string().check(z.minLength(1)),
  /** The tested column, when the rule is on one column. */
  column: z.optional(z.string()),
  severity: z.enum(['error', 'warn']),
  status: z.enum(['passed', 'warned', 'failed']),
  /** Rows the test returned (for `quarantine_rate`: records quarantined that day). */
  failing_rows: z.number().check(z.int(), z.nonnegative()),
  /** The value the thresholds were compared with: dbt's `fail_calc` (default `count(*)`), or a percentage. */
  observed: z.nullable(z.number()),
  /** The thresholds in words, e.g. `error if count(*) != 0; warn if count(*) != 0`. */
  threshold: z.string(),
  /** Up to five failing rows, reduced to their identifying columns, as JSON objects. */
  sample_failing_keys: z.array(z.record(z.string(), z.unknown())),
  /** Why the rule could not be evaluated (a query error, a missing manifest); the rule is then `failed`. */
  error: z.optional(z.string()),
  /** Why the status differs from what the measure alone gives (e.g. a failure accepted on a day declared empty). */
  note: z.optional(z.string()),
  /**
   * `serving-load`: the measure is the one serving-load took inside the transaction it committed (its
   * guard), not re-run by the gate. Absent when the gate measured the rule itself.
   */
  measured_by: z.optional(z.enum(['serving-load'])),
  /** Milliseconds the rule took. */
  elapsed_ms: z.number().check(z.nonnegative()),
});
export type RuleResult = z.infer<typeof RuleResultSchema>;

export const ResultDocumentSchema = z.object({
  /** Version of this shape; bumped on any incompatible change. */
  schema_version: z.literal(1),
  run_date: z.string().check(z.regex(ISO_DATE_PATTERN)),
  stage: z.enum(QUALITY_STAGES),
  /** `failed` when any error-severity rule failed or any rule could not be evaluated; else `warned` when any warned. */
  status: z.enum(['passed', 'warned', 'failed']),
  started_at: z.iso.datetime(),
  finished_at: z.iso.datetime(),
  /** Rule counts by status. */
  summary: z.object({
    passed: z.number().check(z.int(), z.nonnegative()),
    warned: z.number().check(z.int(), z.nonnegative()),
    failed: z.number().check(z.int(), z.nonnegative()),
  }),
  rules: z.array(RuleResultSchema),
});
export type ResultDocument = z.infer<typeof ResultDocumentSchema>;

/** `dq-results/run_date=2020-02-01/transform.json`, relative to the results bucket. */
export function resultDocumentKey(runDate: string, stage: QualityStage): string {
  return `${QUALITY_RESULTS_PREFIX}/run_date=${runDate}/${stage}.json`;
}

/** The overall status of a set of rule results. */
export function overallStatus(rules: readonly Pick<RuleResult, 'status'>[]): RuleResult['status'] {
  if (rules.some((rule) => rule.status === 'failed')) return 'failed';
  if (rules.some((rule) => rule.status === 'warned')) return 'warned';
  return 'passed';
}
