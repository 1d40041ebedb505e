/**
 * The songs database: PGlite (Postgres compiled to WebAssembly) with `deftunes.songs` loaded from the
 * catalog generator, served over the Postgres wire protocol on loopback by pglite-socket.
 *
 * Concurrency: PGlite is one Postgres backend (one session). pglite-socket 0.2.17 accepts up to
 * `maxConnections` clients and queues their protocol messages onto that session one message at a time;
 * while a client is inside a transaction its messages go first, otherwise messages of different clients may
 * interleave. Clients therefore share session state (SET, temporary tables, named prepared statements).
 * Three pg clients running parameterised queries at once got correct answers in our check, but keep
 * cursors and multi-statement work inside a transaction, or use one client at a time. A client beyond
 * `maxConnections` is disconnected by the TCP server at once.
 */
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import { createServer } from 'node:net';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { Catalog, type CatalogSong } from './catalog';

export const SONGS_COLUMNS = [
  'track_id',
  'title',
  'song_id',
  'release',
  'artist_id',
  'artist_mbid',
  'artist_name',
  'duration',
  'artist_familiarity',
  'artist_hotttnesss',
  'year',
  'track_7digitalid',
  'shs_perf',
  'shs_work',
] as const;

const CREATE_SONGS = `
CREATE SCHEMA IF NOT EXISTS deftunes;
DROP TABLE IF EXISTS deftunes.songs;
CREATE TABLE deftunes.songs (
  track_id text NOT NULL,
  title text,
  song_id text NOT NULL,
  release text,
  artist_id text NOT NULL,
  artist_mbid text,
  artist_name text,
  duration double precision,
  artist_familiarity double precision,
  artist_hotttnesss double precision,
  year integer,
  track_7digitalid integer,
  shs_perf integer,
  shs_work integer
);
CREATE TABLE IF NOT EXISTS public.simulator_catalog (seed bigint NOT NULL, songs integer NOT NULL);`;

/** Above this many songs the database goes to a temporary directory rather than memory (see below). */
export const IN_MEMORY_MAX_SONGS = 100_000;

export interface SongsLoad {
  rows: number;
  milliseconds: number;
  /** False when a data directory already held this catalog and nothing was loaded. */
  loaded: boolean;
}

/**
 * Loads the catalog into `deftunes.songs` in one transaction, `batchRows` rows per COPY, so memory holds
 * one batch at a time. With a persistent data directory that already holds the same (seed, size) catalog,
 * it does nothing.
 */
export async function loadSongs(db: PGlite, catalog: Catalog, batchRows = 20_000): Promise<SongsLoad> {
  const started = performance.now();
  const existing = await db
    .query<{ seed: string; songs: number }>('SELECT seed::text AS seed, songs FROM public.simulator_catalog')
    .catch(() => undefined);
  const marker = existing?.rows[0];
  if (marker && Number(marker.seed) === catalog.seed && marker.songs === catalog.size) {
    return { rows: catalog.size, milliseconds: performance.now() - started, loaded: false };
  }
  await db.transaction(async (tx) => {
    await tx.exec(CREATE_SONGS);
    let batch: string[] = [];
    const flush = async () => {
      if (batch.length === 0) return;
      await tx.query(`COPY deftunes.songs (${SONGS_COLUMNS.join(', ')}) FROM '/dev/blob'`, [], {
        blob: new Blob([batch.join('')]),
      });
      batch = [];
    };
    for (const song of catalog.songs()) {
      batch.push(copyLine(song));
      if (batch.length >= batchRows) await flush();
    }
    await flush();
    await tx.exec('ALTER TABLE deftunes.songs ADD PRIMARY KEY (track_id); ANALYZE deftunes.songs;');
    await tx.exec('DELETE FROM public.simulator_catalog');
    await tx.query('INSERT INTO public.simulator_catalog (seed, songs) VALUES ($1, $2)', [
      catalog.seed,
      catalog.size,
    ]);
  });
  return { rows: catalog.size, milliseconds: performance.now() - started, loaded: true };
}

/** One row in COPY text format: tab-separated, `\N` for null, backslash escapes. */
function copyLine(song: CatalogSong): string {
  return `${SONGS_COLUMNS.map((column) => copyValue(song[column])).join('\t')}\n`;
}

function copyValue(value: string | number | null): string {
  if (value === null) return '\\N';
  if (typeof value === 'number') return String(value);
  return value.replace(/[\\\t\n\r]/g, (c) => ({ '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' })[c]!);
}

export interface SongsDatabaseOptions {
  seed: number;
  /** Rows of the catalog. */
  songs: number;
  host: string;
  /** 0 picks a free port. */
  port: number;
  /**
   * Where PGlite keeps its files (kept after close, reused when it holds the same catalog).
   * @default in memory up to 100,000 songs, else a temporary directory removed on close
   */
  dataDir?: string;
  /** Clients served at once (see the module comment). @default 8 */
  maxConnections?: number;
}

export interface SongsDatabase {
  /** `postgresql://postgres@host:port/postgres?sslmode=disable`, usable by psql and pg. */
  url: string;
  port: number;
  load: SongsLoad;
  close(): Promise<void>;
}

/**
 * Starts the songs database in a worker thread. PGlite loads its WebAssembly with dynamic `import()`,
 * which jest's module sandbox refuses, and a million-row load would stall the API's event loop; in a
 * worker neither happens.
 */
export async function startSongsDatabase(options: SongsDatabaseOptions): Promise<SongsDatabase> {
  const typescript = __filename.endsWith('.ts');
  const entry = join(__dirname, `songs-db-worker${typescript ? '.ts' : '.js'}`);
  const worker = new Worker(
    typescript ? `require('tsx/cjs/api').register(); require(${JSON.stringify(entry)});` : entry,
    { eval: typescript, workerData: { ...options, wasm: await compiledWasm() } satisfies WorkerData },
  );
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  const ready = await new Promise<WorkerMessage>((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
    worker.once('exit', (code) =>
      reject(new Error(`songs database: worker exited with code ${code} before it was ready`)),
    );
  });
  if (ready.type === 'error') {
    await exited;
    throw new Error(ready.message);
  }
  if (ready.type !== 'ready') throw new Error(`songs database: unexpected worker message ${ready.type}`);
  let closing: Promise<void> | undefined;
  return {
    url: ready.url,
    port: ready.port,
    load: ready.load,
    close: () => {
      closing ??= (async () => {
        worker.postMessage({ type: 'close' });
        const timeout = setTimeout(() => void worker.terminate(), 10_000);
        await exited;
        clearTimeout(timeout);
      })();
      return closing;
    },
  };
}

/** What the worker is started with: the options and PGlite's WebAssembly, compiled once per process. */
export interface WorkerData extends SongsDatabaseOptions {
  wasm: { pglite: WebAssembly.Module; initdb: WebAssembly.Module };
}

let wasmModules: Promise<WorkerData['wasm']> | undefined;

/** Compiling PGlite's 9 MB of WebAssembly is most of a cold start; workers share one compiled copy. */
function compiledWasm(): Promise<WorkerData['wasm']> {
  const dist = dirname(require.resolve('@electric-sql/pglite'));
  wasmModules ??= Promise.all(
    ['pglite.wasm', 'initdb.wasm'].map(async (file) => WebAssembly.compile(await readFile(join(dist, file)))),
  ).then(([pglite, initdb]) => ({ pglite, initdb }));
  return wasmModules;
}

export type WorkerMessage =
  | { type: 'ready'; url: string; port: number; load: SongsLoad }
  | { type: 'error'; message: string }
  | { type: 'closed' };

/** Serves the songs database in this thread (the worker's body; also usable directly outside jest). */
export async function serveSongsDatabase(
  options: SongsDatabaseOptions & { wasm?: WorkerData['wasm'] },
): Promise<SongsDatabase> {
  // Check the port before spending time on the load, so a port in use fails at once.
  if (options.port !== 0) await assertPortFree(options.host, options.port);
  // PGlite's in-memory file system slows down as a table grows (each 100,000-row COPY took longer than the
  // last: 1.4 s, 2.9 s, 5.4 s, 6.6 s; on disk a steady 1.0 to 1.4 s), so big catalogs go to a temporary
  // directory, removed on close.
  const temporaryDir =
    !options.dataDir && options.songs > IN_MEMORY_MAX_SONGS
      ? await mkdtemp(join(tmpdir(), 'deftunes-songs-'))
      : undefined;
  const dataDir = options.dataDir ?? temporaryDir;
  const removeTemporaryDir = async () => {
    if (temporaryDir) await rm(temporaryDir, { recursive: true, force: true });
  };
  const db = await PGlite.create({
    ...(dataDir ? { dataDir } : {}),
    ...(options.wasm ? { pgliteWasmModule: options.wasm.pglite, initdbWasmModule: options.wasm.initdb } : {}),
  }).catch(async (error: unknown) => {
    await removeTemporaryDir();
    throw error;
  });
  try {
    const load = await loadSongs(db, new Catalog(options.seed, options.songs));
    const server = new PGLiteSocketServer({
      db,
      host: options.host,
      port: options.port,
      maxConnections: options.maxConnections ?? 8,
    });
    try {
      await server.start();
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      throw code === 'EADDRINUSE' ? portInUse(options.host, options.port) : error;
    }
    const port = Number(server.getServerConn().split(':').pop());
    return {
      url: `postgresql://postgres@${options.host}:${port}/postgres?sslmode=disable`,
      port,
      load,
      close: async () => {
        await server.stop();
        await db.close();
        await removeTemporaryDir();
      },
    };
  } catch (error) {
    await db.close().catch(() => undefined);
    await removeTemporaryDir();
    throw error;
  }
}

function portInUse(host: string, port: number): Error {
  return new Error(
    `songs database: port ${port} on ${host} is already in use; choose another port (0 picks a free one)`,
  );
}

async function assertPortFree(host: string, port: number): Promise<void> {
  const probe = createServer();
  await new Promise<void>((resolve, reject) => {
    probe.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        error.code === 'EADDRINUSE'
          ? portInUse(host, port)
          : new Error(`songs database: cannot listen on ${host}:${port}: ${error.message}`),
      ),
    );
    probe.listen(port, host, () => probe.close(() => resolve()));
  });
}
