/**
 * What the listening panels pick for a date range: the day shown, its 24 UTC hours, and its genres beside
 * their plays over the range (pure functions of listening-model.ts, run by the page in the browser).
 */
import {
  genresOfDay,
  hoursOfDay,
  listeningDaysIn,
  playsPerDay,
  selectedListeningDay,
  type GenreDay,
  type ListeningHour,
  type ListeningPanelsData,
} from '../../lib/local/dashboard/listening-model';
import { NO_FILTER } from '../../lib/local/dashboard/model';
import { playsCheck } from '../../lib/local/dashboard/listening';

const hour = (date: string, at: number, plays: number, listeners: number): ListeningHour => ({
  date,
  hour: at,
  plays,
  uniqueListeners: listeners,
  uniqueTracks: plays,
  trackDiversityIndex: 1,
  topArtist: 'A',
  topArtistPlays: 1,
});
const genre = (date: string, name: string, plays: number): GenreDay => ({
  date,
  genre: name,
  plays,
  popularityIndex: plays / 2,
  avgDurationS: 200,
  avgPopularity: 50,
  topTrack: 'T',
  topTrackId: 'TR1',
  topTrackArtist: 'A',
  topTrackPlays: 1,
});

const panels: ListeningPanelsData = {
  days: ['2026-02-01', '2026-02-02', '2026-02-03'],
  daysHeld: 5,
  hourly: [
    hour('2026-02-01', 9, 4, 3),
    hour('2026-02-02', 0, 2, 2),
    hour('2026-02-02', 23, 5, 1),
    hour('2026-02-03', 12, 7, 4),
  ],
  genres: [
    genre('2026-02-01', 'jazz', 4),
    genre('2026-02-02', 'jazz', 3),
    genre('2026-02-02', 'rock', 3),
    genre('2026-02-02', 'pop', 1),
    genre('2026-02-03', 'rock', 7),
  ],
};

test('the day shown is the latest held day in the date range', () => {
  expect(selectedListeningDay(panels, NO_FILTER)).toBe('2026-02-03');
  expect(selectedListeningDay(panels, { ...NO_FILTER, to: '2026-02-02' })).toBe('2026-02-02');
  expect(listeningDaysIn(panels, { ...NO_FILTER, from: '2026-02-02' })).toEqual(['2026-02-02', '2026-02-03']);
  expect(selectedListeningDay(panels, { ...NO_FILTER, to: '2026-01-31' })).toBeNull();
  expect(selectedListeningDay(panels, { from: '2026-02-03', to: '2026-02-01', country: null })).toBeNull();
});

test('a day has 24 UTC hours: quiet hours have no plays and no listeners', () => {
  const hours = hoursOfDay(panels, '2026-02-02');
  expect(hours.map((row) => row.hour)).toEqual(Array.from({ length: 24 }, (_, index) => index));
  expect(hours[0]).toEqual(panels.hourly[1]);
  expect(hours[23]).toEqual(panels.hourly[2]);
  expect(hours[12]).toMatchObject({ date: '2026-02-02', plays: 0, uniqueListeners: 0, topArtist: null });
  expect(hours.reduce((sum, row) => sum + row.plays, 0)).toBe(7);
});

test("genres of the day shown, most played first, beside their plays over the range's days", () => {
  const genres = genresOfDay(panels, { ...NO_FILTER, to: '2026-02-02' });
  expect(genres.map((row) => [row.genre, row.day?.plays ?? null, row.rangePlays])).toEqual([
    // 3 plays each that day: the one played more over the range first.
    ['jazz', 3, 7],
    ['rock', 3, 3],
    ['pop', 1, 1],
  ]);
  // A genre played in the range but not on the day shown is listed, without a row of that day.
  expect(
    genresOfDay(panels, { ...NO_FILTER, from: '2026-02-02' }).map((row) => [row.genre, row.day?.plays]),
  ).toEqual([
    ['rock', 7],
    ['jazz', undefined],
    ['pop', undefined],
  ]);
  expect(genresOfDay(panels, { ...NO_FILTER, to: '2026-01-31' })).toEqual([]);
});

test('plays per day add up, and the check names the days that differ', () => {
  const hourly = playsPerDay(panels.hourly);
  const genres = playsPerDay(panels.genres);
  expect([...hourly]).toEqual([
    ['2026-02-01', 4],
    ['2026-02-02', 7],
    ['2026-02-03', 7],
  ]);
  expect(playsCheck('c', hourly, { name: 'genres', plays: genres })).toEqual({
    name: 'c',
    ok: true,
    detail: '18 plays agree on 3 days',
  });
  const missingDay = new Map([...genres].filter(([day]) => day !== '2026-02-01'));
  expect(playsCheck('c', hourly, { name: 'genres', plays: missingDay })).toEqual({
    name: 'c',
    ok: false,
    detail: '1 of 3 days differ, e.g. 2026-02-01: genres 0, expected 4',
  });
});
