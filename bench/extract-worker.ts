/**
 * Child process of bench/extract.ts: runs `runExtractApi` (the extract-api Lambda's function) for one
 * entity and date into a local landing directory and prints one JSON line: records, bytes, seconds and
 * the process's peak RSS (the kernel's high-water mark, `process.resourceUsage().maxRSS`).
 *
 *   node --import tsx bench/extract-worker.ts <apiUrl> <entity> <date> <landingDir>
 */
import { runExtractApi } from '../lambdas/extract-api/extract-api';
import { LocalObjectStore } from '../lambdas/shared/local-object-store';
import { LandingManifestSchema } from '../lambdas/shared/landing-manifest';

async function main(): Promise<void> {
  const [apiUrl, entity, date, landingDir] = process.argv.slice(2);
  const store = new LocalObjectStore(landingDir);
  const baselineRss = process.memoryUsage().rss;
  const started = performance.now();
  const result = await runExtractApi({ run_date: date, entity }, { store, apiBaseUrl: apiUrl });
  const seconds = (performance.now() - started) / 1000;
  const peakRss = process.resourceUsage().maxRSS * 1024;
  const manifest = LandingManifestSchema.parse(
    JSON.parse((await store.getObject(result.manifest_key)).toString()),
  );
  process.stdout.write(
    `${JSON.stringify({ ...result, bytes: manifest.bytes, seconds, peakRss, baselineRss })}\n`,
  );
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
