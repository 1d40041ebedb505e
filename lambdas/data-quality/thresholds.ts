/**
 * dbt's test thresholds, evaluated the way `dbt test` evaluates them: the test's `fail_calc` (default
 * `count(*)`) over its failing rows gives one number; `error_if` and `warn_if` are conditions on that number
 * (`!= 0`, `> 10`, `>= 5`). With severity `error` the test fails when `error_if` holds, else warns when
 * `warn_if` holds; with severity `warn` it only ever warns, when `warn_if` holds.
 */
export type Severity = 'error' | 'warn';
export type RuleStatus = 'passed' | 'warned' | 'failed';

const OPERATORS = ['!=', '<>', '>=', '<=', '==', '=', '>', '<'] as const;
type Operator = (typeof OPERATORS)[number];

export interface Condition {
  readonly operator: Operator;
  readonly value: number;
}

const CONDITION_PATTERN = /^\s*(!=|<>|>=|<=|==|=|>|<)\s*(-?\d+(?:\.\d+)?)\s*$/;

/** Parses a dbt threshold such as `!= 0` or `> 10`; throws naming the text when it is not one. */
export function parseCondition(text: string): Condition {
  const match = CONDITION_PATTERN.exec(text);
  if (!match) {
    throw new Error(
      `threshold "${text}" is not a comparison with a number (expected e.g. "!= 0", "> 10", ">= 2.5")`,
    );
  }
  return { operator: match[1] as Operator, value: Number(match[2]) };
}

export function conditionHolds(condition: Condition, observed: number): boolean {
  switch (condition.operator) {
    case '!=':
    case '<>':
      return observed !== condition.value;
    case '=':
    case '==':
      return observed === condition.value;
    case '>':
      return observed > condition.value;
    case '>=':
      return observed >= condition.value;
    case '<':
      return observed < condition.value;
    case '<=':
      return observed <= condition.value;
  }
}

export interface Thresholds {
  readonly severity: Severity;
  /** @default '!= 0' */
  readonly warnIf?: string;
  /** @default '!= 0' */
  readonly errorIf?: string;
}

/** dbt's decision for one test, given the value of its `fail_calc`. */
export function judge(thresholds: Thresholds, observed: number): RuleStatus {
  if (
    thresholds.severity === 'error' &&
    conditionHolds(parseCondition(thresholds.errorIf ?? '!= 0'), observed)
  ) {
    return 'failed';
  }
  return conditionHolds(parseCondition(thresholds.warnIf ?? '!= 0'), observed) ? 'warned' : 'passed';
}

/** `error if count(*) > 5; warn if count(*) > 1`: the thresholds in words, for the result document. */
export function describeThresholds(thresholds: Thresholds, measure: string): string {
  const warn = `warn if ${measure} ${(thresholds.warnIf ?? '!= 0').trim()}`;
  return thresholds.severity === 'error'
    ? `error if ${measure} ${(thresholds.errorIf ?? '!= 0').trim()}; ${warn}`
    : warn;
}
