/// <reference lib="dom" />
/**
 * The hourly panel of the page (bundled with client.ts): revenue, items sold and unique buyers per hour of
 * the selection, with each hour's top artist and track diversity.
 */
import { formatInteger, hourlyKpis } from './aggregate';
import { drawChart, fillTable, numeric, optionsWithTooltip, PALETTE } from './client-dom';
import type { DashboardData, DashboardFilter } from './model';
import { moneyCell, moneyTick, type PanelFormat } from './panel-format';

export function renderHourly(data: DashboardData, filter: DashboardFilter, format: PanelFormat): void {
  const { money } = format;
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
            ticks: { callback: moneyTick(format) },
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
      moneyCell(format, row.revenueCents),
      { text: row.topArtist, className: 'text-cell' },
      numeric(row.trackDiversityIndex.toFixed(3)),
    ]),
  );
}
