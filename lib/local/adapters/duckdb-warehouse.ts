/**
 * The `Warehouse` on a DuckDB file: the local stand-in for Redshift Serverless. `:name` parameters become
 * DuckDB's `$name`; a transaction is BEGIN ... COMMIT on one connection (DuckDB's DDL is transactional, so
 * CREATE/DROP/RENAME roll back too). Rows come back in the Data API's shapes: integers as numbers,
 * decimals, dates and timestamps as strings.
 */
import {
  DuckDBConnection,
  DuckDBInstance,
  DuckDBResultReader,
  DuckDBTypeId,
  ResultReturnType,
  StatementType,
} from '@duckdb/node-api';
import * as path from 'node:path';
import { mkdirSync } from 'node:fs';
import { rewriteNamedParameters } from '../../../lambdas/shared/serving-plan';
import type { Row, SqlParameters, SqlValue, Statement, Warehouse } from '../../../lambdas/shared/warehouse';

export interface DuckDbWarehouseOptions {
  /**
   * Schemas searched for unqualified names, e.g. `['deftunes_serving', 'deftunes_transform', 'main']`;
   * schemas that do not exist yet are skipped.
   * @default DuckDB's default (main)
   */
  readonly searchPath?: readonly string[];
  /**
   * Open the file read-only (it must exist); nothing can change it through this warehouse.
   * @default false
   */
  readonly readOnly?: boolean;
  /**
   * Confines SQL to reading (for SQL typed by a person, e.g. `deftunes query`): one SELECT or EXPLAIN per
   * text; no file outside `readableDirectories` can be read or written (no `COPY ... TO`, no
   * `read_csv('/etc/passwd')`, no `INSTALL`/`LOAD`), and the settings are locked so SQL cannot lift this.
   * Needs `readOnly`; the warehouse gets a private instance, since these settings hold for a whole instance.
   * @default no sandbox
   */
  readonly sandbox?: { readonly readableDirectories: readonly string[] };
}

/** Statement kinds a sandboxed warehouse runs. */
const SANDBOX_STATEMENTS: ReadonlySet<StatementType> = new Set([StatementType.SELECT, StatementType.EXPLAIN]);

interface SharedInstance {
  readonly instance: DuckDBInstance;
  references: number;
  /** Owned by one warehouse (in-memory or sandboxed): closed with it, never shared. */
  readonly private?: boolean;
}

// One DuckDB instance per file and process: two instances on one file would fight over its lock.
const instances = new Map<string, Promise<SharedInstance>>();

async function acquireInstance(file: string, readOnly: boolean): Promise<SharedInstance> {
  let shared = instances.get(file);
  if (!shared) {
    if (!readOnly) mkdirSync(path.dirname(file), { recursive: true });
    shared = DuckDBInstance.create(file, readOnly ? { access_mode: 'READ_ONLY' } : undefined).then(
      (instance) => ({
        instance,
        references: 0,
      }),
    );
    instances.set(file, shared);
    shared.catch(() => instances.delete(file));
  }
  const resolved = await shared;
  resolved.references += 1;
  return resolved;
}

function releaseInstance(file: string, shared: SharedInstance): void {
  shared.references -= 1;
  if (shared.references === 0) {
    instances.delete(file);
    shared.instance.closeSync();
  }
}

export class DuckDbWarehouse implements Warehouse {
  /** Opens (creating when missing) the DuckDB file; `:memory:` gives a private in-memory database. */
  static async open(file: string, options: DuckDbWarehouseOptions = {}): Promise<DuckDbWarehouse> {
    const resolved = file === ':memory:' ? file : path.resolve(file);
    if (options.sandbox && !options.readOnly)
      throw new Error('a sandboxed DuckDB warehouse must be read-only');
    let shared: SharedInstance;
    if (file === ':memory:') {
      shared = { instance: await DuckDBInstance.create(':memory:'), references: 1, private: true };
    } else if (options.sandbox) {
      shared = {
        instance: await DuckDBInstance.create(resolved, { access_mode: 'READ_ONLY' }),
        references: 1,
        private: true,
      };
    } else {
      shared = await acquireInstance(resolved, options.readOnly ?? false);
    }
    let connection: DuckDBConnection;
    try {
      connection = await shared.instance.connect();
    } catch (error) {
      if (shared.private) shared.instance.closeSync();
      else releaseInstance(resolved, shared);
      throw error;
    }
    const warehouse = new DuckDbWarehouse(resolved, shared, connection, options.sandbox !== undefined);
    try {
      if (options.searchPath) await warehouse.setSearchPath(options.searchPath);
      if (options.sandbox) await warehouse.confine(options.sandbox.readableDirectories);
    } catch (error) {
      await warehouse.close();
      throw error;
    }
    return warehouse;
  }

  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;

  private constructor(
    /** Absolute path of the database file (or `:memory:`). */
    readonly file: string,
    private readonly shared: SharedInstance,
    private readonly connection: DuckDBConnection,
    private readonly sandboxed = false,
  ) {}

  query<T extends Row = Row>(sql: string, parameters: SqlParameters = {}): Promise<T[]> {
    return this.exclusive(async () => {
      if (this.sandboxed) await this.refuseAllButReading(sql);
      const result = await this.run(sql, parameters, undefined);
      return toRows(result) as T[];
    });
  }

  transaction(statements: readonly Statement[]): Promise<Row[][]> {
    if (this.sandboxed) return Promise.reject(new Error('a sandboxed DuckDB warehouse only reads'));
    return this.exclusive(async () => {
      await this.connection.run('BEGIN TRANSACTION');
      try {
        const rows: Row[][] = [];
        for (const statement of statements) {
          const result = await this.run(statement.sql, statement.parameters ?? {}, statement.label);
          // As the Data API: only a query has a result set (an INSERT's changed-row count is none).
          rows.push(result.returnType === ResultReturnType.QUERY_RESULT ? toRows(result) : []);
        }
        await this.connection.run('COMMIT');
        return rows;
      } catch (error) {
        try {
          await this.connection.run('ROLLBACK');
        } catch {
          // The engine already ended the transaction; the statement's error is the one that matters.
        }
        throw error;
      }
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.queue.catch(() => undefined);
    this.connection.closeSync();
    if (this.shared.private) this.shared.instance.closeSync();
    else releaseInstance(this.file, this.shared);
  }

  /** Applies the sandbox: file access only under `directories`, no extension installs, settings locked. */
  private async confine(directories: readonly string[]): Promise<void> {
    const list = directories
      .map((directory) => `'${path.resolve(directory).replace(/'/g, "''")}${path.sep}'`)
      .join(', ');
    await this.exclusive(async () => {
      await this.connection.run(`SET allowed_directories = [${list}]`);
      await this.connection.run('SET autoinstall_known_extensions = false');
      await this.connection.run('SET autoload_known_extensions = false');
      await this.connection.run('SET enable_external_access = false');
      await this.connection.run('SET lock_configuration = true');
    });
  }

  /** Throws unless the text is exactly one SELECT or EXPLAIN statement. */
  private async refuseAllButReading(sql: string): Promise<void> {
    const extracted = await this.connection.extractStatements(sql);
    if (extracted.count !== 1)
      throw new Error(`read-only query: expected one statement, got ${extracted.count}`);
    const prepared = await extracted.prepare(0);
    try {
      if (!SANDBOX_STATEMENTS.has(prepared.statementType))
        throw new Error(
          `read-only query: ${StatementType[prepared.statementType]} statements are refused (only SELECT and EXPLAIN run)`,
        );
    } finally {
      prepared.destroySync();
    }
  }

  /** Sets the schemas unqualified names resolve in (skipping those that do not exist). */
  async setSearchPath(schemas: readonly string[]): Promise<void> {
    const existing = new Set(
      (
        await this.query<{ schema_name: string }>(
          'select schema_name from information_schema.schemata where catalog_name = current_database()',
        )
      ).map((row) => row.schema_name),
    );
    const present = schemas.filter((schema) => existing.has(schema));
    if (present.length === 0) return;
    await this.exclusive(() =>
      this.connection.run(`SET search_path = '${present.join(',').replace(/'/g, "''")}'`),
    );
  }

  private exclusive<T>(work: () => Promise<T>): Promise<T> {
    if (this.closed) return Promise.reject(new Error(`DuckDB warehouse ${this.file} is closed`));
    const next = this.queue.then(work, work);
    this.queue = next.catch(() => undefined);
    return next;
  }

  private async run(
    sql: string,
    parameters: SqlParameters,
    label: string | undefined,
  ): Promise<DuckDBResultReader> {
    const values: Record<string, SqlValue> = {};
    const where = label ? `statement "${label}"` : 'query';
    const translated = rewriteNamedParameters(sql, (name) => {
      if (!Object.prototype.hasOwnProperty.call(parameters, name))
        throw new Error(`${where}: no value for parameter :${name}`);
      values[name] = parameters[name];
      return `$${name}`;
    });
    try {
      return await this.connection.runAndReadAll(
        translated,
        Object.keys(values).length > 0
          ? (values as Record<string, string | number | boolean | null>)
          : undefined,
      );
    } catch (error) {
      throw new Error(`${where} failed on DuckDB: ${(error as Error).message}`, { cause: error });
    }
  }
}

/** Result rows as plain objects, values shaped like the Redshift Data API's. */
function toRows(reader: DuckDBResultReader): Row[] {
  const names = reader.columnNames();
  const types = reader.columnTypes();
  const jsRows = reader.getRowsJS();
  const jsonRows = reader.getRowsJson();
  return jsRows.map((jsRow, index) => {
    const row: Row = {};
    names.forEach((name, column) => {
      const value = jsRow[column];
      if (value === null || value === undefined) row[name] = null;
      else if (typeof value === 'bigint')
        row[name] = Number.isSafeInteger(Number(value)) ? Number(value) : value.toString();
      else if (types[column].typeId === DuckDBTypeId.DECIMAL || typeof value === 'object')
        row[name] = jsonRows[index][column];
      else row[name] = value;
    });
    return row;
  });
}
