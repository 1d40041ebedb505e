/**
 * The local stand-in for AWS Glue: a client of `lib/local/spark/local_runner.py`, which runs the Glue jobs'
 * own code on ONE local SparkSession for a whole local pipeline run (one JVM start, not one per job),
 * with the `glue_catalog` Iceberg catalog on SQLite under `<data-dir>/transform/`.
 *
 * The runner speaks JSON lines on stdin/stdout and logs on stderr. Requests are answered one at a time,
 * in order; concurrent calls are queued by the runner. One runner per data directory at a time: SQLite
 * takes one writer, and the runner locks `<data-dir>/transform/.spark-runner.lock` for its whole life. The
 * lock is an flock (the kernel drops it when the runner exits), and the runner exits by itself as soon as
 * this process is gone, even mid-job: a client killed with SIGKILL never leaves a runner holding the lock.
 */
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import * as readline from 'node:readline';

/** The repository root: the runner script, `.venv` and `.jars` are found relative to it. */
const PROJECT_ROOT = path.resolve(__dirname, '..', '..');
const RUNNER_SCRIPT = path.join(PROJECT_ROOT, 'lib', 'local', 'spark', 'local_runner.py');
const LOG_TAIL_LINES = 40;

export type TransformJobName =
  'transform_api' | 'transform_songs' | 'transform_enrichment' | 'transform_listens';
export const TRANSFORM_JOB_NAMES: readonly TransformJobName[] = [
  'transform_api',
  'transform_songs',
  'transform_enrichment',
  'transform_listens',
];

/** The Glue job arguments without their `--`; locally the paths default to the data directory's. */
export type TransformJobArgs = {
  /** YYYY-MM-DD: the `ingest_on` partition the job replaces. */
  run_date: string;
  /** @default `<data-dir>/landing` */
  landing_path?: string;
  /** @default `<data-dir>/transform/warehouse` */
  warehouse_path?: string;
  /** @default 'deftunes_transform' */
  database?: string;
  /** @default `<warehouse_path>/_job_results` */
  job_results_path?: string;
  /** Only `glue_catalog` locally. @default 'glue_catalog' */
  catalog_name?: string;
  /** `transform_listens` only (the other jobs refuse it): cdk.json `stream.latenessHours`. */
  lateness_hours?: string;
};

/** One source's outcome. `read` and `quarantined` count landing records, `written` table rows. */
export type SourceCounts = {
  read: number;
  written: number;
  quarantined: number;
  duplicates_dropped: number;
  records_written: number;
  table: string;
  quarantine_table: string;
  source_from: string;
};

export type JobResult = {
  job: TransformJobName;
  run_date: string;
  processing_timestamp: string;
  duration_seconds: number;
  sources: Record<string, SourceCounts>;
  /** Where the job's counts document was written. */
  results_path: string;
};

export interface LocalSparkRunnerOptions {
  /** The local data directory (`--data-dir`). */
  readonly dataDir: string;
  /**
   * Python of the project's environment, relative to the repository root or absolute.
   * @default '.venv/bin/python'
   */
  readonly python?: string;
  /**
   * Folder of the Iceberg and SQLite JDBC jars, relative to the repository root or absolute.
   * @default '.jars'
   */
  readonly jarsDir?: string;
  /**
   * Spark driver memory.
   * @default '1g' (or $DEFTUNES_SPARK_DRIVER_MEMORY)
   */
  readonly driverMemory?: string;
  /**
   * Receives each log line of the runner (Spark and the jobs, from its stderr).
   * @default discarded; the last lines are kept and quoted in error messages
   */
  readonly onLog?: (line: string) => void;
  /**
   * cdk.json `icebergMaintenance`: each job is then followed by the Iceberg maintenance of the tables it
   * wrote (glue-scripts/deftunes_glue/maintenance.py, the local Glue table optimizers).
   * @default no maintenance
   */
  readonly tableMaintenance?: Readonly<Record<string, number | boolean>>;
  /**
   * How long Spark may take to start.
   * @default 180000
   */
  readonly startTimeoutMs?: number;
}

export class LocalSparkRunnerError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LocalSparkRunnerError';
  }
}

interface Pending {
  readonly what: string;
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: Error) => void;
}

type RunnerMessage =
  | { event: 'ready'; spark_version: string }
  | { event: 'failed'; error: string }
  | { id: number; ok: true; result: unknown }
  | { id: number; ok: false; error: string };

/**
 * Fails with what is missing when local Spark cannot start (the Python environment, Java): cheap, so the
 * CLI calls it before a run starts anything.
 */
export function checkLocalSparkToolchain(pythonPath = '.venv/bin/python'): string {
  const python = path.resolve(PROJECT_ROOT, pythonPath);
  if (!existsSync(python)) {
    throw new LocalSparkRunnerError(`Python environment not found at ${python}: run npm run setup`);
  }
  const java = process.env.JAVA_HOME ? path.join(process.env.JAVA_HOME, 'bin', 'java') : 'java';
  const probe = spawnSync(java, ['-version'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) {
    throw new LocalSparkRunnerError(
      `Java not found (${java}): local Spark needs a JDK 17; set JAVA_HOME or put java on the PATH ` +
        `(npm run setup checks the machine)`,
    );
  }
  return python;
}

export class LocalSparkRunner {
  /** Starts the runner and waits until its Spark session is up. */
  static async start(options: LocalSparkRunnerOptions): Promise<LocalSparkRunner> {
    const python = checkLocalSparkToolchain(options.python);
    const args = [
      '-u',
      RUNNER_SCRIPT,
      '--data-dir',
      path.resolve(options.dataDir),
      '--jars-dir',
      path.resolve(PROJECT_ROOT, options.jarsDir ?? '.jars'),
    ];
    if (options.driverMemory) args.push('--driver-memory', options.driverMemory);
    if (options.tableMaintenance) args.push('--table-maintenance', JSON.stringify(options.tableMaintenance));
    const child = spawn(python, args, { cwd: PROJECT_ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
    const runner = new LocalSparkRunner(child, options.onLog);
    await runner.ready(options.startTimeoutMs ?? 180_000);
    return runner;
  }

  private readonly pending = new Map<number, Pending>();
  private readonly logTail: string[] = [];
  private nextId = 1;
  private exited = false;
  private readonly exit: Promise<void>;
  private readonly readyWaiters: Pending[] = [];
  private isReady = false;

  private constructor(
    private readonly child: ChildProcessWithoutNullStreams,
    private readonly onLog?: (line: string) => void,
  ) {
    readline.createInterface({ input: child.stderr }).on('line', (line) => {
      this.logTail.push(line);
      if (this.logTail.length > LOG_TAIL_LINES) this.logTail.shift();
      this.onLog?.(line);
    });
    readline.createInterface({ input: child.stdout }).on('line', (line) => this.onMessage(line));
    // A write after the runner died must not crash the host: the exit handler reports the failure.
    child.stdin.on('error', () => undefined);
    this.exit = new Promise((resolve) => {
      child.on('error', (error) => {
        this.failAll(new LocalSparkRunnerError(`local Spark runner could not start: ${error.message}`));
      });
      child.on('close', (code, signal) => {
        this.exited = true;
        this.failAll(
          new LocalSparkRunnerError(
            `local Spark runner exited (${signal ?? `code ${code}`})${this.describeLogTail()}`,
          ),
        );
        resolve();
      });
    });
  }

  /** Runs a transform job for `args.run_date`; rejects with the job's own error message. */
  async runJob(job: TransformJobName, args: TransformJobArgs): Promise<JobResult> {
    try {
      return (await this.request({ op: 'run_job', job, args }, `${job} ${args.run_date}`)) as JobResult;
    } catch (error) {
      throw new LocalSparkRunnerError(`${job} ${args.run_date} failed: ${(error as Error).message}`);
    }
  }

  /**
   * Absolute paths of each table's current data files, read from Iceberg's `data_files` metadata tables in
   * one request (one Spark job). A table that does not exist yet has none.
   */
  async listDataFiles(tables: readonly string[], database?: string): Promise<Record<string, string[]>> {
    return (await this.request(
      { op: 'list_data_files', tables, ...(database ? { database } : {}) },
      `list_data_files ${tables.join(', ')}`,
    )) as Record<string, string[]>;
  }

  /** Asks the runner to stop Spark and exit; waits for it (killing it if it does not exit in time). */
  async close(timeoutMs = 60_000): Promise<void> {
    if (this.exited) return;
    this.request({ op: 'shutdown' }, 'shutdown').catch(() => undefined);
    this.child.stdin.end();
    const timer = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs);
    try {
      await this.exit;
    } finally {
      clearTimeout(timer);
    }
  }

  private ready(timeoutMs: number): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(
          new LocalSparkRunnerError(
            `local Spark did not start within ${timeoutMs} ms${this.describeLogTail()}`,
          ),
        );
        this.child.kill('SIGKILL');
      }, timeoutMs);
      this.readyWaiters.push({
        what: 'start',
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      });
    });
  }

  private request(message: Record<string, unknown>, what: string): Promise<unknown> {
    if (this.exited || !this.isReady) {
      return Promise.reject(new LocalSparkRunnerError(`local Spark runner is not running (${what})`));
    }
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { what, resolve, reject });
      this.child.stdin.write(`${JSON.stringify({ id, ...message })}\n`);
    });
  }

  private onMessage(line: string): void {
    let message: RunnerMessage;
    try {
      message = JSON.parse(line) as RunnerMessage;
    } catch {
      this.onLog?.(`(not a protocol line) ${line}`);
      return;
    }
    if ('event' in message) {
      const waiters = this.readyWaiters.splice(0);
      if (message.event === 'ready') {
        this.isReady = true;
        waiters.forEach((waiter) => waiter.resolve(undefined));
      } else {
        const error = new LocalSparkRunnerError(message.error);
        waiters.forEach((waiter) => waiter.reject(error));
      }
      return;
    }
    const pending = this.pending.get(message.id);
    if (!pending) return;
    this.pending.delete(message.id);
    if (message.ok) pending.resolve(message.result);
    else pending.reject(new LocalSparkRunnerError(message.error));
  }

  private failAll(error: LocalSparkRunnerError): void {
    this.readyWaiters.splice(0).forEach((waiter) => waiter.reject(error));
    for (const [id, pending] of this.pending) {
      this.pending.delete(id);
      pending.reject(new LocalSparkRunnerError(`${error.message} while running ${pending.what}`));
    }
  }

  private describeLogTail(): string {
    return this.logTail.length ? `; last log lines:\n${this.logTail.join('\n')}` : '';
  }
}
