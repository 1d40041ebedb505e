/**
 * Benchmark of the sources simulator: songs load into PGlite, and one day of sessions and the users
 * snapshot streamed over HTTP. Prints figures with the data size and the machine; asserts nothing.
 *
 *   npx tsx bench/simulator.ts [scale ...]     (default: small)
 */
import { request } from 'node:http';
import { cpus, totalmem } from 'node:os';
import { Client } from 'pg';
import { SimulatedWorld } from '../lib/local/simulator';
import { IN_MEMORY_MAX_SONGS, serveSongsDatabase } from '../lib/local/simulator/songs-db';
import { startApiServer } from '../lib/local/simulator/api-server';

const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MiB`;

let peakRss = 0;
const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 100);

/** Downloads a body, counting bytes without keeping it. */
function download(url: string): Promise<{ bytes: number; ms: number }> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    request(url, { agent: false }, (res) => {
      let bytes = 0;
      res.on('data', (chunk: Buffer) => (bytes += chunk.length));
      res.on('end', () => resolve({ bytes, ms: performance.now() - started }));
      res.on('error', reject);
    })
      .on('error', reject)
      .end();
  });
}

async function benchScale(scale: string): Promise<void> {
  const world = new SimulatedWorld({ scale });
  console.log(`\n== scale ${scale}: ${JSON.stringify(world.scale)}`);

  peakRss = process.memoryUsage().rss;
  const api = await startApiServer({ world, faultRate: 0, slowResponseMs: 0, host: '127.0.0.1', port: 0 });
  try {
    const truthStarted = performance.now();
    const truth = world.truth(18293);
    console.log(`_truth 2020-02-01: computed in ${((performance.now() - truthStarted) / 1000).toFixed(1)} s`);
    const sessions = await download(`${api.url}/sessions?start_date=2020-02-01&end_date=2020-02-01`);
    console.log(
      `sessions 2020-02-01: ${truth.sessions.served} sessions, ${truth.sessions.items} items, ` +
        `${mib(sessions.bytes)} in ${(sessions.ms / 1000).toFixed(1)} s ` +
        `(${Math.round(truth.sessions.items / (sessions.ms / 1000))} items/s), peak RSS ${mib(peakRss)}`,
    );
    peakRss = process.memoryUsage().rss;
    const users = await download(`${api.url}/users?start_date=2000-01-01&end_date=2020-02-01`);
    console.log(
      `users snapshot 2020-02-01: ${truth.users.snapshot_size} users, ${mib(users.bytes)} in ` +
        `${(users.ms / 1000).toFixed(1)} s, peak RSS ${mib(peakRss)}`,
    );
  } finally {
    await api.close();
  }
  peakRss = process.memoryUsage().rss;
  const songs = await serveSongsDatabase({
    seed: world.seed,
    songs: world.catalog.size,
    host: '127.0.0.1',
    port: 0,
  });
  const client = new Client({ connectionString: songs.url });
  await client.connect();
  const count = await client.query<{ n: number }>('select count(*)::int as n from deftunes.songs');
  await client.end();
  await songs.close();
  const storage = world.catalog.size > IN_MEMORY_MAX_SONGS ? 'temporary directory' : 'memory';
  console.log(
    `songs load (${storage}): ${count.rows[0].n} rows in ${(songs.load.milliseconds / 1000).toFixed(1)} s ` +
      `(${Math.round(count.rows[0].n / (songs.load.milliseconds / 1000))} rows/s), peak RSS ${mib(peakRss)}`,
  );
}

async function main(): Promise<void> {
  const scales = process.argv.slice(2);
  console.log(
    `machine: ${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}, ${mib(totalmem())} RAM, Node ${process.version}`,
  );
  for (const scale of scales.length ? scales : ['small']) await benchScale(scale);
  clearInterval(sampler);
}

void main();
