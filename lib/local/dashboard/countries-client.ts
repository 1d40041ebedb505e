/// <reference lib="dom" />
/**
 * The revenue-by-country panel of the page (bundled with client.ts): revenue per month stacked by country
 * (the largest ones, the rest as "Other"), and the table of every month and country.
 */
import type { ChartDataset } from 'chart.js' with { 'resolution-mode': 'import' };
import { filterSales, revenueByCountryAndMonth, totalsOf } from './aggregate';
import { drawChart, fillTable, numeric, optionsWithTooltip, PALETTE } from './client-dom';
import type { DashboardData } from './model';
import { moneyCell, moneyTick, type PanelFormat } from './panel-format';

const OTHER_COLOR = '#bab0ac';
/** Countries drawn as their own series in the country chart; the rest are summed as "Other". */
const COUNTRY_SERIES = 8;

/** Each country keeps one colour whatever the filter: ranked by revenue over all the data. */
export function countryColorsOf(data: DashboardData): Map<string, string> {
  return new Map(
    revenueByCountryAndMonth(data, data.sales).countries.map((country, rank) => [
      country,
      PALETTE[rank % PALETTE.length],
    ]),
  );
}

export function renderCountries(
  data: DashboardData,
  cells: ReturnType<typeof filterSales>,
  format: PanelFormat,
  countryColors: ReadonlyMap<string, string>,
): void {
  const { money, countryLabel } = format;
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
          y: { stacked: true, beginAtZero: true, ticks: { callback: moneyTick(format) } },
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
    matrix.rows.map((row) => [
      row.month,
      countryLabel(row.country),
      moneyCell(format, row.revenueCents),
      row.items,
    ]),
    ['Total', '', moneyCell(format, total.revenueCents), total.items],
  );
}
