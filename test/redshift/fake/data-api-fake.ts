/**
 * An in-process stand-in for the Redshift Data API, backed by real Postgres (PGlite), for tests: it plugs in
 * where a `RedshiftDataClient` is expected (`send(command)`), so `RedshiftDataWarehouse` runs unchanged and
 * the SQL it sends (the redshift serving plan, the data-quality tests) runs on a real SQL engine.
 *
 * What it reproduces of the real service:
 * - ExecuteStatement with named `:name` Parameters (non-empty string values, bound as untyped text);
 *   BatchExecuteStatement: Sqls run in order in ONE transaction, any failure rolls all of them back; its
 *   Parameters are shared by all Sqls and each must be referenced by one of them (the API documents
 *   batch parameters since 2024; `ExecutionMode` AUTO_COMMIT is not implemented and refused).
 * - Asynchrony: calls return an Id; DescribeStatement reports SUBMITTED, STARTED, then FINISHED, FAILED or
 *   ABORTED, and never a final status before one STARTED has been reported, so callers' polling runs.
 *   Sub-statements are `<id>:<n>` (1-based); the failing one is FAILED with its Error, those after it
 *   ABORTED, and the batch FAILED with the same Error.
 * - GetStatementResult: typed Field objects mapped from the Postgres type the way the Data API maps
 *   Redshift's (integers longValue, floats doubleValue, booleans booleanValue, NULL isNull; numeric, dates,
 *   timestamps and text stringValue), ColumnMetadata with name/label/typeName, pages of `pageSize` rows
 *   with NextToken.
 * - CancelStatement: a statement not started is ABORTED; a running one is ABORTED and rolled back when
 *   its current Sql ends (Postgres is not interrupted, so that Sql shows FINISHED, the later ones ABORTED);
 *   a finished one is refused (ValidationException).
 * - Limits, with the SDK's exception classes: 100 KB per SQL text, 1 to 40 Sqls per batch, parameter values
 *   non-empty, unknown ids (ResourceNotFoundException).
 * - Sessions: each statement or batch is its own session (temporary tables do not outlive it).
 *
 * The wire (limits, validation, typed fields) is in data-api-wire.ts; late-binding views in late-binding-views.ts.
 *
 * Not reproduced: concurrency (statements run one at a time, in submission order), Redshift's type
 * system (see redshift-dialect.ts for every translation), result formats other than JSON, events.
 * Redshift-only SQL is translated in ONE place, redshift-dialect.ts; anything else fails on Postgres.
 */
import {
  BatchExecuteStatementCommand,
  CancelStatementCommand,
  DescribeStatementCommand,
  DescribeStatementResponse,
  ExecuteStatementCommand,
  GetStatementResultCommand,
  type RedshiftDataClient,
  SqlParameter,
  StatementStatusString,
} from '@aws-sdk/client-redshift-data';
import { randomUUID } from 'node:crypto';
import { type PollingOptions, RedshiftDataWarehouse } from '../../../lambdas/shared/redshift-data-warehouse';
import { rewriteNamedParameters } from '../../../lambdas/shared/serving-plan';
import {
  checkDatabase,
  checkParameters,
  checkSql,
  DATA_API_MAX_BATCH_SQLS,
  notFound,
  offsetOfPageToken,
  resultPage,
  validation,
} from './data-api-wire';
import {
  canonicalName,
  forgetLateBindingViews,
  onlyLateBindingViewsDependOn,
  rememberLateBindingView,
  restoreLateBindingViews,
} from './late-binding-views';
import { PgliteSession, SessionResult } from './pglite-session';
import { REDSHIFT_COMPATIBILITY_SQL, translateStatement } from './redshift-dialect';

export interface FakeRedshiftDataOptions {
  /** Rows per GetStatementResult page (small values exercise NextToken). @default 1000 */
  readonly pageSize?: number;
  /** The database statements must name (Database). @default 'dev' */
  readonly database?: string;
}

type FinalStatus = 'FINISHED' | 'FAILED' | 'ABORTED';
type Status = 'SUBMITTED' | 'STARTED' | FinalStatus;

interface SubStatement {
  readonly id: string;
  readonly sql: string;
  status: Status;
  error?: string;
  result?: SessionResult;
}

interface StatementRecord {
  readonly id: string;
  readonly isBatch: boolean;
  readonly parameters: readonly SqlParameter[];
  readonly createdAt: Date;
  readonly subStatements: SubStatement[];
  status: Status;
  error?: string;
  updatedAt: Date;
  cancelRequested: boolean;
  /** A final status is only shown after STARTED has been shown once (the real service is never instant). */
  startedShown: boolean;
}

export class FakeRedshiftData {
  private readonly statements = new Map<string, StatementRecord>();
  private readonly pageSize: number;
  private readonly database: string;
  /** Statements run one after the other on the single Postgres session. */
  private queue: Promise<void> = Promise.resolve();

  private constructor(
    private readonly session: PgliteSession,
    options: FakeRedshiftDataOptions,
  ) {
    this.pageSize = options.pageSize ?? 1000;
    this.database = options.database ?? 'dev';
  }

  /** Starts Postgres and creates the Redshift compatibility functions (redshift-dialect.ts). */
  static async start(options: FakeRedshiftDataOptions = {}): Promise<FakeRedshiftData> {
    const session = await PgliteSession.start();
    try {
      await session.exec(REDSHIFT_COMPATIBILITY_SQL);
    } catch (error: unknown) {
      await session.close();
      throw error;
    }
    return new FakeRedshiftData(session, options);
  }

  /**
   * The project's `RedshiftDataWarehouse` over this fake, polling every few milliseconds (the fake's
   * statements take milliseconds, not the production backoff's seconds).
   */
  warehouse(polling: PollingOptions = {}): RedshiftDataWarehouse {
    return new RedshiftDataWarehouse({
      // The fake implements the part of RedshiftDataClient the warehouse uses: send().
      client: this as unknown as RedshiftDataClient,
      workgroupName: 'deftunes',
      database: this.database,
      polling: { initialDelayMs: 1, maxDelayMs: 5, ...polling },
    });
  }

  async close(): Promise<void> {
    await this.queue;
    await this.session.close();
  }

  /**
   * Runs SQL directly on Postgres, outside the Data API (no translation, no limits), queued behind the
   * statements in flight: for test set-up that the real service does elsewhere (Spectrum tables). The
   * script runs as one implicit transaction; it must not hold BEGIN/COMMIT (a failure would leave the
   * session inside an aborted transaction).
   */
  administer(sql: string): Promise<SessionResult> {
    const run = this.queue.then(() => this.session.exec(sql));
    this.queue = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  /** The `RedshiftDataClient.send` the project calls; anything else is refused. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the SDK's send is overloaded per command
  async send(command: unknown): Promise<any> {
    if (command instanceof ExecuteStatementCommand) {
      const input = command.input;
      checkDatabase(input.Database, this.database);
      checkSql(input.Sql, 'Sql');
      const parameters = checkParameters(input.Parameters ?? [], [input.Sql!]);
      return this.submit([input.Sql!], parameters, false);
    }
    if (command instanceof BatchExecuteStatementCommand) {
      const input = command.input;
      checkDatabase(input.Database, this.database);
      const sqls = input.Sqls ?? [];
      if (sqls.length < 1 || sqls.length > DATA_API_MAX_BATCH_SQLS) {
        throw validation(`Sqls must hold 1 to ${DATA_API_MAX_BATCH_SQLS} statements (got ${sqls.length})`);
      }
      sqls.forEach((sql, index) => checkSql(sql, `Sqls[${index}]`));
      if (input.ExecutionMode !== undefined && input.ExecutionMode !== 'TRANSACTION') {
        throw new Error(
          `the Data API fake implements ExecutionMode TRANSACTION only (got ${input.ExecutionMode})`,
        );
      }
      const parameters = checkParameters(input.Parameters ?? [], sqls);
      return this.submit(sqls, parameters, true);
    }
    if (command instanceof DescribeStatementCommand) return this.describe(command.input.Id);
    if (command instanceof GetStatementResultCommand)
      return this.result(command.input.Id, command.input.NextToken);
    if (command instanceof CancelStatementCommand) return this.cancel(command.input.Id);
    throw new Error(`the Data API fake does not implement ${(command as object).constructor.name}`);
  }

  private submit(
    sqls: readonly string[],
    parameters: SqlParameter[],
    isBatch: boolean,
  ): { Id: string; CreatedAt: Date; Database: string } {
    const id = randomUUID();
    const now = new Date();
    const record: StatementRecord = {
      id,
      isBatch,
      parameters,
      createdAt: now,
      updatedAt: now,
      status: 'SUBMITTED',
      cancelRequested: false,
      startedShown: false,
      subStatements: sqls.map((sql, index) => ({
        id: isBatch ? `${id}:${index + 1}` : id,
        sql,
        status: 'SUBMITTED',
      })),
    };
    this.statements.set(id, record);
    this.queue = this.queue.then(() => this.execute(record));
    return { Id: id, CreatedAt: now, Database: this.database };
  }

  /** Runs a statement's Sqls in one transaction, in its own session, keeping each Sql's outcome. */
  private async execute(record: StatementRecord): Promise<void> {
    if (record.cancelRequested) return this.finish(record, 'ABORTED');
    record.status = 'STARTED';
    record.updatedAt = new Date();
    await this.session.query('begin');
    try {
      for (const sub of record.subStatements) {
        if (record.cancelRequested) {
          await this.session.query('rollback');
          this.abortFrom(record, sub);
          return this.finish(record, 'ABORTED');
        }
        sub.status = 'STARTED';
        try {
          sub.result = await this.runSql(sub.sql, record.parameters);
          sub.status = 'FINISHED';
        } catch (error: unknown) {
          sub.status = 'FAILED';
          sub.error = `ERROR: ${error instanceof Error ? error.message : String(error)}`;
          await this.session.query('rollback');
          this.abortFrom(record, sub);
          record.error = sub.error;
          return this.finish(record, 'FAILED');
        }
      }
      if (record.cancelRequested) {
        // Cancelled while its last Sql ran: the real service rolls the transaction back.
        await this.session.query('rollback');
        return this.finish(record, 'ABORTED');
      }
      await restoreLateBindingViews(this.session);
      await this.session.query('commit');
      this.finish(record, 'FINISHED');
    } catch (error: unknown) {
      await this.session.query('rollback').catch(() => undefined);
      record.error = `ERROR: ${error instanceof Error ? error.message : String(error)}`;
      this.finish(record, 'FAILED');
    } finally {
      // The next statement is a new session: temporary tables go (outside any transaction).
      await this.session.query('discard temp');
    }
  }

  private abortFrom(record: StatementRecord, failed: SubStatement): void {
    for (const sub of record.subStatements.slice(record.subStatements.indexOf(failed) + 1))
      sub.status = 'ABORTED';
    if (failed.status !== 'FAILED') failed.status = 'ABORTED';
  }

  private finish(record: StatementRecord, status: FinalStatus): void {
    record.status = status;
    record.updatedAt = new Date();
    if (status === 'ABORTED') {
      for (const sub of record.subStatements) if (sub.status === 'SUBMITTED') sub.status = 'ABORTED';
    }
  }

  /** One Sql: parameters bound, Redshift constructs translated, late binding emulated. */
  private async runSql(sql: string, parameters: readonly SqlParameter[]): Promise<SessionResult> {
    const statement = translateStatement(sql);
    const values: string[] = [];
    const positions = new Map<string, number>();
    const text = rewriteNamedParameters(statement.sql, (name) => {
      const parameter = parameters.find((candidate) => candidate.name === name);
      // An unbound :name stays as written: Postgres refuses it, as Redshift refuses a missing parameter.
      if (!parameter) return `:${name}`;
      if (!positions.has(name)) {
        values.push(parameter.value!);
        positions.set(name, values.length);
      }
      return `$${positions.get(name)}`;
    });
    if (
      statement.droppedTables &&
      (await onlyLateBindingViewsDependOn(this.session, statement.droppedTables))
    ) {
      return this.session.query(`${text.replace(/[\s;]+$/, '')} cascade`, values);
    }
    const droppedViews: string[] = [];
    for (const view of statement.droppedViews ?? []) {
      const name = await canonicalName(this.session, view);
      if (name) droppedViews.push(name);
    }
    const result = await this.session.query(text, values);
    await forgetLateBindingViews(this.session, droppedViews);
    if (statement.lateBindingView)
      await rememberLateBindingView(this.session, statement.lateBindingView, text);
    return result;
  }

  private find(id: string | undefined): { record: StatementRecord; sub?: SubStatement } {
    if (!id) throw validation('Id is required');
    const [parentId, position] = id.split(':');
    const record = this.statements.get(parentId);
    if (!record) throw notFound(`Query does not exist: ${id}`, id);
    if (position === undefined) return { record };
    const sub = record.isBatch ? record.subStatements[Number(position) - 1] : undefined;
    if (!sub) throw notFound(`Query does not exist: ${id}`, id);
    return { record, sub };
  }

  /** The status callers see: a final one only after STARTED was shown once. */
  private visibleStatus(record: StatementRecord): Status {
    if (record.status === 'SUBMITTED' || record.status === 'STARTED') {
      if (record.status === 'STARTED') record.startedShown = true;
      return record.status;
    }
    if (!record.startedShown) {
      record.startedShown = true;
      return 'STARTED';
    }
    return record.status;
  }

  private describe(id: string | undefined): DescribeStatementResponse {
    const { record, sub } = this.find(id);
    const status = this.visibleStatus(record);
    const final = status === record.status;
    const describeSub = (each: SubStatement) => ({
      Id: each.id,
      Status: (final
        ? each.status
        : each.status === 'SUBMITTED'
          ? 'SUBMITTED'
          : 'STARTED') as StatementStatusString,
      QueryString: each.sql,
      HasResultSet: final && each.status === 'FINISHED' && (each.result?.fields.length ?? 0) > 0,
      ResultRows: final ? (each.result?.rows.length ?? -1) : -1,
      ...(final && each.error ? { Error: each.error } : {}),
      CreatedAt: record.createdAt,
      UpdatedAt: record.updatedAt,
    });
    if (sub) return { ...describeSub(sub), Database: this.database };
    const only = record.subStatements[0];
    return {
      Id: record.id,
      Status: status as StatementStatusString,
      Database: this.database,
      CreatedAt: record.createdAt,
      UpdatedAt: record.updatedAt,
      QueryString: record.isBatch ? undefined : only.sql,
      QueryParameters: record.parameters.length > 0 ? [...record.parameters] : undefined,
      HasResultSet: !record.isBatch && final && describeSub(only).HasResultSet,
      ResultRows: !record.isBatch && final ? (only.result?.rows.length ?? -1) : -1,
      ...(final && record.error ? { Error: record.error } : {}),
      ...(record.isBatch ? { SubStatements: record.subStatements.map(describeSub) } : {}),
    };
  }

  private result(id: string | undefined, nextToken: string | undefined) {
    const { record, sub } = this.find(id);
    if (record.isBatch && !sub)
      throw validation('a batch has no result set of its own: read its sub-statements (<id>:<n>)');
    const statement = sub ?? record.subStatements[0];
    if (statement.status !== 'FINISHED' || !statement.result)
      throw validation(`Query ${statement.id} is not FINISHED (it is ${statement.status})`);
    if (statement.result.fields.length === 0)
      throw notFound(`Query ${statement.id} does not have result`, statement.id);
    const offset = nextToken ? offsetOfPageToken(nextToken, statement.id) : 0;
    return resultPage(statement.result, statement.id, offset, this.pageSize);
  }

  private cancel(id: string | undefined): { Status: boolean } {
    const { record, sub } = this.find(id);
    if (sub) throw validation('cancel the batch, not one of its sub-statements');
    if (record.status !== 'SUBMITTED' && record.status !== 'STARTED')
      throw validation(`Could not cancel a query that is already in ${record.status} state`);
    record.cancelRequested = true;
    return { Status: true };
  }
}
