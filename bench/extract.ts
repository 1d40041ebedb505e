/**
 * Benchmark of the extract-api function: one day of sessions from the local API simulator into a local
 * landing directory, at two volumes (>= 1M session items each). The simulator and the extractor run in
 * separate child processes, so the peak RSS printed is the extractor's alone; the point is that it does
 * not grow with the volume (the body is stream-parsed and streamed to gzip, never held whole).
 * Prints figures with the data size and the machine; asserts nothing.
 *
 *   npx tsx bench/extract.ts [scale ...]      (default: 1000 2000, i.e. ~1M and ~2M items a day)
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import * as path from 'node:path';
import { createInterface } from 'node:readline';

const RUN_DATE = '2020-02-05'; // a Wednesday: no weekend uplift
const SEED = '42';
const BAD_RECORD_RATE = '0.02';
const MiB = 2 ** 20;

interface WorkerResult {
  records: number;
  rejected: number;
  bytes: number;
  seconds: number;
  peakRss: number;
  baselineRss: number;
}

function tsChild(script: string, args: string[]): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', path.join(__dirname, script), ...args], {
    cwd: path.join(__dirname, '..'),
    stdio: ['pipe', 'pipe', 'inherit'],
  });
}

async function firstLine(child: ChildProcess): Promise<string> {
  const lines = createInterface({ input: child.stdout! });
  const exited = new Promise<never>((_, reject) =>
    child.once('exit', (code) => reject(new Error(`child exited with ${code} before answering`))),
  );
  const line = new Promise<string>((resolve) => lines.once('line', resolve));
  return Promise.race([line, exited]);
}

async function benchScale(scale: string): Promise<void> {
  const server = tsChild('extract-api-server.ts', [scale, SEED, BAD_RECORD_RATE]);
  const landing = mkdtempSync(path.join(tmpdir(), 'deftunes-bench-extract-'));
  try {
    const { apiUrl } = JSON.parse(await firstLine(server)) as { apiUrl: string };
    const truth = (await (await fetch(`${apiUrl}/_truth?date=${RUN_DATE}`)).json()) as {
      sessions: { served: number; items: number; extract_valid: number; extract_valid_items: number };
    };
    const worker = tsChild('extract-worker.ts', [apiUrl, 'sessions', RUN_DATE, landing]);
    const result = JSON.parse(await firstLine(worker)) as WorkerResult;
    if (result.records !== truth.sessions.extract_valid) {
      throw new Error(`landed ${result.records} sessions, the truth says ${truth.sessions.extract_valid}`);
    }
    const items = truth.sessions.items;
    console.log(
      [
        `scale ${scale}`.padEnd(11),
        `${truth.sessions.served.toLocaleString('en-US')} sessions served`.padEnd(26),
        `${items.toLocaleString('en-US')} items`.padEnd(18),
        `${result.records.toLocaleString('en-US')} landed + ${result.rejected.toLocaleString('en-US')} quarantined`.padEnd(
          32,
        ),
        `${(result.bytes / MiB).toFixed(0)} MiB gz`.padEnd(12),
        `${result.seconds.toFixed(1)} s`.padEnd(9),
        `${Math.round(result.records / result.seconds).toLocaleString('en-US')} records/s`.padEnd(18),
        `${Math.round(items / result.seconds).toLocaleString('en-US')} items/s`.padEnd(18),
        `peak RSS ${(result.peakRss / MiB).toFixed(0)} MiB (at start ${(result.baselineRss / MiB).toFixed(0)} MiB)`,
        `load average ${loadavg()[0].toFixed(1)}`,
      ].join(' '),
    );
  } finally {
    server.stdin!.end();
    await new Promise((resolve) => server.once('exit', resolve));
    rmSync(landing, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const scales = process.argv.slice(2).length ? process.argv.slice(2) : ['1000', '2000'];
  console.log(
    `extract-api benchmark, sessions of ${RUN_DATE}, seed ${SEED}, bad record rate ${BAD_RECORD_RATE}, no request faults`,
  );
  console.log(
    `machine: ${cpus().length} x ${cpus()[0]?.model ?? 'unknown CPU'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, ` +
      `Node ${process.version}; simulator and extractor in separate processes`,
  );
  for (const scale of scales) await benchScale(scale);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
