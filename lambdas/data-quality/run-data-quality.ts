/**
 * The data-quality gate of one run date and stage. `transform` runs the tests on the transform tables (the
 * run date's partition) and bounds the day's quarantine rate per source; `serving` runs the tests on the
 * serving models. It writes the result document, publishes metrics and returns the status the state
 * machine's Choice reads: `failed` only when an error-severity rule failed or a rule could not run.
 */
import * as z from '../shared/zod';
import { GuardMeasureSchema, type GuardMeasure } from '../shared/guard-measures';
import type { ObjectStore } from '../shared/object-store';
import { QUALITY_STAGES, ZONES } from '../shared/platform-names';
import { RunDateSchema } from '../shared/run-date';
import type { PlanTest, ServingPlan } from '../shared/serving-plan';
import type { Warehouse } from '../shared/warehouse';
import { runCompiledTest } from './compiled-tests';
import {
  checkQuarantineRates,
  type QuarantineThresholds,
  type TransformCountsReader,
} from './quarantine-rate';
import {
  overallStatus,
  resultDocumentKey,
  ResultDocumentSchema,
  type ResultDocument,
  type RuleResult,
} from './result-document';

export const DataQualityEventSchema = z.object({
  run_date: RunDateSchema,
  stage: z.enum(QUALITY_STAGES),
  /**
   * The execution input declared the run date's source day empty (a shutdown, an outage upstream): the
   * rules of {@link EMPTY_DAY_TESTS} then warn instead of failing the gate.
   */
  declared_empty: z._default(z.boolean(), false),
  /**
   * Serving stage: the result of this run's LoadServing, whose `guard_measures` are what it measured of
   * its guarded tests inside the transaction it committed. Those tests are reported from these measures
   * instead of being run again; a test without one is run. The state machine passes the whole result (a
   * path that always exists once LoadServing succeeded), so a result without `guard_measures` only means
   * every test is run. Absent when the gate runs on its own (`deftunes quality`).
   */
  serving_load: z.optional(z.object({ guard_measures: z.optional(z.array(GuardMeasureSchema)) })),
});

/** Generic dbt tests that fail on an empty or collapsed source day, the failure a declared-empty day expects. */
export const EMPTY_DAY_TESTS: ReadonlySet<string> = new Set(['volume_not_collapsed']);

/** A failed empty-day rule of a day declared empty, as a warning that says why (a rule that errored stays failed). */
function acceptDeclaredEmptyDay(rule: RuleResult, test: PlanTest | undefined): RuleResult {
  if (rule.status !== 'failed' || rule.error || !test?.test_type || !EMPTY_DAY_TESTS.has(test.test_type))
    return rule;
  return {
    ...rule,
    status: 'warned',
    note: 'the day was declared empty by the execution input (declared_empty)',
  };
}
export type DataQualityEvent = z.infer<typeof DataQualityEventSchema>;

/** Structured logging; Powertools' `Logger` satisfies it. */
export interface QualityLogger {
  info(message: string, ...attributes: Record<string, unknown>[]): void;
  warn(message: string, ...attributes: Record<string, unknown>[]): void;
  error(message: string, ...attributes: Record<string, unknown>[]): void;
}

/**
 * Metrics; Powertools' `Metrics` satisfies it (in AWS the handler passes one, locally a logging sink). The
 * gate only adds them: whoever runs it flushes (the handler's middleware, the local runner).
 */
export interface QualityMetrics {
  addDimension(name: string, value: string): void;
  addMetric(name: string, unit: 'Count' | 'Percent', value: number): void;
}

export interface DataQualityThresholds {
  /** Bounds on the day's quarantine rate per source (transform stage). */
  readonly quarantine?: QuarantineThresholds;
}

export interface DataQualityDeps {
  readonly warehouse: Warehouse;
  readonly plan: ServingPlan;
  /** The landing zone: extraction manifests. */
  readonly landingStore: ObjectStore;
  /** Where result documents go (`dq-results/...`): the serving-side bucket. */
  readonly resultsStore: ObjectStore;
  /** The transform job's counts per source and date (transform stage). */
  readonly transformCounts: TransformCountsReader;
  readonly logger: QualityLogger;
  readonly metrics: QualityMetrics;
  readonly thresholds?: DataQualityThresholds;
  /** Tests run at once on the warehouse. @default 4 */
  readonly concurrency?: number;
  /** @default () => new Date() */
  readonly now?: () => Date;
}

export interface DataQualityResult {
  readonly run_date: string;
  readonly stage: DataQualityEvent['stage'];
  readonly status: ResultDocument['status'];
  /** Names of the failed rules. */
  readonly failed: string[];
  /** Names of the rules that warned. */
  readonly warned: string[];
  /** Key of the result document in the results store. */
  readonly results_key: string;
}

/** `event` is validated here (`{run_date: YYYY-MM-DD, stage}`); a bad event rejects naming the problem. */
export async function runDataQuality(event: unknown, deps: DataQualityDeps): Promise<DataQualityResult> {
  const parsed = DataQualityEventSchema.safeParse(event);
  if (!parsed.success) {
    const issues = parsed.error.issues.map(
      (issue) => `${issue.path.join('.') || '(event)'}: ${issue.message}`,
    );
    throw new Error(`invalid data-quality event ${JSON.stringify(event)}: ${issues.join('; ')}`);
  }
  const { run_date: runDate, stage, declared_empty: declaredEmpty, serving_load: servingLoad } = parsed.data;
  if (servingLoad && stage !== ZONES.serving)
    throw new Error(
      `invalid data-quality event: serving_load is for the serving stage, not the ${stage} stage`,
    );
  const measured = new Map<string, GuardMeasure>(
    servingLoad?.guard_measures?.map((measure) => [measure.test, measure]),
  );
  const now = deps.now ?? (() => new Date());
  const startedAt = now();
  const tests = deps.plan.tests.filter((test) => test.stage === stage);
  if (tests.length === 0) {
    throw new Error(
      `the ${deps.plan.target} serving plan has no ${stage} tests: the gate would check nothing`,
    );
  }
  deps.logger.info('data quality started', {
    run_date: runDate,
    stage,
    tests: tests.length,
    measured_by_load: tests.filter((test) => measured.has(test.name)).length,
  });

  const rules: RuleResult[] = await mapConcurrently(tests, deps.concurrency ?? 4, async (test) => {
    const rule = await runCompiledTest(deps.warehouse, test, runDate, measured.get(test.name));
    return declaredEmpty ? acceptDeclaredEmptyDay(rule, test) : rule;
  });
  if (stage === ZONES.transform) {
    rules.push(
      ...(await checkQuarantineRates({
        runDate,
        landingStore: deps.landingStore,
        transformCounts: deps.transformCounts,
        thresholds: deps.thresholds?.quarantine,
      })),
    );
  }
  for (const rule of rules) logRule(deps.logger, rule);

  const status = overallStatus(rules);
  const document: ResultDocument = ResultDocumentSchema.parse({
    schema_version: 1,
    run_date: runDate,
    stage,
    status,
    started_at: startedAt.toISOString(),
    finished_at: now().toISOString(),
    summary: {
      passed: rules.filter((rule) => rule.status === 'passed').length,
      warned: rules.filter((rule) => rule.status === 'warned').length,
      failed: rules.filter((rule) => rule.status === 'failed').length,
    },
    rules,
  });
  const key = resultDocumentKey(runDate, stage);
  await deps.resultsStore.putObject(key, `${JSON.stringify(document, null, 2)}\n`, {
    contentType: 'application/json',
  });

  deps.metrics.addDimension('stage', stage);
  deps.metrics.addMetric('RulesFailed', 'Count', document.summary.failed);
  deps.metrics.addMetric('RulesWarned', 'Count', document.summary.warned);
  deps.metrics.addMetric('RulesPassed', 'Count', document.summary.passed);

  const result: DataQualityResult = {
    run_date: runDate,
    stage,
    status,
    failed: rules.filter((rule) => rule.status === 'failed').map((rule) => rule.rule),
    warned: rules.filter((rule) => rule.status === 'warned').map((rule) => rule.rule),
    results_key: key,
  };
  deps.logger.info('data quality finished', { ...result, failed_count: result.failed.length });
  return result;
}

function logRule(logger: QualityLogger, rule: RuleResult): void {
  const attributes = {
    rule: rule.rule,
    table: rule.table,
    status: rule.status,
    failing_rows: rule.failing_rows,
    observed: rule.observed,
    threshold: rule.threshold,
    ...(rule.error ? { error: rule.error } : {}),
  };
  if (rule.status === 'failed') logger.error('rule failed', attributes);
  else if (rule.status === 'warned') logger.warn('rule warned', attributes);
}

/** `fn` over `items` with at most `limit` calls in flight; results in input order. */
async function mapConcurrently<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index]);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return results;
}
