/**
 * A break case of the rules tests (rules.test.ts, with sales-cases.ts, enrichment-cases.ts and
 * listens-cases.ts): SQL that breaks the synthetic data of fixtures.ts, the rules that must fire and those that
 * may fire too.
 */

export interface BreakCase {
  /** What is broken, in words: the test's name. */
  readonly title: string;
  readonly sql: string[];
  /** The rules that must fire, with their status. */
  readonly fires: Record<string, 'warned' | 'failed'>;
  /** Rules that may fire too (side effects of the same breakage); any other rule must pass. */
  readonly mayAlsoFire?: string[];
}

/** One row of a table of break cases. */
export function breaks(
  title: string,
  sql: string | string[],
  fires: BreakCase['fires'],
  mayAlsoFire?: string[],
): BreakCase {
  return {
    title,
    sql: typeof sql === 'string' ? [sql] : sql,
    fires,
    ...(mayAlsoFire === undefined ? {} : { mayAlsoFire }),
  };
}
