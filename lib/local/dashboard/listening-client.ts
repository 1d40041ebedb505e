/// <reference lib="dom" />
/**
 * The listening panels of the page (bundled with client.ts): plays and unique listeners per UTC hour, and
 * plays, popularity and top track per genre, of one day: the latest day of listening inside the date range
 * (set "To" to see an earlier day). The page holds only the latest days of the views (listening-model.ts).
 * The views are not by country, so the country filter does not apply to them.
 */
import { formatInteger } from './aggregate';
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
import {
  genresOfDay,
  hoursOfDay,
  listeningDaysIn,
  selectedListeningDay,
  type ListeningPanelsData,
} from './listening-model';
import type { DashboardFilter } from './model';

const hourLabel = (hour: number) => `${String(hour).padStart(2, '0')}:00`;
const ratio = (value: number): Cell => numeric(value.toFixed(3));
const oneDecimal = (value: number | null): Cell => ({
  text: value === null ? '–' : value.toFixed(1),
  numeric: true,
});
const duration = (seconds: number | null): Cell => ({
  text:
    seconds === null
      ? '–'
      : `${Math.floor(Math.round(seconds) / 60)}:${String(Math.round(seconds) % 60).padStart(2, '0')}`,
  numeric: true,
});
const allCountries = 'All countries (the listening views are not by country).';

/** Where the shown day sits among the held days, in words, for both panels' notes. */
function windowNote(panels: ListeningPanelsData, filter: DashboardFilter, day: string): string {
  const inRange = listeningDaysIn(panels, filter).length;
  const held =
    panels.daysHeld > panels.days.length
      ? `the latest ${panels.days.length} of the ${formatInteger(panels.daysHeld)} days the views hold`
      : `all ${panels.days.length} days the views hold`;
  return `${day}, the latest of ${inRange} listening days in the date range (set "To" for an earlier day; the page holds ${held}, ${panels.days[0]} to ${panels.days[panels.days.length - 1]}).`;
}

export function renderListening(panels: ListeningPanelsData, filter: DashboardFilter): void {
  const day = selectedListeningDay(panels, filter);
  renderHourlyListening(panels, filter, day);
  renderGenres(panels, filter, day);
}

function renderHourlyListening(
  panels: ListeningPanelsData,
  filter: DashboardFilter,
  day: string | null,
): void {
  const hours = day === null ? [] : hoursOfDay(panels, day);
  const played = hours.filter((row) => row.plays > 0);
  drawChart(
    'listening-hourly',
    {
      type: 'bar',
      data: {
        labels: hours.map((row) => hourLabel(row.hour)),
        datasets: [
          { type: 'bar', label: 'Plays', data: hours.map((row) => row.plays), backgroundColor: PALETTE[0] },
          {
            type: 'line',
            label: 'Unique listeners',
            data: hours.map((row) => row.uniqueListeners),
            borderColor: PALETTE[1],
            backgroundColor: PALETTE[1],
            pointRadius: 2,
            borderWidth: 2,
          },
        ],
      },
      options: {
        ...optionsWithTooltip({
          afterBody: (items) => {
            const row = hours[items[0]?.dataIndex ?? 0];
            return row === undefined || row.plays === 0
              ? []
              : [
                  `Top artist: ${row.topArtist ?? '(unknown tracks only)'}`,
                  `Track diversity: ${row.trackDiversityIndex.toFixed(3)}`,
                ];
          },
        }),
        scales: {
          x: { title: { display: true, text: 'Hour (UTC)' } },
          y: { beginAtZero: true, ticks: { precision: 0 } },
        },
      },
    },
    played.length === 0,
    day === null
      ? 'Chart of plays per hour: no listening day in the date range.'
      : `Chart of ${day}'s 24 UTC hours: plays as bars, unique listeners as a line.`,
  );
  const plays = hours.reduce((sum, row) => sum + row.plays, 0);
  element('listening-hourly-note').textContent =
    day === null
      ? `No listening day in the date range. ${allCountries}`
      : `Plays per UTC hour of ${windowNote(panels, filter, day)} ${formatInteger(plays)} plays that day. ` +
        'Unique listeners are counted per hour: a listener of several hours counts in each, so they are not added up. ' +
        allCountries;
  fillTable(
    'listening-hourly-table',
    [
      'Hour (UTC)',
      numeric('Plays'),
      numeric('Unique listeners'),
      numeric('Unique tracks'),
      numeric('Diversity'),
      'Top artist (plays)',
    ],
    played.map((row) => [
      hourLabel(row.hour),
      row.plays,
      row.uniqueListeners,
      row.uniqueTracks,
      ratio(row.trackDiversityIndex),
      {
        text: row.topArtist === null ? '–' : `${row.topArtist} (${row.topArtistPlays})`,
        className: 'text-cell',
      },
    ]),
    [`${day ?? ''} (${played.length} hours)`, plays, 'not additive', '', '', ''],
  );
}

function renderGenres(panels: ListeningPanelsData, filter: DashboardFilter, day: string | null): void {
  const genres = genresOfDay(panels, filter);
  const ofDay = genres.filter((row) => row.day !== null);
  const rangeDays = listeningDaysIn(panels, filter).length;
  drawChart(
    'genres',
    {
      type: 'bar',
      data: {
        labels: ofDay.map((row) => row.genre),
        datasets: [
          { label: 'Plays', data: ofDay.map((row) => row.day?.plays ?? 0), backgroundColor: PALETTE[0] },
          {
            label: 'Popularity index',
            data: ofDay.map((row) => row.day?.popularityIndex ?? 0),
            backgroundColor: PALETTE[4],
          },
        ],
      },
      options: { ...baseOptions(), indexAxis: 'y', scales: { y: { ticks: { autoSkip: false } } } },
    },
    ofDay.length === 0,
    `Bar chart: plays and popularity index of ${ofDay.length} genres${day === null ? '' : ` on ${day}`}${ofDay[0] ? `; first is ${ofDay[0].genre} with ${ofDay[0].day?.plays ?? 0} plays` : ''}.`,
  );
  element('genres-note').textContent =
    day === null
      ? `No listening day in the date range. ${allCountries}`
      : `Genres of ${windowNote(panels, filter, day)} Pop. index = plays x average popularity (0 to 100) / 100; ` +
        `averages over the plays of known tracks. The last column adds up the plays of the ${rangeDays} days in the range. ${allCountries}`;
  const total = genres.reduce(
    (sum, row) => ({ day: sum.day + (row.day?.plays ?? 0), range: sum.range + row.rangePlays }),
    { day: 0, range: 0 },
  );
  fillTable(
    'genres-table',
    [
      'Genre',
      numeric('Plays'),
      numeric('Pop. index'),
      numeric('Avg duration'),
      numeric('Avg pop.'),
      'Top track (plays)',
      { text: `Plays, ${rangeDays} days`, numeric: true },
    ],
    genres.map(({ genre, day: row, rangePlays }) => [
      genre,
      row?.plays ?? 0,
      oneDecimal(row?.popularityIndex ?? null),
      duration(row?.avgDurationS ?? null),
      oneDecimal(row?.avgPopularity ?? null),
      {
        text: row?.topTrack == null ? '–' : `${row.topTrack} (${row.topTrackPlays})`,
        className: 'text-cell',
        ...(row?.topTrackId == null
          ? {}
          : { title: `${row.topTrackId}${row.topTrackArtist === null ? '' : ` by ${row.topTrackArtist}`}` }),
      },
      rangePlays,
    ]),
    [`All ${formatInteger(genres.length)} genres`, total.day, '', '', '', '', total.range],
  );
}
