/// <reference lib="dom" />
/**
 * The dashboard page's script (bundled by esbuild into the HTML file; runs in the browser only). It reads
 * the embedded JSON, and on every filter change recomputes the totals, charts and tables with the pure
 * functions of aggregate.ts. All text goes into the page through `textContent`, never as HTML.
 */
import type { Chart as ChartClass, ChartDataset } from 'chart.js' with {
  'resolution-mode': 'import',
};
import {
  dataDateRange,
  filterSales,
  formatInteger,
  formatMoney,
  hourlyKpis,
  qualityRuns,
  revenueByCountryAndMonth,
  topArtists,
  totalsOf,
} from './aggregate';
import {
  baseOptions,
  drawChart,
  element,
  fillTable,
  numeric,
  optionsWithTooltip,
  PALETTE,
  type Cell,
} from './client-dom';
import { badge, renderFooter, renderQuality, renderRows } from './client-operations';
import { renderEnrichment } from './enrichment-client';
import { renderListening } from './listening-client';
import { UNKNOWN_COUNTRY, type DashboardData, type DashboardFilter, type QualityStatus } from './model';

/** Chart.js, loaded by the inlined UMD bundle before this script. */
declare const Chart: typeof ChartClass;

const OTHER_COLOR = '#bab0ac';
/** Countries drawn as their own series in the country chart; the rest are summed as "Other". */
const COUNTRY_SERIES = 8;

const data = JSON.parse(element('dashboard-data').textContent ?? '{}') as DashboardData;
const money = (cents: number) => formatMoney(cents, data.currency);
/** Each country keeps one colour whatever the filter: ranked by revenue over all the data. */
const countryColors = new Map(
  revenueByCountryAndMonth(data, data.sales).countries.map((country, rank) => [
    country,
    PALETTE[rank % PALETTE.length],
  ]),
);

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

const moneyCell = (cents: number): Cell => numeric(money(cents));

const axisMoney = (value: string | number) => money(Math.round(Number(value) * 100)).replace(/\.00$/, '');

function renderArtists(cells: ReturnType<typeof filterSales>): void {
  const limit = Number(element<HTMLSelectElement>('filter-top').value);
  const top = topArtists(data, cells, limit);
  const total = totalsOf(cells);
  // Long names are cut on the axis (the tooltip and the table show them whole); shorter on small screens.
  const maxLabel = element('artists-chart').clientWidth < 500 ? 18 : 32;
  drawChart(
    'artists',
    {
      type: 'bar',
      data: {
        labels: top.map((entry) =>
          entry.artist.length > maxLabel ? `${entry.artist.slice(0, maxLabel - 1)}…` : entry.artist,
        ),
        datasets: [
          {
            label: 'Revenue',
            data: top.map((entry) => entry.revenueCents / 100),
            backgroundColor: PALETTE[0],
          },
        ],
      },
      options: {
        ...baseOptions(),
        indexAxis: 'y',
        plugins: {
          legend: { display: false },
          tooltip: {
            callbacks: {
              title: (items) => top[items[0]?.dataIndex ?? 0]?.artist ?? '',
              label: (item) =>
                ` ${money(top[item.dataIndex].revenueCents)} · ${formatInteger(top[item.dataIndex].items)} items`,
            },
          },
        },
        scales: {
          x: { beginAtZero: true, ticks: { callback: axisMoney } },
          y: { ticks: { autoSkip: false } },
        },
      },
    },
    top.length === 0,
    `Bar chart: top ${top.length} artists by revenue${top[0] ? `; first is ${top[0].artist} with ${money(top[0].revenueCents)}` : ''}.`,
  );
  element('artists-note').textContent =
    top.length === 0
      ? 'No artist sold in the selection.'
      : `The ${top.length} best-selling artists of ${formatInteger(total.artists)} in the selection, by revenue.`;
  fillTable(
    'artists-table',
    [numeric('#'), 'Artist', numeric('Revenue'), numeric('Items'), numeric('Share')],
    top.map((entry, index) => [
      index + 1,
      { text: entry.artist, className: 'text-cell' },
      moneyCell(entry.revenueCents),
      entry.items,
      { text: share(entry.revenueCents, total.revenueCents), numeric: true },
    ]),
    [`All ${formatInteger(total.artists)} artists`, '', moneyCell(total.revenueCents), total.items, ''],
  );
}

function share(part: number, whole: number): string {
  return whole === 0 ? '–' : `${((100 * part) / whole).toFixed(1)}%`;
}

function renderCountries(cells: ReturnType<typeof filterSales>): void {
  const matrix = revenueByCountryAndMonth(data, cells);
  const shown = matrix.countries.slice(0, COUNTRY_SERIES);
  const datasets: ChartDataset<'bar'>[] = shown.map((country, index) => ({
    label: countryLabel(country),
    data: matrix.revenue[index].map((cents) => cents / 100),
    backgroundColor: countryColors.get(country) ?? PALETTE[index % PALETTE.length],
  }));
  if (matrix.countries.length > COUNTRY_SERIES) {
    const rest = matrix.revenue.slice(COUNTRY_SERIES);
    datasets.push({
      label: `Other (${matrix.countries.length - COUNTRY_SERIES} countries)`,
      data: matrix.months.map((_, month) => rest.reduce((sum, row) => sum + row[month], 0) / 100),
      backgroundColor: OTHER_COLOR,
    });
  }
  drawChart(
    'countries',
    {
      type: 'bar',
      data: { labels: [...matrix.months], datasets },
      options: {
        ...optionsWithTooltip({
          label: (item) => ` ${item.dataset.label}: ${money(Math.round(Number(item.raw) * 100))}`,
        }),
        scales: {
          x: { stacked: true },
          y: { stacked: true, beginAtZero: true, ticks: { callback: axisMoney } },
        },
      },
    },
    matrix.rows.length === 0,
    `Stacked bar chart: revenue of ${matrix.countries.length} countries over ${matrix.months.length} months.`,
  );
  const total = totalsOf(cells);
  fillTable(
    'countries-table',
    ['Month', 'Country', numeric('Revenue'), numeric('Items')],
    matrix.rows.map((row) => [row.month, countryLabel(row.country), moneyCell(row.revenueCents), row.items]),
    ['Total', '', moneyCell(total.revenueCents), total.items],
  );
}

function renderHourly(filter: DashboardFilter): void {
  const rows = hourlyKpis(data, filter);
  const labels = rows.map((row) => `${row.date} ${String(row.hour).padStart(2, '0')}:00`);
  drawChart(
    'hourly',
    {
      type: 'bar',
      data: {
        labels,
        datasets: [
          {
            type: 'bar',
            label: 'Revenue',
            data: rows.map((row) => row.revenueCents / 100),
            backgroundColor: '#a0bcd8',
            yAxisID: 'y',
            order: 3,
          },
          {
            type: 'line',
            label: 'Items sold',
            data: rows.map((row) => row.itemsSold),
            borderColor: PALETTE[1],
            backgroundColor: PALETTE[1],
            pointRadius: rows.length > 72 ? 0 : 2,
            borderWidth: 2,
            yAxisID: 'y1',
            order: 1,
          },
          {
            type: 'line',
            label: 'Unique buyers',
            data: rows.map((row) => row.uniqueBuyers),
            borderColor: PALETTE[2],
            backgroundColor: PALETTE[2],
            borderDash: [5, 3],
            pointRadius: rows.length > 72 ? 0 : 2,
            borderWidth: 2,
            yAxisID: 'y1',
            order: 2,
          },
        ],
      },
      options: {
        ...optionsWithTooltip({
          label: (item) =>
            item.dataset.label === 'Revenue'
              ? ` Revenue: ${money(rows[item.dataIndex].revenueCents)}`
              : ` ${item.dataset.label}: ${formatInteger(Number(item.raw))}`,
          afterBody: (items) => {
            const row = rows[items[0]?.dataIndex ?? 0];
            return row === undefined
              ? []
              : [`Top artist: ${row.topArtist}`, `Track diversity: ${row.trackDiversityIndex.toFixed(3)}`];
          },
        }),
        scales: {
          x: { ticks: { maxRotation: 0, autoSkip: true, maxTicksLimit: 8 } },
          y: {
            beginAtZero: true,
            position: 'left',
            title: { display: true, text: 'Revenue' },
            ticks: { callback: axisMoney },
          },
          y1: {
            beginAtZero: true,
            position: 'right',
            grid: { drawOnChartArea: false },
            title: { display: true, text: 'Items, buyers' },
            ticks: { precision: 0 },
          },
        },
      },
    },
    rows.length === 0,
    `Chart of ${rows.length} hours: revenue as bars, items sold and unique buyers as lines.`,
  );
  fillTable(
    'hourly-table',
    [
      'Date',
      numeric('Hour'),
      numeric('Buyers'),
      numeric('Items'),
      numeric('Revenue'),
      'Top artist',
      numeric('Diversity'),
    ],
    rows.map((row) => [
      row.date,
      { text: `${String(row.hour).padStart(2, '0')}:00`, numeric: true },
      row.uniqueBuyers,
      row.itemsSold,
      moneyCell(row.revenueCents),
      { text: row.topArtist, className: 'text-cell' },
      numeric(row.trackDiversityIndex.toFixed(3)),
    ]),
  );
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
  renderArtists(cells);
  renderCountries(cells);
  renderHourly(filter);
  renderQuality(data, filter);
  renderRows(data, filter, cells, countryLabel);
  renderEnrichment(data.enrichment, filter, { money, countryLabel });
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
