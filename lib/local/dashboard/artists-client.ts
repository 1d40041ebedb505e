/// <reference lib="dom" />
/**
 * The top-artists panel of the page (bundled with client.ts): the best-selling artists of the selection by
 * revenue, as a bar chart and a table with each one's share.
 */
import { filterSales, formatInteger, topArtists, totalsOf } from './aggregate';
import { baseOptions, drawChart, element, fillTable, numeric, PALETTE } from './client-dom';
import type { DashboardData } from './model';
import { moneyCell, moneyTick, type PanelFormat } from './panel-format';

export function renderArtists(
  data: DashboardData,
  cells: ReturnType<typeof filterSales>,
  format: PanelFormat,
): void {
  const { money } = format;
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
          x: { beginAtZero: true, ticks: { callback: moneyTick(format) } },
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
      moneyCell(format, entry.revenueCents),
      entry.items,
      { text: share(entry.revenueCents, total.revenueCents), numeric: true },
    ]),
    [
      `All ${formatInteger(total.artists)} artists`,
      '',
      moneyCell(format, total.revenueCents),
      total.items,
      '',
    ],
  );
}

function share(part: number, whole: number): string {
  return whole === 0 ? '–' : `${((100 * part) / whole).toFixed(1)}%`;
}
