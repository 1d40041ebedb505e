/**
 * What the data-quality benches (bench/quality.ts, bench/serving-history.ts) share: the gate's inputs
 * besides the warehouse (landing manifests and transform job counts for a clean day), one timed stage with
 * its result document, and the machine line. Quiet logger and metrics: the benches print their own lines.
 */
import { cpus, totalmem } from 'node:os';
import { readFileSync } from 'node:fs';
import { jobResultsKey } from '../lambdas/data-quality/quarantine-rate';
import {
  resultDocumentKey,
  type ResultDocument,
  type RuleResult,
} from '../lambdas/data-quality/result-document';
import {
  runDataQuality,
  type DataQualityDeps,
  type DataQualityResult,
} from '../lambdas/data-quality/run-data-quality';
import { landingManifestKey } from '../lambdas/shared/landing-keys';
import type { QualityStage } from '../lambdas/shared/platform-names';
import type { ServingPlan } from '../lambdas/shared/serving-plan';
import type { Warehouse } from '../lambdas/shared/warehouse';
import { LocalObjectStore } from '../lib/local/adapters/local-object-store';
import type { LocalPaths } from '../lib/local/data-dir';

/** Records a day of each source the gate counts (landed = read = written, nothing quarantined). */
export interface SourceCounts {
  readonly songs: number;
  readonly users: number;
  readonly sessions: number;
}

/**
 * Writes the landing manifests and transform job counts of a clean `runDate` into the data directory and
 * returns the gate's dependencies on the warehouse (one rule at a time, so each rule's time is its own).
 */
export async function cleanDayGate(
  paths: Pick<LocalPaths, 'landing' | 'warehouse' | 'serving'>,
  warehouse: Warehouse,
  plan: ServingPlan,
  runDate: string,
  counts: SourceCounts,
): Promise<DataQualityDeps> {
  const landing = new LocalObjectStore(paths.landing);
  const jobResults = new LocalObjectStore(paths.warehouse);
  for (const [source, records] of Object.entries(counts) as [keyof SourceCounts, number][]) {
    await landing.putObject(landingManifestKey(source, runDate), JSON.stringify({ records, rejected: 0 }));
    await jobResults.putObject(
      jobResultsKey(source, runDate),
      JSON.stringify({ read: records, written: records, quarantined: 0 }),
    );
  }
  return {
    warehouse,
    plan,
    landingStore: landing,
    resultsStore: new LocalObjectStore(paths.serving),
    transformCounts: async (source) => ({
      read: counts[source],
      written: counts[source],
      quarantined: 0,
    }),
    logger: { info: () => undefined, warn: () => undefined, error: () => undefined },
    metrics: { addDimension: () => undefined, addMetric: () => undefined },
    concurrency: 1,
  };
}

/** One stage of the gate: wall time, the result and the rules of its result document. */
export interface TimedStage {
  readonly ms: number;
  readonly result: DataQualityResult;
  readonly rules: readonly RuleResult[];
}

export async function timeStage(
  deps: DataQualityDeps,
  runDate: string,
  stage: QualityStage,
): Promise<TimedStage> {
  const started = performance.now();
  const result = await runDataQuality({ run_date: runDate, stage }, deps);
  const ms = performance.now() - started;
  const document = JSON.parse(
    (await deps.resultsStore.getObject(resultDocumentKey(runDate, stage))).toString('utf8'),
  ) as ResultDocument;
  return { ms, result, rules: document.rules };
}

/** The `count` slowest rules, slowest first. */
export function slowestRules(rules: readonly RuleResult[], count: number): RuleResult[] {
  return [...rules].sort((a, b) => b.elapsed_ms - a.elapsed_ms).slice(0, count);
}

/** `not passed: a, b` when the stage did not pass, else ''. */
export function notPassed({ result }: TimedStage): string {
  return result.status === 'passed' ? '' : `not passed: ${[...result.failed, ...result.warned].join(', ')}`;
}

/** The date `days` after `date` (YYYY-MM-DD, UTC). */
export function addDays(date: string, days: number): string {
  const day = new Date(`${date}T00:00:00Z`);
  day.setUTCDate(day.getUTCDate() + days);
  return day.toISOString().slice(0, 10);
}

export function machineLine(): string {
  return `machine: ${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, node ${process.version}`;
}

/** The three load averages of /proc/loadavg ('' where there is none). */
export function loadAverage(): string {
  try {
    return readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  } catch {
    return '';
  }
}
