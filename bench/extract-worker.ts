/**
 * Child process of bench/extract.ts: one measurement of one day's sessions body, in a fresh process so its
 * peak RSS (the kernel's high-water mark, `process.resourceUsage().maxRSS`) is that measurement's alone.
 * Prints one JSON line: records, bytes, seconds, peakRss, baselineRss.
 *
 *   node --import tsx bench/extract-worker.ts <mode> <apiUrl> <date> <landingDir>
 *
 * Modes:
 * - `extract`: `runExtractApi` (the extract-api Lambda's function), sessions of the date only (no look-back),
 *   into a local landing directory: stream, split, validate, gzip, manifest;
 * - `download`: the same request, the body read to its end and dropped (the network and HTTP floor);
 * - `parse`: the same request, the body held whole and `JSON.parse`d at once (the floor of any parser of
 *   it; run with no bad records, which would make it throw).
 */
import { apiUrl, apiWindow, runExtractApi } from '../lambdas/extract-api/extract-api';
import { LandingManifestSchema } from '../lambdas/shared/landing-manifest';
import { LocalObjectStore } from '../lib/local/adapters/local-object-store';

interface Measured {
  records: number;
  bytes: number;
  rejected?: number;
}

async function extract(url: string, date: string, landingDir: string): Promise<Measured> {
  const store = new LocalObjectStore(landingDir);
  const result = await runExtractApi(
    { run_date: date, entity: 'sessions' },
    { store, apiBaseUrl: url, sessionsLookbackDays: 0 },
  );
  const manifest = LandingManifestSchema.parse(
    JSON.parse((await store.getObject(result.manifest_key)).toString()),
  );
  return { records: result.records, rejected: result.rejected, bytes: manifest.bytes };
}

function sessionsUrl(url: string, date: string): string {
  return apiUrl(url, 'sessions', apiWindow('sessions', date, 0));
}

async function download(url: string, date: string): Promise<Measured> {
  const response = await fetch(sessionsUrl(url, date));
  let bytes = 0;
  for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) bytes += chunk.length;
  return { records: 0, bytes };
}

async function parse(url: string, date: string): Promise<Measured> {
  const body = Buffer.from(await (await fetch(sessionsUrl(url, date))).arrayBuffer());
  // V8's native parser on the whole body: the fastest any JavaScript parser of it can be. It holds the body
  // and every record at once, which the extractor must not (memory flat with the volume). A body past V8's
  // longest string (~512 MiB) is parsed in slices of at most PARSE_SLICE bytes, cut before a session's
  // opening `{"user_id"` (the simulator's sessions start so; no string of theirs holds that text).
  let records = 0;
  for (let start = 1; start < body.length - 1;) {
    let end = body.length - 1;
    if (end - start > PARSE_SLICE) end = body.indexOf(',{"user_id"', start + PARSE_SLICE);
    if (end < 0) end = body.length - 1;
    records += (JSON.parse(`[${body.toString('utf8', start, end)}]`) as unknown[]).length;
    start = end + 1;
  }
  return { records, bytes: body.length };
}

const PARSE_SLICE = 256 * 2 ** 20;

async function main(): Promise<void> {
  const [mode, url, date, landingDir] = process.argv.slice(2);
  const baselineRss = process.memoryUsage().rss;
  const started = performance.now();
  const measured =
    mode === 'extract'
      ? await extract(url, date, landingDir)
      : mode === 'download'
        ? await download(url, date)
        : mode === 'parse'
          ? await parse(url, date)
          : undefined;
  if (!measured) throw new Error(`mode must be extract, download or parse; got ${mode}`);
  const seconds = (performance.now() - started) / 1000;
  const peakRss = process.resourceUsage().maxRSS * 1024;
  process.stdout.write(`${JSON.stringify({ ...measured, seconds, peakRss, baselineRss })}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
