/// <reference lib="dom" />
/**
 * The artist-enrichment panels of the page (bundled with client.ts): each artist's most sold song, the most
 * popular concert locations, and sales beside upcoming concerts per artist and country. The views are not
 * by day, so the date range does not apply to them; the country filter applies to the venue's country and
 * to the buyers' country.
 */
import { formatInteger } from './aggregate';
import { baseOptions, drawChart, element, fillTable, numeric, PALETTE, type Cell } from './client-dom';
import type { EnrichmentPanelsData, SalesVsConcerts } from './enrichment-model';
import type { DashboardFilter } from './model';
import type { PanelFormat } from './panel-format';

/** Bars and table rows a panel shows at most; the tables say how many rows there are in all. */
const SHOWN = 15;

const cut = (label: string, max = 28) => (label.length > max ? `${label.slice(0, max - 1)}…` : label);
const allDates = 'All dates (these views are not by day).';

export function renderEnrichment(
  panels: EnrichmentPanelsData,
  filter: DashboardFilter,
  format: PanelFormat,
): void {
  renderTopSongs(panels, format);
  renderConcertLocations(panels, filter, format);
  renderSalesVsConcerts(panels, filter, format);
}

function renderTopSongs(panels: EnrichmentPanelsData, { money }: PanelFormat): void {
  const shown = panels.topSongs.slice(0, SHOWN);
  drawChart(
    'top-songs',
    {
      type: 'bar',
      data: {
        labels: shown.map((row) => cut(`${row.artist}: ${row.song}`, 36)),
        datasets: [{ label: 'Items sold', data: shown.map((row) => row.items), backgroundColor: PALETTE[0] }],
      },
      options: { ...baseOptions(), indexAxis: 'y', plugins: { legend: { display: false } } },
    },
    shown.length === 0,
    `Bar chart: the most sold song of the ${shown.length} artists who sold most${shown[0] ? `; first is ${shown[0].song} by ${shown[0].artist}, ${shown[0].items} items` : ''}.`,
  );
  element('top-songs-note').textContent =
    `Each artist's most sold song (ties to the smaller track id); ${formatInteger(panels.topSongs.length)} artists. ${allDates} All countries.`;
  fillTable(
    'top-songs-table',
    ['Artist', 'Genre', 'Song', numeric('Items'), numeric('Revenue')],
    shown.map((row) => [
      { text: row.artist, className: 'text-cell' },
      row.genre,
      { text: row.song, className: 'text-cell', title: row.trackId },
      row.items,
      numeric(money(row.revenueCents)),
    ]),
  );
}

function renderConcertLocations(
  panels: EnrichmentPanelsData,
  filter: DashboardFilter,
  { countryLabel }: PanelFormat,
): void {
  const rows = panels.concertLocations.filter(
    (row) => filter.country === null || row.country === filter.country,
  );
  const shown = rows.slice(0, SHOWN);
  drawChart(
    'concert-locations',
    {
      type: 'bar',
      data: {
        labels: shown.map((row) => cut(`${row.city} (${countryLabel(row.country)})`)),
        datasets: [
          { label: 'Concerts', data: shown.map((row) => row.concerts), backgroundColor: PALETTE[3] },
          { label: 'Artists', data: shown.map((row) => row.artists), backgroundColor: PALETTE[1] },
        ],
      },
      options: { ...baseOptions(), indexAxis: 'y' },
    },
    shown.length === 0,
    `Bar chart: concerts and artists of the ${shown.length} cities with most concerts${shown[0] ? `; first is ${shown[0].city} with ${shown[0].concerts}` : ''}.`,
  );
  const concerts = rows.reduce((sum, row) => sum + row.concerts, 0);
  element('concert-locations-note').textContent =
    `Upcoming concerts of the newest snapshot per venue city: ${formatInteger(concerts)} concerts in ${formatInteger(rows.length)} cities` +
    `${filter.country === null ? '' : ` of ${countryLabel(filter.country)}`}. ${allDates}`;
  fillTable(
    'concert-locations-table',
    ['Country', 'City', numeric('Concerts'), numeric('Artists'), 'First', 'Last'],
    shown.map((row) => [
      countryLabel(row.country),
      { text: row.city, className: 'text-cell' },
      row.concerts,
      row.artists,
      row.firstDate,
      row.lastDate,
    ]),
    rows.length > shown.length ? [`${rows.length} cities`, '', concerts, '', '', ''] : undefined,
  );
}

/** Per artist over the selected countries: sales and upcoming concerts added up. */
function perArtist(rows: readonly SalesVsConcerts[]): SalesVsConcerts[] {
  const byArtist = new Map<string, SalesVsConcerts>();
  for (const row of rows) {
    const sum = byArtist.get(row.artist);
    byArtist.set(
      row.artist,
      sum === undefined
        ? { ...row, country: '' }
        : {
            ...sum,
            items: sum.items + row.items,
            revenueCents: sum.revenueCents + row.revenueCents,
            upcomingConcerts: sum.upcomingConcerts + row.upcomingConcerts,
          },
    );
  }
  return [...byArtist.values()].sort(
    (a, b) =>
      b.revenueCents - a.revenueCents ||
      b.upcomingConcerts - a.upcomingConcerts ||
      (a.artist < b.artist ? -1 : 1),
  );
}

function renderSalesVsConcerts(
  panels: EnrichmentPanelsData,
  filter: DashboardFilter,
  { money, countryLabel }: PanelFormat,
): void {
  const rows = panels.salesVsConcerts.filter(
    (row) => filter.country === null || row.country === filter.country,
  );
  const artists = perArtist(rows).slice(0, SHOWN);
  drawChart(
    'sales-concerts',
    {
      type: 'bar',
      data: {
        labels: artists.map((row) => cut(row.artist)),
        datasets: [
          {
            label: 'Revenue',
            data: artists.map((row) => row.revenueCents / 100),
            backgroundColor: PALETTE[0],
            yAxisID: 'revenue',
          },
          {
            label: 'Upcoming concerts',
            data: artists.map((row) => row.upcomingConcerts),
            backgroundColor: PALETTE[4],
            yAxisID: 'concerts',
          },
        ],
      },
      options: {
        ...baseOptions(),
        scales: {
          revenue: { type: 'linear', position: 'left', beginAtZero: true },
          concerts: {
            type: 'linear',
            position: 'right',
            beginAtZero: true,
            grid: { drawOnChartArea: false },
          },
        },
      },
    },
    artists.length === 0,
    `Bar chart: revenue and upcoming concerts of the ${artists.length} artists who sold most${filter.country === null ? '' : ` in ${countryLabel(filter.country)}`}.`,
  );
  element('sales-concerts-note').textContent =
    `Items sold to users of a country beside the artist's upcoming concerts there${filter.country === null ? ', all countries' : `, ${countryLabel(filter.country)}`}. ${allDates}`;
  const total = rows.reduce(
    (sum, row) => ({
      items: sum.items + row.items,
      cents: sum.cents + row.revenueCents,
      concerts: sum.concerts + row.upcomingConcerts,
    }),
    { items: 0, cents: 0, concerts: 0 },
  );
  const moneyCell = (cents: number): Cell => numeric(money(cents));
  fillTable(
    'sales-concerts-table',
    ['Artist', 'Country', numeric('Items'), numeric('Revenue'), numeric('Upcoming concerts')],
    rows
      .slice(0, SHOWN)
      .map((row) => [
        { text: row.artist, className: 'text-cell' },
        countryLabel(row.country),
        row.items,
        moneyCell(row.revenueCents),
        row.upcomingConcerts,
      ]),
    [`All ${formatInteger(rows.length)} rows`, '', total.items, moneyCell(total.cents), total.concerts],
  );
}
