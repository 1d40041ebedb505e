/**
 * The SQL text helpers every materialization's statements share: quoting, the target's dialect, the
 * surrogate key and the binding of a model's named parameters.
 */
import type { PlanModel, PlanTarget } from '../shared/serving-plan';
import type { SqlParameters } from '../shared/warehouse';

/** A quoted SQL identifier. */
export function quote(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** The quoted `schema.name` of a relation. */
export function relationOf(schema: string, name: string): string {
  return `${quote(schema)}.${quote(name)}`;
}

/** SQL text dialect details the statements depend on. */
export interface Dialect {
  readonly target: PlanTarget;
  /** Type that holds any text without truncation (Redshift's bare varchar is varchar(256)). */
  readonly textType: string;
  /** Suffix of CREATE VIEW (Redshift: late binding, so dropping a table never needs CASCADE). */
  readonly viewSuffix: string;
  /**
   * Whether the run's temp tables must be dropped. Not on Redshift: the Data API runs a batch in its own
   * session, whose temp tables go with it, and a drop would cost one of the batch's 40 statements.
   */
  readonly dropsTempTables: boolean;
}

/** The dialect of a plan's target. */
export function dialectOf(target: PlanTarget): Dialect {
  return target === 'redshift'
    ? { target, textType: 'varchar(max)', viewSuffix: '\nwith no schema binding', dropsTempTables: false }
    : { target, textType: 'varchar', viewSuffix: '', dropsTempTables: true };
}

/** md5 of the columns' text joined by '|', null-safe: the same expression as the surrogate_key() macro. */
export function surrogateKey(expressions: readonly string[], dialect: Dialect): string {
  return `md5(${expressions.map((expression) => `coalesce(cast(${expression} as ${dialect.textType}), '_null_')`).join(" || '|' || ")})`;
}

/** The join condition of `left` and `right` on their `keys`. */
export function keyMatch(left: string, right: string, keys: readonly string[]): string {
  return keys.map((key) => `${quote(left)}.${quote(key)} = ${quote(right)}.${quote(key)}`).join(' and ');
}

/** A SQL string literal. */
export function sqlText(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

/** The dates a materialization binds besides the run date. */
export interface BoundDates {
  /** A snapshot's first replayed date (`:replay_from`). */
  readonly replay_from?: string;
  /** The first partition a first_row_per_key model reads (`:reads_from`). */
  readonly reads_from?: string;
}

/**
 * The values of a model's named parameters (`:run_date`, and the `dates` its materialization sets), or
 * undefined when it has none; a parameter the run cannot bind is an error naming the model.
 */
export function bound(model: PlanModel, runDate: string, dates: BoundDates = {}): SqlParameters | undefined {
  if (model.parameters.length === 0) return undefined;
  const parameters: Record<string, string> = {};
  for (const name of model.parameters) {
    const date =
      name === 'run_date'
        ? runDate
        : Object.hasOwn(dates, name)
          ? dates[name as keyof BoundDates]
          : undefined;
    if (date !== undefined) parameters[name] = date;
    else throw new Error(`model ${model.name}: unknown parameter :${name} in its compiled SQL`);
  }
  return parameters;
}
