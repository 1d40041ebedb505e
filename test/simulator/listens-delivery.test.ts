/**
 * The local runner's Firehose: what it delivers before a date (up to the end of the date's window, or
 * `--listens-delivered-until`), that consecutive dates add only their new arrival hours, that a run with
 * every source given by URL delivers nothing and says so, and the CLI flag.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Command } from 'commander';
import { LISTENS_LANDING_PREFIXES } from '../../lambdas/shared/landing-keys';
import { LocalObjectStore } from '../../lib/local/adapters/local-object-store';
import { parseIsoTime } from '../../lib/local/cli/options';
import { registerRunCommand, registerStepCommand } from '../../lib/local/cli/run';
import { deliverListensBefore, listensDeliveryWindow } from '../../lib/local/pipeline/listens-delivery';
import { SimulatedWorld } from '../../lib/local/simulator';

const LATENESS_HOURS = 12;
let dir: string;

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'deftunes-listens-delivery-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test("a date's delivery runs from its start to the end of its window, or to an earlier given time", () => {
  expect(listensDeliveryWindow('2020-03-10', LATENESS_HOURS)).toEqual({
    from: Date.parse('2020-03-10T00:00:00Z'),
    until: Date.parse('2020-03-11T12:00:00Z'),
  });
  expect(listensDeliveryWindow('2020-03-10', LATENESS_HOURS, '2020-03-11T03:00:00.000Z').until).toBe(
    Date.parse('2020-03-11T03:00:00Z'),
  );
  // A later time than the window's end changes nothing: the run reads its window only.
  expect(listensDeliveryWindow('2020-03-10', 0, '2020-03-20T00:00:00Z').until).toBe(
    Date.parse('2020-03-11T00:00:00Z'),
  );
});

test('consecutive dates deliver only their new arrival intervals, up to each window end', async () => {
  const landing = new LocalObjectStore(path.join(dir, 'consecutive'));
  const notes: string[] = [];
  const context = {
    world: new SimulatedWorld({ seed: 9 }),
    landing,
    latenessHours: LATENESS_HOURS,
    note: (message: string) => notes.push(message),
  };
  const first = await deliverListensBefore('2020-03-10', context);
  const second = await deliverListensBefore('2020-03-11', context);
  // 36 h of 15-minute intervals each; the second date's first 12 h were the first date's last.
  expect(first).toMatchObject({ written: 144, skipped: 0, until: '2020-03-11T12:00:00.000Z' });
  expect(second).toMatchObject({ written: 96, skipped: 48, until: '2020-03-12T12:00:00.000Z' });
  const keys = await landing.list(`${LISTENS_LANDING_PREFIXES.data}/`);
  expect(keys).toHaveLength(240);
  expect(keys[0]).toMatch(/arrived_on=2020-03-10\/hour=00\//);
  expect(keys.at(-1)).toMatch(/arrived_on=2020-03-12\/hour=11\//);
  expect(notes[1]).toMatch(
    /^listening events for 2020-03-11: delivered up to 2020-03-12T12:00:00.000Z: 96 new/,
  );
});

test('--listens-delivered-until holds back what has not arrived by then', async () => {
  const landing = new LocalObjectStore(path.join(dir, 'until'));
  const world = new SimulatedWorld({ seed: 9 });
  const note = () => undefined;
  const report = await deliverListensBefore('2020-03-10', {
    world,
    landing,
    latenessHours: LATENESS_HOURS,
    deliveredUntil: '2020-03-10T06:10:00.000Z',
    note,
  });
  expect(report).toMatchObject({ written: 24 });
  // 00:00 .. 06:00 ended by 06:10; 06:00 .. 06:15 has not.
  const hours = (await landing.list(`${LISTENS_LANDING_PREFIXES.data}/`)).map((key) =>
    /arrived_on=([\d-]+)\/hour=(\d\d)/.exec(key)!.slice(1).join(' '),
  );
  expect(new Set(hours)).toEqual(
    new Set(['00', '01', '02', '03', '04', '05'].map((hour) => `2020-03-10 ${hour}`)),
  );
  const before = await deliverListensBefore('2020-03-10', {
    world,
    landing,
    latenessHours: LATENESS_HOURS,
    deliveredUntil: '2020-03-09T23:00:00.000Z',
    note,
  });
  expect(before).toBeUndefined();
});

test('without a simulator (every source given by URL) nothing is delivered, and a note says so', async () => {
  const landing = new LocalObjectStore(path.join(dir, 'no-world'));
  const notes: string[] = [];
  const report = await deliverListensBefore('2020-03-10', {
    world: undefined,
    landing,
    latenessHours: LATENESS_HOURS,
    note: (message) => notes.push(message),
  });
  expect(report).toBeUndefined();
  expect(notes).toEqual([expect.stringMatching(/every source is given by URL.*none delivered/)]);
  expect(await landing.list('')).toEqual([]);
});

describe('--listens-delivered-until', () => {
  it.each([
    ['2020-01-02T06:00:00Z', '2020-01-02T06:00:00.000Z'],
    ['2020-01-02T08:00+02:00', '2020-01-02T06:00:00.000Z'],
    ['2020-01-02T06:00:00.5-01:00', '2020-01-02T07:00:00.500Z'],
  ])('reads %s as %s', (given, read) => {
    expect(parseIsoTime(given)).toBe(read);
  });

  it.each(['2020-01-02', '2020-01-02T06:00:00', 'tomorrow', '2020-02-30T06:00:00Z'])(
    'refuses %s',
    (given) => {
      expect(() => parseIsoTime(given)).toThrow(/ISO 8601 with its offset/);
    },
  );

  it('is an option of deftunes run and deftunes step, documented in their help', () => {
    const program = new Command();
    registerRunCommand(program);
    registerStepCommand(program);
    for (const name of ['run', 'step']) {
      const command = program.commands.find((candidate) => candidate.name() === name)!;
      const option = command.options.find((candidate) => candidate.long === '--listens-delivered-until')!;
      expect(option.parseArg!('2020-01-02T08:00+02:00', undefined)).toBe('2020-01-02T06:00:00.000Z');
      expect(command.helpInformation()).toMatch(/--listens-delivered-until <time>/);
    }
  });
});
