/**
 * Benchmark of the extract-api function: one day of sessions (no look-back) from the local API simulator into
 * a local landing directory, at several volumes. The simulator and each measurement run in separate child
 * processes, so a peak RSS printed is that measurement's alone; the point is that the extractor's does not
 * grow with the volume (the body is stream-parsed and streamed to gzip, never held whole). Each volume also
 * measures, on the same body and in the same run, the two limits the extractor is compared with: reading
 * the body to nothing, and reading it whole then `JSON.parse` (see extract-worker.ts); the ratio is the
 * figure that survives a shared, noisy machine. Prints figures with the data size and the machine; asserts
 * nothing.
 *
 *   npx tsx bench/extract.ts [scale ...]      (default: 100 1000 2000, i.e. ~100k, ~1M and ~2M items a day)
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
  /** Set by the extract mode only. */
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

function measure(mode: 'extract' | 'download' | 'parse', apiUrl: string, landing: string) {
  return firstLine(tsChild('extract-worker.ts', [mode, apiUrl, RUN_DATE, landing])).then(
    (line) => JSON.parse(line) as WorkerResult,
  );
}

async function benchScale(scale: string): Promise<void> {
  const server = tsChild('extract-api-server.ts', [scale, SEED, BAD_RECORD_RATE]);
  const landing = mkdtempSync(path.join(tmpdir(), 'deftunes-bench-extract-'));
  try {
    const { apiUrl } = JSON.parse(await firstLine(server)) as { apiUrl: string };
    const truth = (await (await fetch(`${apiUrl}/_truth?date=${RUN_DATE}`)).json()) as {
      sessions: { served: number; items: number; extract_valid: number; extract_valid_items: number };
    };
    // The limits first, in the same run and on the same body: the machine is shared, so only the ratio
    // between figures taken minutes apart means something. The warm-up makes the server generate the body.
    await measure('download', apiUrl, landing);
    const downloaded = await measure('download', apiUrl, landing);
    const parsed = await measure('parse', apiUrl, landing);
    const result = await measure('extract', apiUrl, landing);
    if (result.records !== truth.sessions.extract_valid) {
      throw new Error(`landed ${result.records} sessions, the truth says ${truth.sessions.extract_valid}`);
    }
    const items = truth.sessions.items;
    const perSecond = (count: number, seconds: number) =>
      `${Math.round(count / seconds).toLocaleString('en-US')}/s`;
    console.log(
      [
        `scale ${scale}:`,
        `${truth.sessions.served.toLocaleString('en-US')} sessions served,`,
        `${items.toLocaleString('en-US')} items,`,
        `body ${(downloaded.bytes / MiB).toFixed(0)} MiB;`,
        `extract ${result.seconds.toFixed(1)} s`,
        `(${perSecond(result.records, result.seconds)} records, ${perSecond(items, result.seconds)} items,`,
        `${result.records.toLocaleString('en-US')} landed + ${result.rejected.toLocaleString('en-US')} quarantined,`,
        `${(result.bytes / MiB).toFixed(0)} MiB gz,`,
        `peak RSS ${(result.peakRss / MiB).toFixed(0)} MiB, at start ${(result.baselineRss / MiB).toFixed(0)} MiB);`,
        `limits: download to nothing ${downloaded.seconds.toFixed(1)} s,`,
        `download + JSON.parse of the whole body ${parsed.seconds.toFixed(1)} s`,
        `(peak RSS ${(parsed.peakRss / MiB).toFixed(0)} MiB);`,
        `ratio extract / (download + JSON.parse) ${(result.seconds / parsed.seconds).toFixed(2)};`,
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
  const scales = process.argv.slice(2).length ? process.argv.slice(2) : ['100', '1000', '2000'];
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
