/// <reference lib="dom" />
/**
 * The dashboard's operations panels (bundled with client.ts): data-quality results per run date and stage,
 * rows per day (items sold, rows ingested into the transform tables), and the footer's consistency checks
 * and notes.
 */
import type { ChartDataset } from 'chart.js' with { 'resolution-mode': 'import' };
import { filterSales, formatInteger, qualityRuns, rowCountsPerDay, transformTables } from './aggregate';
import { baseOptions, drawChart, element, fillTable, numeric, PALETTE } from './client-dom';
import type { DashboardData, DashboardFilter, QualityStatus } from './model';

/** Transform tables in the rows chart: no red, which the quality panel uses for failures. */
const TRANSFORM_COLORS = ['#f28e2b', '#76b7b2', '#b07aa1', '#9c755f'];
const STATUS_COLORS: Record<QualityStatus, string> = {
  passed: '#59a14f',
  warned: '#edc948',
  failed: '#e15759',
};
export function badge(status: QualityStatus): HTMLElement {
  const span = document.createElement('span');
  span.className = `badge ${status}`;
  span.textContent = status;
  return span;
}

export function renderQuality(data: DashboardData, filter: DashboardFilter): void {
  const runs = qualityRuns(data, filter);
  const statuses: QualityStatus[] = ['passed', 'warned', 'failed'];
  drawChart(
    'quality',
    {
      type: 'bar',
      data: {
        // Two-line labels (date, stage) fit under narrow bars without being skipped.
        labels: runs.map((run) => [run.runDate, run.stage]),
        datasets: statuses.map((status) => ({
          label: `Rules ${status}`,
          data: runs.map((run) => run[status]),
          backgroundColor: STATUS_COLORS[status],
        })),
      },
      options: {
        ...baseOptions(),
        scales: {
          x: { stacked: true, ticks: { maxRotation: 0, autoSkip: true } },
          y: {
            stacked: true,
            beginAtZero: true,
            ticks: { precision: 0 },
            title: { display: true, text: 'Rules' },
          },
        },
      },
    },
    runs.length === 0,
    `Stacked bar chart of ${runs.length} quality runs: ${runs.filter((run) => run.status === 'failed').length} failed.`,
  );
  const table = 'quality-table';
  fillTable(
    table,
    [
      'Run date',
      'Stage',
      'Status',
      numeric('Passed'),
      numeric('Warned'),
      numeric('Failed'),
      'Rules that did not pass',
    ],
    runs.map((run) => [
      run.runDate,
      run.stage,
      run.status,
      run.passed,
      run.warned,
      run.failed,
      {
        text:
          run.problems
            .map((rule) => `${rule.rule} (${rule.status}, ${formatInteger(rule.failingRows)} rows)`)
            .join('; ') || '–',
        className: 'text-cell',
        title: run.problems
          .map(
            (rule) =>
              `${rule.rule} on ${rule.table}${rule.column ? `.${rule.column}` : ''}: ${rule.threshold}${rule.error ? `; ${rule.error}` : ''}${rule.sampleFailingKeys.length > 0 ? `; e.g. ${rule.sampleFailingKeys.join(', ')}` : ''}`,
          )
          .join('\n'),
      },
    ]),
  );
  // The status column as a coloured badge (the text stays the status word, for screen readers too).
  const body = element<HTMLTableElement>(table).tBodies[0];
  runs.forEach((run, index) => {
    const cell = body.rows[index]?.cells[2];
    if (cell !== undefined) cell.replaceChildren(badge(run.status));
  });
}

export function renderRows(
  data: DashboardData,
  filter: DashboardFilter,
  cells: ReturnType<typeof filterSales>,
  countryLabel: (code: string) => string,
): void {
  const days = rowCountsPerDay(data, cells, filter);
  const tables = filter.country === null ? transformTables(data.transformRowCounts) : [];
  const datasets: ChartDataset<'bar'>[] = [
    { label: 'fact_session_items', data: days.map((day) => day.factRows), backgroundColor: PALETTE[0] },
    ...tables.map((table, index) => ({
      label: `transform ${table}`,
      data: days.map((day) => day.transform[table] ?? 0),
      backgroundColor: TRANSFORM_COLORS[index % TRANSFORM_COLORS.length],
      // The songs snapshot dwarfs the daily sales; its legend entry shows it on demand.
      hidden: table === 'songs',
    })),
  ];
  drawChart(
    'rows',
    {
      type: 'bar',
      data: { labels: days.map((day) => day.date), datasets },
      options: { ...baseOptions(), scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } },
    },
    days.length === 0,
    `Bar chart of rows per day over ${days.length} days.`,
  );
  element('rows-note').textContent =
    filter.country === null
      ? 'Items sold (rows of fact_session_items) per day, and rows ingested into the transform tables per ingest date.'
      : `Items sold to buyers in ${countryLabel(filter.country)} per day (the transform tables have no buyer country).`;
  fillTable(
    'rows-table',
    ['Date', numeric('fact_session_items'), ...tables.map((table) => numeric(`transform ${table}`))],
    days.map((day) => [day.date, day.factRows, ...tables.map((table) => day.transform[table] ?? 0)]),
    ['Total', days.reduce((sum, day) => sum + day.factRows, 0), ...tables.map(() => '')],
  );
}

/** The consistency checks and the notes, below the panels. */
export function renderFooter(data: DashboardData): void {
  const checks = element('checks');
  checks.replaceChildren(
    ...data.checks.map((check) => {
      const item = document.createElement('li');
      const mark = document.createElement('span');
      mark.className = check.ok ? 'check-ok' : 'check-bad';
      mark.textContent = check.ok ? 'agrees' : 'DIFFERS';
      item.append(`${check.name}: `, mark, ` (${check.detail})`);
      return item;
    }),
  );
  if (data.notes.length > 0) {
    element('notes-section').hidden = false;
    element('notes').replaceChildren(
      ...data.notes.map((note) => {
        const item = document.createElement('li');
        item.textContent = note;
        return item;
      }),
    );
  }
}
