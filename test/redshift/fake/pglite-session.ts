/**
 * One Postgres session (PGlite, embedded Postgres in WebAssembly) in a worker thread, driven by messages.
 *
 * Why a worker: PGlite loads its WebAssembly with a dynamic `import()`, which jest's CommonJS module
 * sandbox refuses; a worker thread is a plain Node runtime where it works (the songs database in
 * lib/local/simulator does the same). Messages rather than a socket and `pg`: the fake needs the column
 * type ids and every value as Postgres' text output (to map them to Data API fields the way Redshift does),
 * which the raw protocol result already gives.
 *
 * PGlite is ONE backend: callers run one request at a time (the Data API fake queues its statements).
 */
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';

/** A result column: its name and Postgres type oid. */
export interface SessionField {
  readonly name: string;
  readonly dataTypeID: number;
}

export interface SessionResult {
  readonly fields: SessionField[];
  /** Values as Postgres' text output (DateStyle ISO), null for SQL NULL. */
  readonly rows: (string | null)[][];
  readonly affectedRows: number;
}

/** A request to the worker: one statement with `$n` parameters, or a script of several statements. */
export type SessionRequest =
  | { readonly id: number; readonly kind: 'query'; readonly sql: string; readonly parameters: string[] }
  | { readonly id: number; readonly kind: 'exec'; readonly sql: string }
  | { readonly id: number; readonly kind: 'close' };

/** A request before the session numbers it. */
type SessionRequestBody = SessionRequest extends infer Each
  ? Each extends SessionRequest
    ? Omit<Each, 'id'>
    : never
  : never;

export type SessionResponse =
  | { readonly id: number; readonly ok: true; readonly result: SessionResult }
  | { readonly id: number; readonly ok: false; readonly message: string };

/** The Postgres error a statement raised, with Postgres' own message. */
export class PostgresError extends Error {
  override readonly name = 'PostgresError';
}

export class PgliteSession {
  private nextId = 1;
  private readonly pending = new Map<
    number,
    { resolve: (result: SessionResult) => void; reject: (error: Error) => void }
  >();
  private failure: Error | undefined;

  private constructor(private readonly worker: Worker) {
    worker.on('message', (response: SessionResponse) => {
      const waiting = this.pending.get(response.id);
      if (!waiting) return;
      this.pending.delete(response.id);
      if (response.ok) waiting.resolve(response.result);
      else waiting.reject(new PostgresError(response.message));
    });
    const failAll = (error: Error) => {
      this.failure = error;
      for (const waiting of this.pending.values()) waiting.reject(error);
      this.pending.clear();
    };
    worker.on('error', failAll);
    worker.on('exit', (code) => failAll(new Error(`PGlite worker exited with code ${code}`)));
  }

  /** Starts PGlite (in memory) in a new worker thread. */
  static async start(): Promise<PgliteSession> {
    const typescript = __filename.endsWith('.ts');
    const entry = join(__dirname, `pglite-worker${typescript ? '.ts' : '.js'}`);
    const worker = new Worker(
      typescript ? `require('tsx/cjs/api').register(); require(${JSON.stringify(entry)});` : entry,
      { eval: typescript },
    );
    const session = new PgliteSession(worker);
    await session.exec('select 1');
    return session;
  }

  /** One statement; `parameters` bind `$1`, `$2`, ... as untyped text (Postgres infers their types). */
  query(sql: string, parameters: string[] = []): Promise<SessionResult> {
    return this.request({ kind: 'query', sql, parameters });
  }

  /** Several `;`-separated statements without parameters (start-up scripts). */
  exec(sql: string): Promise<SessionResult> {
    return this.request({ kind: 'exec', sql });
  }

  async close(): Promise<void> {
    if (this.failure) return;
    await this.request({ kind: 'close' }).catch(() => undefined);
    await this.worker.terminate();
  }

  private request(request: SessionRequestBody): Promise<SessionResult> {
    if (this.failure) return Promise.reject(this.failure);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ ...request, id } as SessionRequest);
    });
  }
}
