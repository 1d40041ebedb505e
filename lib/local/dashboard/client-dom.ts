/// <reference lib="dom" />
/**
 * What the dashboard page's panels share in the browser: finding elements, filling tables (text only,
 * through `textContent`) and drawing Chart.js charts that are created once and updated in place.
 */
import type { Chart as ChartClass, ChartConfiguration } from 'chart.js' with { 'resolution-mode': 'import' };
import { formatInteger } from './aggregate';

/** Chart.js, loaded by the inlined UMD bundle before the page's script. */
declare const Chart: typeof ChartClass;

export const PALETTE = [
  '#4e79a7',
  '#f28e2b',
  '#e15759',
  '#76b7b2',
  '#59a14f',
  '#edc948',
  '#b07aa1',
  '#ff9da7',
  '#9c755f',
];
export interface Cell {
  readonly text: string;
  readonly numeric?: boolean;
  readonly className?: string;
  readonly title?: string;
}
export type CellInput = string | number | Cell;

/** A right-aligned cell or column header: a number already formatted as text. */
export const numeric = (text: string): Cell => ({ text, numeric: true });

const charts = new Map<string, ChartClass>();

export function element<T extends HTMLElement = HTMLElement>(id: string): T {
  const found = document.getElementById(id);
  if (found === null) throw new Error(`dashboard: element #${id} is missing`);
  return found as T;
}

/** Fills a table; a header given as a plain string is a left-aligned (text) column. */
export function fillTable(
  tableId: string,
  headers: readonly (string | Cell)[],
  rows: readonly CellInput[][],
  footer?: CellInput[],
): void {
  const table = element<HTMLTableElement>(tableId);
  for (const part of Array.from(table.querySelectorAll('thead, tbody, tfoot'))) part.remove();
  const head = table.createTHead().insertRow();
  for (const input of headers) {
    const header = typeof input === 'string' ? { text: input } : input;
    const th = document.createElement('th');
    th.scope = 'col';
    th.textContent = header.text;
    if (header.numeric === true) th.className = 'num';
    head.append(th);
  }
  const body = table.createTBody();
  for (const row of rows) appendRow(body.insertRow(), row);
  if (rows.length === 0) {
    const cell = body.insertRow().insertCell();
    cell.colSpan = headers.length;
    cell.textContent = 'No data in this selection.';
  }
  if (footer !== undefined && rows.length > 0) appendRow(table.createTFoot().insertRow(), footer, true);
}

function appendRow(row: HTMLTableRowElement, cells: readonly CellInput[], isFooter = false): void {
  cells.forEach((input, index) => {
    const cell: Cell =
      typeof input === 'number'
        ? numeric(formatInteger(input))
        : typeof input === 'string'
          ? { text: input }
          : input;
    const td = document.createElement(isFooter && index === 0 ? 'th' : 'td');
    if (td.tagName === 'TH') td.scope = 'row';
    const classes = [cell.numeric === true ? 'num' : '', cell.className ?? ''].filter((name) => name !== '');
    if (classes.length > 0) td.className = classes.join(' ');
    if (cell.title !== undefined) td.title = cell.title;
    td.textContent = cell.text;
    row.append(td);
  });
}

export /** Creates the chart once; later calls replace its labels and datasets and redraw without animation. */
function drawChart(id: string, config: ChartConfiguration, isEmpty: boolean, summary: string): void {
  const canvas = element<HTMLCanvasElement>(`${id}-chart`);
  element(`${id}-empty`).hidden = !isEmpty;
  canvas.setAttribute('aria-label', summary);
  const existing = charts.get(id);
  if (existing === undefined) {
    charts.set(id, new Chart(canvas, config));
    return;
  }
  existing.data = config.data;
  existing.options = config.options ?? {};
  existing.update('none');
}

type ChartOptions = NonNullable<ChartConfiguration['options']>;
type TooltipCallbacks = NonNullable<
  NonNullable<NonNullable<ChartOptions['plugins']>['tooltip']>['callbacks']
>;

export function baseOptions(): ChartOptions {
  return {
    responsive: true,
    maintainAspectRatio: false,
    animation: false,
    interaction: { mode: 'index', intersect: false },
    datasets: { bar: { maxBarThickness: 56 } },
    plugins: { legend: { position: 'bottom', labels: { boxWidth: 12, boxHeight: 12 } } },
  };
}

/** The base options with the tooltip's text set by `callbacks` (the legend's settings kept). */
export function optionsWithTooltip(callbacks: TooltipCallbacks): ChartOptions {
  const base = baseOptions();
  return { ...base, plugins: { ...base.plugins, tooltip: { callbacks } } };
}
