/**
 * dbt's test thresholds, evaluated the way `dbt test` evaluates them: the test's `fail_calc` (default
 * `count(*)`) over its failing rows gives one number; `error_if` and `warn_if` are conditions on that number
 * (`!= 0`, `> 10`, `>= 5`). With severity `error` the test fails when `error_if` holds, else warns when
 * `warn_if` holds; with severity `warn` it only ever warns, when `warn_if` holds. The comparison itself is
 * the serving plan's ({@link testOutcome}), so the gate and the plan agree on what a threshold means.
 */
import { testOutcome } from '../shared/serving-plan';

export type Severity = 'error' | 'warn';
export type RuleStatus = 'passed' | 'warned' | 'failed';

export interface Thresholds {
  readonly severity: Severity;
  /** @default '!= 0' */
  readonly warnIf?: string;
  /** @default '!= 0' */
  readonly errorIf?: string;
}

const STATUS = { pass: 'passed', warn: 'warned', error: 'failed' } as const;

/** dbt's decision for one test, given the value of its `fail_calc`; throws on a malformed threshold. */
export function judge(thresholds: Thresholds, observed: number): RuleStatus {
  return STATUS[
    testOutcome(
      {
        severity: thresholds.severity,
        warn_if: thresholds.warnIf ?? '!= 0',
        error_if: thresholds.errorIf ?? '!= 0',
      },
      observed,
    )
  ];
}

/** `error if count(*) > 5; warn if count(*) > 1`: the thresholds in words, for the result document. */
export function describeThresholds(thresholds: Thresholds, measure: string): string {
  const condition = (text: string | undefined): string =>
    (text ?? '!= 0').trim().replace(/^([<>=!]+)\s*/, '$1 ');
  const warn = `warn if ${measure} ${condition(thresholds.warnIf)}`;
  return thresholds.severity === 'error'
    ? `error if ${measure} ${condition(thresholds.errorIf)}; ${warn}`
    : warn;
}
