/**
 * One local run per data directory: `deftunes run` and `deftunes step` hold `<data-dir>/.deftunes.lock`
 * for their whole life. Two runs on one directory would interleave their writes to the landing zone, the
 * Iceberg catalog (SQLite takes one writer) and the DuckDB file (one process at a time), and load the type-2
 * user dimension out of order.
 *
 * The lock file holds the holder's pid, host and start time, written completely before it appears (a
 * temporary file hard-linked into place: `link` fails when the name exists, atomically), so a reader never
 * sees half a lock. A lock whose pid is dead on this host (a killed run: SIGKILL leaves no chance to clean
 * up) is taken over with a warning, so a killed run never blocks the next one. A lock from another host
 * (a shared directory) cannot be checked and is never taken over.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export const DATA_DIR_LOCK_FILE = '.deftunes.lock';

/** What the lock file holds. */
export interface LockHolder {
  readonly pid: number;
  readonly host: string;
  /** ISO instant the holder took the lock. */
  readonly started_at: string;
  /** What the holder runs, e.g. `deftunes run 2020-02-01..2020-02-03`. */
  readonly command: string;
}

export class DataDirLockedError extends Error {
  constructor(
    message: string,
    readonly holder: LockHolder | undefined,
  ) {
    super(message);
    this.name = 'DataDirLocked';
  }
}

export interface DataDirLockOptions {
  /** Written in the lock, and named to the next run that finds it. */
  readonly command: string;
  /** Told when a dead holder's lock is taken over. @default process.emitWarning */
  readonly warn?: (message: string) => void;
  /** Whether `pid` runs on this host. @default a signal-0 probe */
  readonly isAlive?: (pid: number) => boolean;
}

export interface DataDirLock {
  readonly path: string;
  readonly holder: LockHolder;
  /** Removes the lock if it is still this one's; safe to call twice. */
  release(): void;
}

/** Whether a process with this pid exists (EPERM: it exists, owned by someone else). */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readHolder(file: string): { text: string; holder?: LockHolder } | undefined {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  try {
    const holder = JSON.parse(text) as LockHolder;
    return Number.isInteger(holder.pid) && typeof holder.host === 'string' ? { text, holder } : { text };
  } catch {
    return { text };
  }
}

function describeHolder(holder: LockHolder): string {
  return `pid ${holder.pid} on ${holder.host} since ${holder.started_at} (${holder.command})`;
}

/** Creates `file` holding `text` only if it does not exist, never partially written. */
function createExclusive(file: string, text: string): boolean {
  const temporary = `${file}.${process.pid}.${Date.now()}.tmp`;
  fs.writeFileSync(temporary, text);
  try {
    fs.linkSync(temporary, file);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  } finally {
    fs.rmSync(temporary, { force: true });
  }
}

/**
 * Moves a dead holder's lock out of the way. Two runs may find the same dead lock: only the one whose
 * rename moved exactly the content it read takes it over; the other puts back what it moved (the winner's
 * fresh lock) and reports it held.
 */
function takeOver(file: string, staleText: string): boolean {
  const moved = `${file}.stale.${process.pid}`;
  try {
    fs.renameSync(file, moved);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return true;
    throw error;
  }
  if (fs.readFileSync(moved, 'utf8') === staleText) {
    fs.rmSync(moved, { force: true });
    return true;
  }
  fs.renameSync(moved, file);
  return false;
}

/**
 * The holder of a lock found in `file` when it is stale (its process is gone, on this host); throws
 * {@link DataDirLockedError} naming it when it is live, or cannot be checked.
 */
function staleHolder(
  root: string,
  file: string,
  holder: LockHolder | undefined,
  isAlive: (pid: number) => boolean,
): LockHolder {
  if (!holder) {
    throw new DataDirLockedError(
      `${root} is locked by ${file}, which is not a lock this version wrote; remove it if no run uses ${root}`,
      undefined,
    );
  }
  const sameHost = holder.host === os.hostname();
  if (sameHost && !isAlive(holder.pid)) return holder;
  throw new DataDirLockedError(
    `another deftunes run is using ${root}: ${describeHolder(holder)}; wait for it to finish` +
      (sameHost
        ? ''
        : `, or remove ${file} if that run is over (a lock from another host cannot be checked)`),
    holder,
  );
}

/**
 * Fails at once, naming the holder, when a live run holds the data directory: what a command checks before
 * its slow start (synthesis, sources), so a second run does not wait to be refused. Taking the lock is still
 * {@link acquireDataDirLock}'s job.
 */
export function checkDataDirFree(dataDir: string, isAlive: (pid: number) => boolean = isProcessAlive): void {
  const root = path.resolve(dataDir);
  const file = path.join(root, DATA_DIR_LOCK_FILE);
  const found = readHolder(file);
  if (found) staleHolder(root, file, found.holder, isAlive);
}

/**
 * Takes the data directory's lock or throws {@link DataDirLockedError} naming the holder. The lock is
 * released by {@link DataDirLock.release} and, as a last resort, when the process exits normally.
 */
export function acquireDataDirLock(dataDir: string, options: DataDirLockOptions): DataDirLock {
  const root = path.resolve(dataDir);
  fs.mkdirSync(root, { recursive: true });
  const file = path.join(root, DATA_DIR_LOCK_FILE);
  const isAlive = options.isAlive ?? isProcessAlive;
  const warn = options.warn ?? ((message: string) => process.emitWarning(message, 'DataDirLockWarning'));
  const holder: LockHolder = {
    pid: process.pid,
    host: os.hostname(),
    started_at: new Date().toISOString(),
    command: options.command,
  };
  const text = `${JSON.stringify(holder)}\n`;

  // Three rounds: a lock can vanish or be taken over between our attempts; more would mean a live contender.
  for (let round = 0; round < 3; round += 1) {
    if (createExclusive(file, text)) {
      let released = false;
      const release = (): void => {
        if (released) return;
        released = true;
        process.removeListener('exit', release);
        if (readHolder(file)?.text === text) fs.rmSync(file, { force: true });
      };
      process.on('exit', release);
      return { path: file, holder, release };
    }
    const found = readHolder(file);
    if (!found) continue;
    const stale = staleHolder(root, file, found.holder, isAlive);
    // Lost the race for the dead lock: the next round names the run that won it.
    if (takeOver(file, found.text))
      warn(`took over the lock of ${root} from a run that is gone: ${describeHolder(stale)}`);
  }
  throw new DataDirLockedError(`could not take the lock ${file}: other runs keep taking it`, undefined);
}
