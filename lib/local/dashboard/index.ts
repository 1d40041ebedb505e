/**
 * The BI dashboard: one self-contained HTML file built from the warehouse's BI views and the data-quality
 * results. `deftunes dashboard` builds it on demand and the local runner at the end of `deftunes run`.
 */
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { ObjectStore } from '../../../lambdas/shared/object-store';
import type { Warehouse } from '../../../lambdas/shared/warehouse';
import { totalsOf } from './aggregate';
import { renderDashboardHtml } from './html';
import { loadDashboardData } from './load';
import type { ConsistencyCheck, DashboardTotals } from './model';

export type { ConsistencyCheck, DashboardData, DashboardTotals } from './model';
export { loadDashboardData } from './load';
export { renderDashboardHtml } from './html';

/** The dashboard's file name in the serving directory: `<data-dir>/serving/dashboard.html`. */
export const DASHBOARD_FILE_NAME = 'dashboard.html';

export interface BuildDashboardOptions {
  /** Where the BI views are read (DuckDB locally, Redshift through the Data API). */
  readonly warehouse: Warehouse;
  /** The results bucket or directory holding `dq-results/`; without it the quality panel says so. */
  readonly resultsStore?: ObjectStore;
  /** The HTML file to write (its directory is created). */
  readonly outFile: string;
  /** Where the numbers come from, in words, shown on the page. @default 'the warehouse' */
  readonly source?: string;
  /** @default 'DeFtunes sales dashboard' */
  readonly title?: string;
  /** @default now */
  readonly generatedAt?: Date;
  /** Calendar months of sales the page holds day by day. @default SALES_WINDOW_MONTHS (2) */
  readonly salesWindowMonths?: number;
}

export interface BuildDashboardResult {
  /** Absolute path of the HTML file written. */
  readonly path: string;
  readonly bytes: number;
  /** Totals over the sales the page holds (its window; equal to the fact table's there when every check agrees). */
  readonly totals: DashboardTotals;
  /** Comparisons of the page's numbers with the BI views and the fact table. */
  readonly checks: readonly ConsistencyCheck[];
  /** What the page says could not be read. */
  readonly notes: readonly string[];
}

/**
 * Reads the warehouse and the quality results and writes the dashboard. The file is written beside its
 * target and renamed into place, so a reader never opens half a page and a failed build keeps the last one.
 */
export async function buildDashboard(options: BuildDashboardOptions): Promise<BuildDashboardResult> {
  const data = await loadDashboardData({
    warehouse: options.warehouse,
    resultsStore: options.resultsStore,
    source: options.source ?? 'the warehouse',
    title: options.title,
    generatedAt: options.generatedAt,
    salesWindowMonths: options.salesWindowMonths,
  });
  const html = renderDashboardHtml(data);
  const target = path.resolve(options.outFile);
  await fs.mkdir(path.dirname(target), { recursive: true });
  const temporary = path.join(
    path.dirname(target),
    `.tmp-${randomBytes(6).toString('hex')}-${path.basename(target)}`,
  );
  try {
    await fs.writeFile(temporary, html, 'utf8');
    await fs.rename(temporary, target);
  } catch (error: unknown) {
    await fs.rm(temporary, { force: true });
    throw new Error(
      `dashboard: writing ${target} failed: ${error instanceof Error ? error.message : String(error)}`,
      {
        cause: error,
      },
    );
  }
  return {
    path: target,
    bytes: Buffer.byteLength(html, 'utf8'),
    totals: totalsOf(data.sales),
    checks: data.checks,
    notes: data.notes,
  };
}
