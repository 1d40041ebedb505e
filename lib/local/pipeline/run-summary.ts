/**
 * The summary of a local run, read back from what the run left behind (the serving tables, the landing
 * manifests, the transform jobs' counts, the data-quality result documents), so it reports the data as it
 * is, not as the runner believes it to be.
 */
import { ResultDocumentSchema, resultDocumentKey } from '../../../lambdas/data-quality/result-document';
import {
  QUARANTINE_SOURCES,
  readExtractionCounts,
  transformCountsFromJobResults,
} from '../../../lambdas/data-quality/quarantine-rate';
import { landingManifestKey } from '../../../lambdas/shared/landing-keys';
import { LocalObjectStore } from '../adapters/local-object-store';
import { QUALITY_STAGES, SERVING_SCHEMA, type QualityStage } from '../../../lambdas/shared/platform-names';
import type { Warehouse } from '../../../lambdas/shared/warehouse';
import type { ExecutionFailure, StateRecord } from './execute-definition';
import type { LocalServices } from './local-services';

export interface DateSummary {
  readonly run_date: string;
  readonly status: 'succeeded' | 'failed' | 'skipped';
  readonly ms: number;
  /** Each state run, `started_ms` after the date's first state started. */
  readonly states: { name: string; status: string; started_ms: number; ms: number; retries: number }[];
  readonly error?: ExecutionFailure;
}

export interface QualitySummary {
  readonly status: string;
  readonly failed: string[];
  readonly warned: string[];
}

export interface RunSummary {
  readonly status: 'succeeded' | 'failed';
  readonly dates: DateSummary[];
  /** Row counts of the serving tables and views, by name. */
  readonly tables: Record<string, number>;
  /** Records set aside, by source: rejected at extraction plus quarantined by the transform jobs. */
  readonly quarantined: Record<string, { extraction: number; transform: number; total: number }>;
  /** Data-quality results by run date and stage. */
  readonly dq: Record<string, Partial<Record<QualityStage, QualitySummary>>>;
  readonly data_dir: string;
  readonly run_log: string;
  dashboard?: string;
}

export function summarizeStates(states: readonly StateRecord[]): DateSummary['states'] {
  const first = Math.min(...states.map((state) => state.startedAt));
  return states.map((state) => ({
    name: state.name,
    status: state.status === 'caught' ? 'failed' : state.status,
    started_ms: state.startedAt - first,
    ms: state.ms ?? 0,
    retries: state.retries,
  }));
}

/** Rows of each serving table; views are not counted (counting a BI view computes it over every date). */
export async function servingTableCounts(warehouse: Warehouse): Promise<Record<string, number>> {
  const tables = await warehouse.query<{ table_name: string }>(
    `SELECT table_name FROM information_schema.tables WHERE table_schema = :schema AND table_type = 'BASE TABLE' ORDER BY table_name`,
    { schema: SERVING_SCHEMA },
  );
  const counts: Record<string, number> = {};
  for (const { table_name } of tables) {
    if (!/^[a-z_][a-z0-9_]*$/.test(table_name)) continue;
    const [row] = await warehouse.query<{ rows: number | string }>(
      `SELECT count(*) AS rows FROM ${SERVING_SCHEMA}.${table_name}`,
    );
    counts[table_name] = Number(row.rows);
  }
  return counts;
}

async function quarantinedBySource(
  services: LocalServices,
  runDates: readonly string[],
): Promise<RunSummary['quarantined']> {
  const transformCounts = transformCountsFromJobResults(new LocalObjectStore(services.paths.warehouse));
  const result: RunSummary['quarantined'] = {};
  for (const source of QUARANTINE_SOURCES) {
    let extraction = 0;
    let transform = 0;
    for (const runDate of runDates) {
      // A date that stopped before its extract has no manifest: nothing was set aside for it.
      if (await services.landing.exists(landingManifestKey(source, runDate))) {
        extraction += (await readExtractionCounts(services.landing, source, runDate)).rejected;
      }
      transform += (await transformCounts(source, runDate))?.quarantined ?? 0;
    }
    result[source] = { extraction, transform, total: extraction + transform };
  }
  return result;
}

async function qualityByDate(
  services: LocalServices,
  runDates: readonly string[],
): Promise<RunSummary['dq']> {
  const dq: RunSummary['dq'] = {};
  for (const runDate of runDates) {
    const byStage: Partial<Record<QualityStage, QualitySummary>> = {};
    for (const stage of QUALITY_STAGES) {
      const key = resultDocumentKey(runDate, stage);
      if (!(await services.serving.exists(key))) continue;
      const document = ResultDocumentSchema.parse(
        JSON.parse((await services.serving.getObject(key)).toString('utf8')),
      );
      byStage[stage] = {
        status: document.status,
        failed: document.rules.filter((rule) => rule.status === 'failed').map((rule) => rule.rule),
        warned: document.rules.filter((rule) => rule.status === 'warned').map((rule) => rule.rule),
      };
    }
    dq[runDate] = byStage;
  }
  return dq;
}

export async function buildRunSummary(
  services: LocalServices,
  dates: readonly DateSummary[],
): Promise<RunSummary> {
  const ranDates = dates.filter((date) => date.status !== 'skipped').map((date) => date.run_date);
  return {
    status: dates.every((date) => date.status === 'succeeded') ? 'succeeded' : 'failed',
    dates: [...dates],
    tables: await servingTableCounts(services.warehouse),
    quarantined: await quarantinedBySource(services, ranDates),
    dq: await qualityByDate(services, ranDates),
    data_dir: services.paths.root,
    run_log: services.paths.runLog,
  };
}
