/**
 * The run-date bounds (issue 13, point 1): the one rule with a fixed clock, its configuration in cdk.json,
 * and the local entry points (the CLI's date options, the local bindings of DailyPipeline) that apply it.
 */
import { Command } from 'commander';
import { parseEnvironments, readCdkJsonContext } from '../../lib/config';
import { registerExtractCommand } from '../../lib/local/cli/extract';
import { runDateParser } from '../../lib/local/cli/options';
import { registerQualityCommand } from '../../lib/local/cli/quality';
import { registerRunCommand, registerStepCommand } from '../../lib/local/cli/run';
import { DAILY_PIPELINE_STATES as S } from '../../lib/constructs/daily-pipeline-states';
import { dailyPipelineBindings, type LocalBindingContext } from '../../lib/local/pipeline/local-bindings';
import type { LocalServices } from '../../lib/local/pipeline/local-services';
import { localRunDateBounds } from '../../lib/local/run-date-bounds';
import type { ServingPlan } from '../../lambdas/shared/serving-plan';
import {
  checkEventRunDate,
  runDateBoundsProblem,
  RunDateOutOfRangeError,
  type RunDateBounds,
} from '../../lambdas/shared/run-date';

const PARIS: RunDateBounds = { earliest: '2020-01-01', timeZone: 'Europe/Paris', source: 'test' };
// 23:30Z on the 21st: already the 22nd in Paris, still the 21st in UTC and in Los Angeles.
const NOW = new Date('2026-11-21T23:30:00Z');

describe('runDateBoundsProblem', () => {
  it("takes today in the schedule's time zone, not in UTC", () => {
    expect(runDateBoundsProblem('2026-11-22', PARIS, NOW, 'x')).toBeUndefined();
    expect(runDateBoundsProblem('2026-11-23', PARIS, NOW, 'x')).toBe(
      'run date 2026-11-23 (x) is after today, 2026-11-22 in Europe/Paris (test): a day is loaded once it is over',
    );
    const utc = { ...PARIS, timeZone: 'UTC' };
    expect(runDateBoundsProblem('2026-11-22', utc, NOW, 'x')).toMatch(/after today, 2026-11-21 in UTC/);
    const losAngeles = { ...PARIS, timeZone: 'America/Los_Angeles' };
    expect(runDateBoundsProblem('2026-11-21', losAngeles, NOW, 'x')).toBeUndefined();
  });

  it('accepts the earliest date itself and refuses the day before, naming the bound and its source', () => {
    expect(runDateBoundsProblem('2020-01-01', PARIS, NOW, '--from')).toBeUndefined();
    expect(runDateBoundsProblem('2019-12-31', PARIS, NOW, '--from')).toBe(
      'run date 2019-12-31 (--from) is before the earliest run date 2020-01-01 (test)',
    );
  });

  it("checks an event's run_date only when it is a calendar date (the handler's schema names the rest)", () => {
    expect(checkEventRunDate({ run_date: 'yesterday' }, PARIS, NOW)).toEqual({ run_date: 'yesterday' });
    expect(checkEventRunDate(null, PARIS, NOW)).toBeNull();
    expect(() => checkEventRunDate({ run_date: '2026-12-01', stage: 'serving' }, PARIS, NOW)).toThrow(
      RunDateOutOfRangeError,
    );
  });
});

describe('configuration', () => {
  const environments = () =>
    structuredClone(readCdkJsonContext()['deftunes:environments']) as Record<string, Record<string, unknown>>;

  it('has an earliest run date per environment, early enough for the demo and test dates', () => {
    for (const env of parseEnvironments(environments())) {
      expect(env.earliestRunDate <= '2020-02-01').toBe(true);
    }
    expect(localRunDateBounds()).toEqual({
      earliest: '2020-01-01',
      timeZone: 'Europe/Paris',
      source: 'cdk.json environment dev: earliestRunDate, schedule.timeZone',
    });
  });

  it('requires earliestRunDate to be a calendar date', () => {
    const missing = environments();
    delete missing.dev.earliestRunDate;
    expect(() => parseEnvironments(missing)).toThrow(/dev\.earliestRunDate: /);
    const bad = environments();
    bad.prod.earliestRunDate = '2020-02-30';
    expect(() => parseEnvironments(bad)).toThrow(/prod\.earliestRunDate: run_date is not a calendar date/);
  });
});

describe('local entry points', () => {
  it('refuses a command-line date outside the bounds, naming the option', () => {
    const parse = runDateParser(
      () => PARIS,
      () => NOW,
    );
    expect(parse('2026-11-22')).toBe('2026-11-22');
    expect(() => parse('2026-11-23')).toThrow(
      'run date 2026-11-23 (given on the command line) is after today, 2026-11-22 in Europe/Paris (test)',
    );
    expect(() => parse('2026-02-30')).toThrow(/calendar date/);
  });

  it.each([
    ['run', '--from', '2999-01-01'],
    ['run', '--from', '2020-02-01', '--to', '2999-01-01'],
    ['step', 'LoadServing', '--date', '2999-01-01'],
    ['extract', 'songs', '--date', '2999-01-01'],
    ['quality', '--stage', 'serving', '--date', '2019-12-31'],
  ])('deftunes %s ... stops before running anything', async (...argv) => {
    let stderr = '';
    // The commands as bin/deftunes.ts registers them (importing it would resolve to bin/deftunes.cjs, which runs).
    const program = new Command('deftunes');
    for (const register of [
      registerRunCommand,
      registerStepCommand,
      registerExtractCommand,
      registerQualityCommand,
    ])
      register(program);
    for (const command of [program, ...program.commands]) {
      command
        .exitOverride()
        .configureOutput({ writeErr: (text) => (stderr += text), writeOut: () => undefined });
    }
    await expect(program.parseAsync(argv, { from: 'user' })).rejects.toThrow(/is invalid/);
    expect(stderr).toMatch(
      /run date (2999-01-01|2019-12-31) \(given on the command line\) is (after today|before the earliest run date 2020-01-01).*cdk\.json environment dev/,
    );
  });

  it("checks every Lambda state's run_date in the local bindings, before the function runs", async () => {
    let metricFlushes = 0;
    const context = {
      services: {
        paths: { root: '/nonexistent' },
        flushMetrics: () => (metricFlushes += 1),
      } as unknown as LocalServices,
      glue: () => Promise.reject(new Error('no glue')),
      plan: {} as ServingPlan,
      runDateBounds: PARIS,
    } satisfies LocalBindingContext;
    const bindings = dailyPipelineBindings(context);
    const states = [S.extractSongs, S.extractUsers, S.loadServing, S.checkServingQuality];
    for (const state of states) {
      await expect(bindings[state]({ Payload: { run_date: '2999-01-01' } })).rejects.toThrow(
        /run date 2999-01-01 \(the event's run_date\) is after today/,
      );
    }
    // As the handler's metrics middleware does in AWS, a failed invocation flushes its metrics too.
    expect(metricFlushes).toBe(states.length);
    await expect(
      bindings[S.resolveRunDate]({
        Payload: { execution_input: { run_date: '2999-01-01' }, time_zone: 'Europe/Paris' },
      }),
    ).rejects.toThrow(/after today/);
  });
});
