import { parseDay } from '../../lib/local/simulator/time';
import { SimulatedWorld } from '../../lib/local/simulator/world';

const day = (date: string) => parseDay(date, 'day');

test('an empty day serves no session, in any window, and the days around it are unchanged', () => {
  const plain = new SimulatedWorld({ seed: 7, scale: 'tiny' });
  const outage = new SimulatedWorld({ seed: 7, scale: 'tiny', emptyDays: ['2020-02-02'] });
  const count = (world: SimulatedWorld, from: string, to: string) =>
    [...world.servedSessions(day(from), day(to))].length;
  expect(count(plain, '2020-02-02', '2020-02-02')).toBeGreaterThan(0);
  expect(count(outage, '2020-02-02', '2020-02-02')).toBe(0);
  expect(count(outage, '2020-02-01', '2020-02-03')).toBe(
    count(plain, '2020-02-01', '2020-02-01') + count(plain, '2020-02-03', '2020-02-03'),
  );
});

test.each([
  ['2020-02-31x', /empty day must be a date YYYY-MM-DD; got "2020-02-31x"/],
  ['2020-02-30', /empty day is not a calendar date: "2020-02-30"/],
])('an empty day %s is refused, naming it', (date, message) => {
  expect(() => new SimulatedWorld({ emptyDays: [date] })).toThrow(message);
});
