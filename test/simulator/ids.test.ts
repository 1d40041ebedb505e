/**
 * Ids that are keys downstream (users, sessions, plays) must never repeat in one world. Each generator starts
 * from a 32-bit seed, so random bits alone repeat after about 2^16 ids: a three-day demo at `small` gave 20
 * plays of one day the event_id of a play of another day, and fact_listens rightly kept one of each pair.
 */
import { SimulatedWorld } from '../../lib/local/simulator';
import { playEventId } from '../../lib/local/simulator/listen-lines';
import { Rng, dayIndexKey } from '../../lib/local/simulator/random';
import { parseDay } from '../../lib/local/simulator/time';

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('Rng.keyedUuid', () => {
  it('differs between keys even when the generators start from the same seed', () => {
    expect(new Rng(7).uuid()).toBe(new Rng(7).uuid());
    const first = new Rng(7).keyedUuid(dayIndexKey(18_293, 5));
    const second = new Rng(7).keyedUuid(dayIndexKey(18_294, 5));
    expect(first).not.toBe(second);
    expect(first).toMatch(UUID_V4);
    expect(first.slice(-12)).toBe('477500000005');
  });

  it('keeps the random part of uuid and draws as much from the generator', () => {
    const plain = new Rng(42);
    const keyed = new Rng(42);
    expect(keyed.keyedUuid(12).slice(0, 24)).toBe(plain.uuid().slice(0, 24));
    expect(keyed.uint32()).toBe(plain.uint32());
  });

  it('refuses keys outside [0, 2^48) and days or indexes outside their bits', () => {
    expect(() => new Rng(1).keyedUuid(-1)).toThrow('uuid key -1 is not an integer in [0, 2^48)');
    expect(() => new Rng(1).keyedUuid(2 ** 48)).toThrow(RangeError);
    expect(() => new Rng(1).keyedUuid(1.5)).toThrow(RangeError);
    expect(() => dayIndexKey(65_536, 0)).toThrow('day 65536 is outside 0..65535');
    expect(() => dayIndexKey(1, 2 ** 32)).toThrow('index 4294967296 in day 1 is outside 0..2^32-1');
  });
});

describe('playEventId', () => {
  it('is what keyedUuid returns for the play, and leaves the generator where keyedUuid does', () => {
    for (const [seed, day, index] of [
      [1, 0, 0],
      [99, 18_293, 123_456],
      [0xffffffff, 65_535, 0xffffffff],
    ]) {
      const table = new Rng(seed);
      const reference = new Rng(seed);
      expect(playEventId(table, day, index)).toBe(reference.keyedUuid(dayIndexKey(day, index)));
      expect(table.uint32()).toBe(reference.uint32());
    }
  });
});

describe('ids of one world', () => {
  const world = new SimulatedWorld({ seed: 5 });
  const firstDay = parseDay('2020-02-01', 'date');

  it('give every play of several days its own event_id', () => {
    const ids = [0, 1, 2].flatMap((d) =>
      [...world.listens.stream.plays(firstDay + d)].map((p) => p.event_id),
    );
    expect(ids.length).toBeGreaterThan(5000);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids.slice(0, 100)) expect(id).toMatch(UUID_V4);
  });

  it('give every user and every session its own id', () => {
    const users = Array.from({ length: 5000 }, (_, index) => world.users.userId(index));
    expect(new Set(users).size).toBe(users.length);
    const sessions = [...world.servedSessions(firstDay, firstDay + 2)]
      .flatMap((served) => served.records)
      .map((record) => (record as { session_id?: unknown }).session_id)
      .filter((id): id is string => typeof id === 'string');
    expect(sessions.length).toBeGreaterThan(100);
    expect(new Set(sessions).size).toBe(sessions.length);
  });
});
