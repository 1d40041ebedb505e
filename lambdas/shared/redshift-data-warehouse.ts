/**
 * The `Warehouse` on Redshift Serverless through the Redshift Data API (no drivers, no VPC connection from
 * the Lambda): WorkgroupName + Database, optionally a Secrets Manager secret, else IAM temporary
 * credentials (the database user is derived from the Lambda's role).
 *
 * Data API facts this class is built around:
 * - Statements are asynchronous: ExecuteStatement/BatchExecuteStatement return an id; DescribeStatement is
 *   polled (capped exponential backoff) until FINISHED, FAILED or ABORTED.
 * - A SQL text is limited to 100 KB; it is checked here before sending, naming the statement.
 * - ExecuteStatement takes named parameters (`:name`, non-empty string values: a null or an empty string
 *   is inlined as a literal). BatchExecuteStatement takes at most 40 statements, which run serially in ONE
 *   transaction (any failure rolls all of them back); `ExecutionMode: 'TRANSACTION'` is sent explicitly,
 *   since the API also offers AUTO_COMMIT. Its batch-wide parameters must each be used by at least one
 *   statement, so a transaction's parameters are inlined as literals instead: numbers and booleans as such,
 *   strings quoted with '' escaping and refused when they hold a backslash or a control character (so no
 *   escape sequence can change the text). The text checked by the Redshift conformance test is then
 *   exactly the text sent.
 * - BatchExecuteStatement carries a ClientToken: an SDK retry of a request that did reach the service
 *   (a timeout on the response) does not start the transaction a second time.
 * - GetStatementResult pages with NextToken; a batch's sub-statement results are read as `<id>:<n>`.
 * - A statement outlives its caller: one still running at the polling deadline is cancelled
 *   (CancelStatement; a batch's transaction is then rolled back) before the timeout error is thrown.
 *
 * Errors that mean "not now" rather than "not this" (throttling, too many active statements or sessions,
 * a paused or unavailable workgroup, a serializable isolation conflict) are thrown as
 * {@link TransientWarehouseError}, which the state machine retries; everything else keeps its message.
 */
import {
  BatchExecuteStatementCommand,
  CancelStatementCommand,
  DescribeStatementCommand,
  DescribeStatementResponse,
  ExecuteStatementCommand,
  Field,
  GetStatementResultCommand,
  RedshiftDataClient,
  SqlParameter,
} from '@aws-sdk/client-redshift-data';
import { randomUUID } from 'node:crypto';
import { isErrorLike, messageOf } from './errors';
import { rewriteNamedParameters } from './serving-plan';
import type { Row, SqlParameters, SqlValue, Statement, Warehouse } from './warehouse';
import { TransientWarehouseError, WarehouseStatementTimeoutError } from './warehouse-errors';

export {
  isTransientWarehouseError,
  TransientWarehouseError,
  TRANSIENT_WAREHOUSE_ERROR,
  WarehouseStatementTimeoutError,
  WAREHOUSE_STATEMENT_TIMEOUT,
} from './warehouse-errors';

/**
 * Data API exceptions that say the service or the workgroup is busy or briefly unreachable (the SDK has
 * already retried them a few times when they reach this class).
 */
export const TRANSIENT_DATA_API_ERRORS: ReadonlySet<string> = new Set([
  'ThrottlingException',
  'ActiveStatementsExceededException',
  'ActiveSessionsExceededException',
  'ActiveWaitingRequestsExceededException',
  'DatabaseConnectionException',
  'InternalServerException',
]);

/** Messages (of a failed statement or of an API error) that mean the same. */
export const TRANSIENT_FAILURE_MESSAGES: readonly RegExp[] = [
  // Redshift Serverless pausing, resuming or being modified; a provisioned cluster paused.
  /\b(?:workgroup|cluster)\b[^.]*\b(?:paused|pausing|resuming|modifying|unavailable|not available)\b/i,
  /\binsufficient capacity\b/i,
  // Error 1023: a concurrent transaction conflicted with this one; running it again is the documented fix.
  /\bserializable isolation violation\b/i,
  /\btoo many (?:active |concurrent )?(?:connections|statements|sessions|queries)\b/i,
];

export function isTransientFailureMessage(message: string): boolean {
  return TRANSIENT_FAILURE_MESSAGES.some((pattern) => pattern.test(message));
}

/** Data API limit on one SQL text. */
export const MAX_STATEMENT_BYTES = 100 * 1024;
/** Data API limit on the statements of one BatchExecuteStatement. */
export const MAX_BATCH_STATEMENTS = 40;

export interface PollingOptions {
  /** First wait between DescribeStatement calls. @default 200 */
  readonly initialDelayMs?: number;
  /** Longest wait between DescribeStatement calls. @default 5000 */
  readonly maxDelayMs?: number;
  /** Cancel the statement and give up after this long. @default 840000 (14 min) */
  readonly timeoutMs?: number;
}

export interface RedshiftDataWarehouseProps {
  readonly client: RedshiftDataClient;
  /** Redshift Serverless workgroup name. */
  readonly workgroupName: string;
  /** Database to connect to. */
  readonly database: string;
  /**
   * Secrets Manager secret with the database user's credentials.
   * @default IAM temporary credentials (redshift-serverless:GetCredentials)
   */
  readonly secretArn?: string;
  /** @default see PollingOptions */
  readonly polling?: PollingOptions;
  /** @default setTimeout; tests pass a fake clock */
  readonly sleep?: (ms: number) => Promise<void>;
}

export class RedshiftDataWarehouse implements Warehouse {
  private readonly initialDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly timeoutMs: number;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(private readonly props: RedshiftDataWarehouseProps) {
    this.initialDelayMs = props.polling?.initialDelayMs ?? 200;
    this.maxDelayMs = props.polling?.maxDelayMs ?? 5000;
    this.timeoutMs = props.polling?.timeoutMs ?? 840_000;
    this.sleep = props.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  }

  async query<T extends Row = Row>(sql: string, parameters: SqlParameters = {}): Promise<T[]> {
    const label = 'query';
    const sqlParameters: SqlParameter[] = [];
    const text = rewriteNamedParameters(sql, (name) => {
      const value = parameterValue(parameters, name, label);
      // The Data API has no null parameter value and refuses empty values: both become literals.
      if (value === null || value === '') return sqlLiteral(value, `${label}, parameter :${name}`);
      if (!sqlParameters.some((parameter) => parameter.name === name))
        sqlParameters.push({ name, value: String(value) });
      return `:${name}`;
    });
    checkSize(text, label);
    const started = await this.call(`ExecuteStatement ("${label}")`, () =>
      this.props.client.send(
        new ExecuteStatementCommand({
          ...this.target(),
          Sql: text,
          Parameters: sqlParameters.length > 0 ? sqlParameters : undefined,
        }),
      ),
    );
    const description = await this.waitFor(requireId(started.Id), [label]);
    if (!description.HasResultSet) return [];
    return (await this.readResult(requireId(started.Id))) as T[];
  }

  async transaction(statements: readonly Statement[]): Promise<Row[][]> {
    if (statements.length === 0) return [];
    if (statements.length > MAX_BATCH_STATEMENTS) {
      throw new Error(
        `transaction of ${statements.length} statements exceeds the Data API's ${MAX_BATCH_STATEMENTS} statements per BatchExecuteStatement (first: "${labelOf(statements[0], 0)}")`,
      );
    }
    const labels = statements.map(labelOf);
    const sqls = statements.map((statement, index) => {
      const text = inlineParameters(statement.sql, statement.parameters ?? {}, labels[index]);
      checkSize(text, labels[index]);
      return text;
    });
    const started = await this.call(`BatchExecuteStatement ("${labels[0]}", ...)`, () =>
      this.props.client.send(
        new BatchExecuteStatementCommand({
          ...this.target(),
          Sqls: sqls,
          ExecutionMode: 'TRANSACTION',
          ClientToken: randomUUID(),
        }),
      ),
    );
    const description = await this.waitFor(requireId(started.Id), labels);
    // The batch has committed: rows that cannot be read (a description without its sub-statements, a
    // throttled GetStatementResult) must not report the transaction as failed; it gets no rows instead.
    try {
      return await this.subStatementRows(description, statements.length);
    } catch {
      return statements.map(() => []);
    }
  }

  async close(): Promise<void> {
    // The Data API holds no connection; the SDK client belongs to the caller.
  }

  private target(): { WorkgroupName: string; Database: string; SecretArn?: string } {
    return {
      WorkgroupName: this.props.workgroupName,
      Database: this.props.database,
      ...(this.props.secretArn ? { SecretArn: this.props.secretArn } : {}),
    };
  }

  /** Polls DescribeStatement until the statement ends; a failure names the failing statement's label. */
  private async waitFor(id: string, labels: readonly string[]): Promise<DescribeStatementResponse> {
    const deadline = Date.now() + this.timeoutMs;
    let delay = this.initialDelayMs;
    for (;;) {
      const description = await this.call(`DescribeStatement ${id}`, () =>
        this.props.client.send(new DescribeStatementCommand({ Id: id })),
      );
      switch (description.Status) {
        case 'FINISHED':
          return description;
        case 'FAILED':
        case 'ABORTED': {
          const message = failureMessage(description, labels);
          throw isTransientFailureMessage(message)
            ? new TransientWarehouseError(message)
            : new Error(message);
        }
        default:
          if (Date.now() + delay > deadline) {
            const cancelled = await this.cancel(id);
            throw new WarehouseStatementTimeoutError(
              `Redshift statement ${id} ("${labels.join('", "')}") still ${description.Status ?? 'pending'} after ${this.timeoutMs} ms; ${cancelled}`,
            );
          }
          await this.sleep(delay);
          delay = Math.min(this.maxDelayMs, delay * 2);
      }
    }
  }

  /** Cancels a statement that outran the deadline; says what happened (it never masks the timeout). */
  private async cancel(id: string): Promise<string> {
    try {
      const response = await this.props.client.send(new CancelStatementCommand({ Id: id }));
      return response?.Status === false
        ? 'CancelStatement did not cancel it (it may have just ended)'
        : 'cancelled it (a transaction is rolled back)';
    } catch (error: unknown) {
      return `CancelStatement failed: ${messageOf(error)}`;
    }
  }

  /** One Data API call; throttling and capacity errors become {@link TransientWarehouseError}. */
  private async call<T>(what: string, send: () => Promise<T>): Promise<T> {
    try {
      return await send();
    } catch (error: unknown) {
      if (
        isErrorLike(error) &&
        (TRANSIENT_DATA_API_ERRORS.has(error.name) || isTransientFailureMessage(error.message))
      ) {
        throw new TransientWarehouseError(`Redshift Data API ${what}: ${error.name}: ${error.message}`, {
          cause: error,
        });
      }
      throw error;
    }
  }

  /** The rows of each sub-statement of a finished batch, read as `<id>:<n>`; [] without a result set. */
  private async subStatementRows(batch: DescribeStatementResponse, expected: number): Promise<Row[][]> {
    const subStatements = batch.SubStatements ?? [];
    if (subStatements.length !== expected)
      throw new Error(
        `BatchExecuteStatement ${batch.Id} reported ${subStatements.length} sub-statements for the ${expected} sent`,
      );
    const rows: Row[][] = [];
    for (const sub of subStatements)
      rows.push(sub.HasResultSet ? await this.readResult(requireId(sub.Id)) : []);
    return rows;
  }

  private async readResult(id: string): Promise<Row[]> {
    const rows: Row[] = [];
    let nextToken: string | undefined;
    do {
      const page = await this.call(`GetStatementResult ${id}`, () =>
        this.props.client.send(new GetStatementResultCommand({ Id: id, NextToken: nextToken })),
      );
      const names = (page.ColumnMetadata ?? []).map(
        (column, index) => column.name ?? column.label ?? `column_${index}`,
      );
      for (const record of page.Records ?? []) {
        const row: Row = {};
        record.forEach((field, index) => {
          row[names[index]] = fieldValue(field);
        });
        rows.push(row);
      }
      nextToken = page.NextToken;
    } while (nextToken);
    return rows;
  }
}

function labelOf(statement: Statement, index: number): string {
  return statement.label ?? `statement ${index + 1}`;
}

function requireId(id: string | undefined): string {
  if (!id) throw new Error('the Data API returned no statement id');
  return id;
}

function parameterValue(parameters: SqlParameters, name: string, label: string): SqlValue {
  if (!Object.prototype.hasOwnProperty.call(parameters, name))
    throw new Error(`statement "${label}": no value for parameter :${name}`);
  return parameters[name];
}

function checkSize(sql: string, label: string): void {
  const bytes = Buffer.byteLength(sql, 'utf8');
  if (bytes > MAX_STATEMENT_BYTES) {
    throw new Error(
      `statement "${label}" is ${bytes} bytes; the Data API accepts at most ${MAX_STATEMENT_BYTES} bytes per statement`,
    );
  }
}

/** A value as a Redshift SQL literal, refusing strings that could carry escape sequences. */
export function sqlLiteral(value: SqlValue, where: string): string {
  if (value === null) return 'NULL';
  if (typeof value === 'boolean') return value ? 'TRUE' : 'FALSE';
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new Error(`${where}: ${value} cannot be written as a SQL literal`);
    return String(value);
  }
  // eslint-disable-next-line no-control-regex
  if (/[\\\u0000-\u001f\u007f]/.test(value)) {
    throw new Error(`${where}: refusing to inline a string with a backslash or control character`);
  }
  return `'${value.replace(/'/g, "''")}'`;
}

/** The statement with its `:name` parameters replaced by literals (BatchExecuteStatement takes none). */
export function inlineParameters(sql: string, parameters: SqlParameters, label: string): string {
  return rewriteNamedParameters(sql, (name) =>
    sqlLiteral(parameterValue(parameters, name, label), `statement "${label}", parameter :${name}`),
  );
}

function failureMessage(description: DescribeStatementResponse, labels: readonly string[]): string {
  const status = description.Status ?? 'FAILED';
  const failed = (description.SubStatements ?? []).find(
    (sub) => sub.Status === 'FAILED' || sub.Status === 'ABORTED',
  );
  if (failed) {
    // Sub-statement ids are `<batch id>:<1-based position>`.
    const position = Number(/:(\d+)$/.exec(failed.Id ?? '')?.[1] ?? NaN);
    const label =
      Number.isInteger(position) && labels[position - 1]
        ? labels[position - 1]
        : `sub-statement ${failed.Id}`;
    return `Redshift statement "${label}" ${failed.Status === 'ABORTED' ? 'was aborted' : 'failed'}: ${failed.Error ?? description.Error ?? 'no message'} (the whole transaction was rolled back)`;
  }
  const label = labels.length === 1 ? labels[0] : labels.join('", "');
  return `Redshift statement "${label}" ${status === 'ABORTED' ? 'was aborted' : 'failed'}: ${description.Error ?? 'no message'}`;
}

function fieldValue(field: Field): unknown {
  if (field.isNull) return null;
  if (field.booleanValue !== undefined) return field.booleanValue;
  if (field.longValue !== undefined) return field.longValue;
  if (field.doubleValue !== undefined) return field.doubleValue;
  if (field.stringValue !== undefined) return field.stringValue;
  if (field.blobValue !== undefined) return Buffer.from(field.blobValue).toString('base64');
  return null;
}

/** The warehouse the handlers reach from their environment (`redshiftDataApiEnv()`), on a new client. */
export function redshiftDataWarehouseFromEnv(env: {
  readonly REDSHIFT_WORKGROUP: string;
  readonly REDSHIFT_DATABASE: string;
  readonly REDSHIFT_SECRET_ARN?: string;
}): RedshiftDataWarehouse {
  return new RedshiftDataWarehouse({
    client: new RedshiftDataClient({}),
    workgroupName: env.REDSHIFT_WORKGROUP,
    database: env.REDSHIFT_DATABASE,
    secretArn: env.REDSHIFT_SECRET_ARN,
  });
}
