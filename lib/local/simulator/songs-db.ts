/**
 * The songs database: PGlite (Postgres compiled to WebAssembly) with `deftunes.songs` loaded from the
 * catalog generator, served over the Postgres wire protocol on loopback by pglite-socket.
 *
 * Concurrency: PGlite is one Postgres backend (one session). pglite-socket 0.2.17 accepts up to
 * `maxConnections` clients and multiplexes them onto that session message by message: while a client is
 * inside a transaction its messages run first, otherwise messages of different clients interleave. So
 * clients share session state (SET, prepared statements, the unnamed portal): run extended-protocol work
 * (parameterised queries, cursors) inside a transaction or from one client at a time. Clients beyond
 * `maxConnections` are refused by the TCP server (the connection is closed).
 */
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import { createServer } from 'node:net';
import type { Catalog, CatalogSong } from './catalog';

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
  catalog: Catalog;
  host: string;
  /** 0 picks a free port. */
  port: number;
  /** Where PGlite keeps its files; in memory when absent. */
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

export async function startSongsDatabase(options: SongsDatabaseOptions): Promise<SongsDatabase> {
  // Check the port before spending time on the load, so a port in use fails at once.
  if (options.port !== 0) await assertPortFree(options.host, options.port);
  const db = await PGlite.create(options.dataDir ? { dataDir: options.dataDir } : {});
  try {
    const load = await loadSongs(db, options.catalog);
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
      throw code === 'EADDRINUSE'
        ? new Error(
            `songs database: port ${options.port} on ${options.host} is already in use; choose another port (0 picks a free one)`,
          )
        : error;
    }
    const port = Number(server.getServerConn().split(':').pop());
    return {
      url: `postgresql://postgres@${options.host}:${port}/postgres?sslmode=disable`,
      port,
      load,
      close: async () => {
        await server.stop();
        await db.close();
      },
    };
  } catch (error) {
    await db.close().catch(() => undefined);
    throw error;
  }
}

async function assertPortFree(host: string, port: number): Promise<void> {
  const probe = createServer();
  await new Promise<void>((resolve, reject) => {
    probe.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        error.code === 'EADDRINUSE'
          ? new Error(
              `songs database: port ${port} on ${host} is already in use; choose another port (0 picks a free one)`,
            )
          : new Error(`songs database: cannot listen on ${host}:${port}: ${error.message}`),
      ),
    );
    probe.listen(port, host, () => probe.close(() => resolve()));
  });
}
