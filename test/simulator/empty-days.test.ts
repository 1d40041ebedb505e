import { SimulatedWorld } from '../../lib/local/simulator/world';

const day = (date: string) => Date.parse(`${date}T00:00:00Z`) / 86_400_000;

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

test('an empty day that is not a date is refused, naming it', () => {
  expect(() => new SimulatedWorld({ emptyDays: ['2020-02-31x'] })).toThrow(
    /empty day must be a date.*2020-02-31x/,
  );
});
