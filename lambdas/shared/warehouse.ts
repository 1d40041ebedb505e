/**
 * The warehouse the serving layer and the data-quality gate run SQL on: Redshift Serverless through the
 * Data API in AWS, a DuckDB file locally. SQL uses named parameters written `:name` (the Data API's form);
 * implementations translate them when their engine needs another form.
 */
export type SqlValue = string | number | boolean | null;
export type SqlParameters = Readonly<Record<string, SqlValue>>;

export interface Statement {
  readonly sql: string;
  readonly parameters?: SqlParameters;
  /** What the statement does, for error messages and logs (e.g. `model fact_session_items: insert`). */
  readonly label?: string;
}

export type Row = Record<string, unknown>;

export interface Warehouse {
  /** Runs one query and returns its rows as objects keyed by column name. */
  query<T extends Row = Row>(sql: string, parameters?: SqlParameters): Promise<T[]>;
  /**
   * Runs the statements in order in ONE transaction: all of them take effect, or none does. A failure
   * rejects with an error naming the failing statement's label and the engine's message. Resolves to the
   * rows each statement returned, in order (`[]` for a statement without a result set: DDL, DML). An
   * engine that reads them after COMMIT (the Data API) gives `[]` for every statement when it cannot read
   * them: the transaction did commit.
   */
  transaction(statements: readonly Statement[]): Promise<Row[][]>;
  /** Releases connections. */
  close(): Promise<void>;
}
