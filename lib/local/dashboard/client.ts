/// <reference lib="dom" />
/**
 * The dashboard page's script (bundled by esbuild into the HTML file; runs in the browser only). It reads
 * the embedded JSON, and on every filter change recomputes the totals, charts and tables with the pure
 * functions of aggregate.ts. All text goes into the page through `textContent`, never as HTML.
 */
import type { Chart as ChartClass } from 'chart.js' with { 'resolution-mode': 'import' };
import { dataDateRange, filterSales, formatInteger, formatMoney, qualityRuns, totalsOf } from './aggregate';
import { renderArtists } from './artists-client';
import { element } from './client-dom';
import { badge, renderFooter, renderQuality, renderRows } from './client-operations';
import { countryColorsOf, renderCountries } from './countries-client';
import { renderEnrichment } from './enrichment-client';
import { renderHourly } from './hourly-client';
import { renderListening } from './listening-client';
import { UNKNOWN_COUNTRY, type DashboardData, type DashboardFilter, type QualityStatus } from './model';
import type { PanelFormat } from './panel-format';

/** Chart.js, loaded by the inlined UMD bundle before this script. */
declare const Chart: typeof ChartClass;

const data = JSON.parse(element('dashboard-data').textContent ?? '{}') as DashboardData;
const money = (cents: number) => formatMoney(cents, data.currency);
const format: PanelFormat = { money, countryLabel };
const countryColors = countryColorsOf(data);

function countryLabel(code: string): string {
  return code === UNKNOWN_COUNTRY ? 'Unknown' : code;
}

function readFilter(): DashboardFilter {
  const from = element<HTMLInputElement>('filter-from').value;
  const to = element<HTMLInputElement>('filter-to').value;
  const country = element<HTMLSelectElement>('filter-country').value;
  return {
    from: from === '' ? null : from,
    to: to === '' ? null : to,
    country: country === '' ? null : country,
  };
}

function setUpFilters(): void {
  const range = dataDateRange(data);
  for (const id of ['filter-from', 'filter-to']) {
    const input = element<HTMLInputElement>(id);
    if (range !== null) {
      input.min = range.from;
      input.max = range.to;
      input.defaultValue = id === 'filter-from' ? range.from : range.to;
      input.value = input.defaultValue;
    }
  }
  const select = element<HTMLSelectElement>('filter-country');
  for (const code of data.countries) {
    const option = document.createElement('option');
    option.value = code;
    option.textContent = countryLabel(code);
    select.append(option);
  }
  const form = element<HTMLFormElement>('filters');
  form.addEventListener('input', render);
  form.addEventListener('change', render);
  form.addEventListener('submit', (event) => event.preventDefault());
  // The reset event fires before the fields are reset.
  form.addEventListener('reset', () => setTimeout(render, 0));
}

function renderTotals(filter: DashboardFilter, cells: ReturnType<typeof filterSales>): void {
  const totals = totalsOf(cells);
  const revenue = element('total-revenue');
  revenue.textContent = money(totals.revenueCents);
  revenue.dataset.cents = String(totals.revenueCents);
  const items = element('total-items');
  items.textContent = formatInteger(totals.items);
  items.dataset.value = String(totals.items);
  element('total-average').textContent =
    totals.items === 0 ? '–' : money(Math.round(totals.revenueCents / totals.items));
  element('total-artists').textContent = formatInteger(totals.artists);
  element('total-countries').textContent = formatInteger(totals.countries);
  const runs = qualityRuns(data, filter);
  const quality = element('total-quality');
  if (runs.length === 0) {
    quality.textContent = '–';
  } else {
    const latest = runs[runs.length - 1].runDate;
    const ofLatest = runs.filter((run) => run.runDate === latest);
    const status: QualityStatus = ofLatest.some((run) => run.status === 'failed')
      ? 'failed'
      : ofLatest.some((run) => run.status === 'warned')
        ? 'warned'
        : 'passed';
    const date = document.createElement('span');
    date.className = 'panel-note';
    date.textContent = ` ${latest}`;
    quality.replaceChildren(badge(status), date);
  }
  const from = filter.from ?? 'the start';
  const to = filter.to ?? 'the end';
  const reversed = filter.from !== null && filter.to !== null && filter.from > filter.to;
  for (const id of ['filter-from', 'filter-to']) element(id).setAttribute('aria-invalid', String(reversed));
  element('filter-summary').textContent = reversed
    ? `"From" (${from}) is after "To" (${to}): nothing to show.`
    : `${from} to ${to}, ${filter.country === null ? 'all countries' : countryLabel(filter.country)}: ` +
      `${formatInteger(totals.items)} items, ${money(totals.revenueCents)}`;
}

let renders = 0;
function render(): void {
  const filter = readFilter();
  const cells = filterSales(data, filter);
  renderTotals(filter, cells);
  renderArtists(data, cells, format);
  renderCountries(data, cells, format, countryColors);
  renderHourly(data, filter, format);
  renderQuality(data, filter);
  renderRows(data, filter, cells, countryLabel);
  renderEnrichment(data.enrichment, filter, format);
  renderListening(data.listening, filter);
  renders += 1;
  // Lets a test (or a person in devtools) see that the page finished drawing for the current filter.
  document.body.dataset.renders = String(renders);
}

Chart.defaults.font.family = getComputedStyle(document.documentElement).fontFamily;
Chart.defaults.color = '#3a4354';
setUpFilters();
renderFooter(data);
render();
