/**
 * Benchmark of serving-load on DuckDB (the local stand-in): synthetic transform data written as parquet,
 * then the duckdb serving plan executed for two days, a re-run of the second day and one of the first (an
 * older date, after the second). Prints the data size, the time per run and the rows per model, and the
 * machine; asserts nothing.
 *
 *   npx tsx bench/serving-load.ts [session items per day ...]     (default: 100000; KEEP=1 keeps the files)
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import * as path from 'node:path';
import { buildServingPlan, planPath } from '../bin/build-serving-plan';
import { DuckDbWarehouse } from '../lambdas/shared/duckdb-warehouse';
import { loadServingPlan } from '../lambdas/shared/serving-plan';
import { runServingLoad } from '../lambdas/serving-load/load';
import { createTransformViews, TRANSFORM_COLUMNS, TransformTable } from '../lib/local/spectrum';

/** The tables the benchmark fills (the enrichment tables stay empty views: they do not grow with sales). */
type SalesTable = Extract<TransformTable, 'users' | 'sessions' | 'songs'>;

const DAYS = ['2024-03-01', '2024-03-02'];

/** SELECT of `rows` synthetic rows of a transform table for a day, typed like the transform schema. */
function syntheticSelect(
  table: SalesTable,
  day: string,
  rows: number,
  users: number,
  tracks: number,
): string {
  const expressions: Record<SalesTable, Record<string, string>> = {
    songs: {
      track_id: `'TR' || lpad(cast(i as varchar), 16, '0')`,
      title: `'Title ' || i`,
      song_id: `'SO' || lpad(cast(i as varchar), 16, '0')`,
      release: `'Release ' || (i // 10)`,
      artist_id: `'AR' || lpad(cast(i // 8 as varchar), 16, '0')`,
      artist_mbid: `'mbid-' || (i // 8)`,
      artist_name: `'Artist ' || (i // 8)`,
      duration: '180 + i % 120',
      artist_familiarity: '(i % 100) / 100.0',
      artist_hotttnesss: '(i % 50) / 50.0',
      year: 'case when i % 7 = 0 then 0 else 1960 + i % 60 end',
      track_7digitalid: 'i',
      shs_perf: '-1',
      shs_work: '0',
    },
    users: {
      user_id: `'user-' || lpad(cast(i as varchar), 10, '0')`,
      user_name: `'Name' || i`,
      user_lastname: `'Last' || i`,
      latitude: '(i % 180) - 90',
      longitude: '(i % 360) - 180',
      // On the second day one user in twenty has moved.
      place_name: `'Place ' || ((i + case when '${day}' > '${DAYS[0]}' and i % 20 = 0 then 1 else 0 end) % 300)`,
      country_code: `chr(cast(65 + (i + case when '${day}' > '${DAYS[0]}' and i % 20 = 0 then 1 else 0 end) % 26 as integer)) || 'X'`,
      timezone: `'Zone/' || (i % 24)`,
      user_since: `timestamp '2020-01-01' + to_seconds(i)`,
    },
    sessions: {
      session_id: `'${day}-session-' || lpad(cast(i // 3 as varchar), 10, '0')`,
      user_id: `'user-' || lpad(cast(hash(i // 3) % ${users} as varchar), 10, '0')`,
      item_index: 'i % 3',
      song_id: `'TR' || lpad(cast(hash(i) % ${tracks} as varchar), 16, '0')`,
      song_name: `'Song'`,
      artist_id: `'AR' || lpad(cast((hash(i) % ${tracks}) // 8 as varchar), 16, '0')`,
      artist_name: `'Artist ' || ((hash(i) % ${tracks}) // 8)`,
      price: '0.99 + (i % 5)',
      currency: `'USD'`,
      liked: 'i % 2 = 0',
      liked_since: 'null',
      user_agent: `'Mozilla/5.0'`,
      session_start_time: `timestamp '${day}' + to_seconds((i // 3) % 86400)`,
    },
  };
  const common: Record<string, string> = {
    ingest_on: `'${day}'`,
    processing_timestamp: `timestamp '${day} 03:00:00'`,
    source_from: `'bench'`,
  };
  const columns = TRANSFORM_COLUMNS[table].map(
    ([name, type]) => `cast(${expressions[table][name] ?? common[name]} as ${type}) as "${name}"`,
  );
  return `select ${columns.join(', ')} from range(${rows}) as t(i)`;
}

async function bench(itemsPerDay: number): Promise<void> {
  const dir = mkdtempSync(path.join(tmpdir(), 'deftunes-bench-serving-'));
  const users = Math.max(100, Math.round(itemsPerDay / 10));
  const tracks = Math.max(100, Math.round(itemsPerDay / 5));
  const plan = loadServingPlan(planPath('duckdb'));
  const database = path.join(dir, 'serving', 'deftunes.duckdb');
  const files: Record<SalesTable, string[]> = { users: [], sessions: [], songs: [] };
  try {
    const writer = await DuckDbWarehouse.open(':memory:');
    let parquetBytes = 0;
    for (const day of DAYS) {
      const sizes: Record<SalesTable, number> = { users, sessions: itemsPerDay, songs: tracks };
      for (const table of Object.keys(sizes) as SalesTable[]) {
        const file = path.join(dir, `${table}-${day}.parquet`);
        await writer.query(
          `copy (${syntheticSelect(table, day, sizes[table], users, tracks)}) to '${file}' (format parquet)`,
        );
        parquetBytes += statSync(file).size;
        files[table].push(file);
      }
    }
    await writer.close();
    console.log(
      `\n== ${itemsPerDay} session items/day, ${users} users, ${tracks} tracks, 2 days; parquet ${(parquetBytes / 2 ** 20).toFixed(1)} MiB`,
    );

    const warehouse = await DuckDbWarehouse.open(database);
    try {
      for (const [label, day, dayIndex] of [
        ['day 1', DAYS[0], 0],
        ['day 2', DAYS[1], 1],
        ['day 2 re-run', DAYS[1], 1],
        // An older date after a newer one: replays the users snapshots and rebuilds the facts from it on.
        ['day 1 re-run', DAYS[0], 1],
      ] as const) {
        await createTransformViews(warehouse, {
          users: files.users.slice(0, (dayIndex + 1) * 1),
          sessions: files.sessions.slice(0, dayIndex + 1),
          songs: files.songs.slice(0, dayIndex + 1),
        });
        const started = performance.now();
        const result = await runServingLoad({ run_date: day }, { warehouse, plan });
        const ms = performance.now() - started;
        const rows = result.models.map((model) => `${model.name}=${model.rows}`).join(' ');
        console.log(
          `${label.padEnd(13)} ${ms.toFixed(0).padStart(7)} ms  ${result.statements} statements  ${rows}`,
        );
      }
    } finally {
      await warehouse.close();
    }
    console.log(`warehouse file ${(statSync(database).size / 2 ** 20).toFixed(1)} MiB`);
  } finally {
    if (!process.env.KEEP) rmSync(dir, { recursive: true, force: true });
    else console.log(dir);
  }
}

async function main(): Promise<void> {
  buildServingPlan('duckdb');
  console.log(
    `machine: ${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, node ${process.version}`,
  );
  const sizes = process.argv.slice(2).map(Number);
  for (const size of sizes.length > 0 ? sizes : [100_000]) await bench(size);
}

void main();
