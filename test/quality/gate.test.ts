/**
 * The gate as the state machine runs it: runDataQuality on the local adapters (DuckDB file, landing and
 * serving directories, the transform job's counts), its result document and metrics, and the CLI.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import {
  ResultDocumentSchema,
  resultDocumentKey,
  type ResultDocument,
} from '../../lambdas/data-quality/result-document';
import {
  runDataQuality,
  type DataQualityDeps,
  type QualityLogger,
  type QualityMetrics,
} from '../../lambdas/data-quality/run-data-quality';
import type { Row, SqlParameters, Warehouse } from '../../lambdas/shared/warehouse';
import { Command } from 'commander';
import { registerQualityCommand } from '../../lib/local/cli/quality';
import { localPaths } from '../../lib/local/data-dir';
import { openFixture, RUN_DATE, SESSIONS_PER_DAY, userId, type Fixture } from './fixtures';

const PARTITION = `ingest_on = date '${RUN_DATE}'`;

class RecordingMetrics implements QualityMetrics {
  readonly dimensions: Record<string, string> = {};
  readonly metrics: Record<string, number> = {};
  addDimension(name: string, value: string): void {
    this.dimensions[name] = value;
  }
  addMetric(name: string, _unit: 'Count' | 'Percent', value: number): void {
    this.metrics[name] = value;
  }
}

class RecordingLogger implements QualityLogger {
  readonly lines: { level: string; message: string; attributes: Record<string, unknown>[] }[] = [];
  info(message: string, ...attributes: Record<string, unknown>[]): void {
    this.lines.push({ level: 'info', message, attributes });
  }
  warn(message: string, ...attributes: Record<string, unknown>[]): void {
    this.lines.push({ level: 'warn', message, attributes });
  }
  error(message: string, ...attributes: Record<string, unknown>[]): void {
    this.lines.push({ level: 'error', message, attributes });
  }
}

let fixture: Fixture;
let metrics: RecordingMetrics;
let logger: RecordingLogger;
let deps: DataQualityDeps;

beforeAll(async () => {
  fixture = await openFixture();
});
afterAll(async () => fixture?.close());

beforeEach(async () => {
  metrics = new RecordingMetrics();
  logger = new RecordingLogger();
  deps = await fixture.openGate(logger, metrics);
});

function readDocument(stage: 'transform' | 'serving'): ResultDocument {
  const file = path.join(localPaths(fixture.dir).serving, resultDocumentKey(RUN_DATE, stage));
  return ResultDocumentSchema.parse(JSON.parse(readFileSync(file, 'utf8')));
}

describe('runDataQuality', () => {
  it('passes valid data and writes the result document where the dashboard reads it', async () => {
    const result = await runDataQuality({ run_date: RUN_DATE, stage: 'transform' }, deps);
    expect(result).toEqual({
      run_date: RUN_DATE,
      stage: 'transform',
      status: 'passed',
      failed: [],
      warned: [],
      results_key: 'dq-results/run_date=2020-02-08/transform.json',
    });
    const document = readDocument('transform');
    expect(document).toMatchObject({
      schema_version: 1,
      run_date: RUN_DATE,
      stage: 'transform',
      status: 'passed',
    });
    expect(document.summary).toEqual({ passed: document.rules.length, warned: 0, failed: 0 });
    expect(document.rules.map((rule) => rule.rule)).toEqual(
      expect.arrayContaining([
        'quarantine_rate_users',
        'quarantine_rate_sessions',
        'quarantine_rate_songs',
        'sessions_song_id_in_songs_track_id',
      ]),
    );
    expect(Date.parse(document.finished_at)).toBeGreaterThanOrEqual(Date.parse(document.started_at));
    expect(metrics).toMatchObject({
      dimensions: { stage: 'transform' },
      metrics: { RulesFailed: 0, RulesWarned: 0, RulesPassed: document.rules.length },
    });
  });

  it('fails on an error-severity rule, names it, and keeps warnings apart', async () => {
    await fixture.exec(
      `update deftunes_transform.sessions set price = 9 where ${PARTITION} and user_id = '${userId(3)}'`,
    );
    // 2 of 100 sessions rejected at extraction: above 1%, below 5%.
    await fixture.writeCounts('sessions', { records: 98, rejected: 2 });
    const result = await runDataQuality({ run_date: RUN_DATE, stage: 'transform' }, deps);
    expect(result.status).toBe('failed');
    expect(result.failed).toEqual(['sessions_price_above_0_at_most_2']);
    expect(result.warned).toEqual(['quarantine_rate_sessions']);
    const document = readDocument('transform');
    const price = document.rules.find((rule) => rule.rule === 'sessions_price_above_0_at_most_2')!;
    expect(price).toMatchObject({
      kind: 'dbt_test',
      table: 'deftunes_transform.sessions',
      column: 'price',
      severity: 'error',
      status: 'failed',
      failing_rows: 5,
      observed: 5,
      threshold: 'error if count(*) != 0; warn if count(*) != 0',
    });
    expect(price.sample_failing_keys).toHaveLength(5);
    expect(price.sample_failing_keys[0]).toMatchObject({
      user_id: userId(3),
      price: '9.00',
      ingest_on: RUN_DATE,
    });
    expect(metrics.metrics).toMatchObject({ RulesFailed: 1, RulesWarned: 1 });
    expect(
      logger.lines.filter((line) => line.level === 'error').map((line) => line.attributes[0].rule),
    ).toEqual(['sessions_price_above_0_at_most_2']);
  });

  it('only warns when nothing of error severity failed', async () => {
    await fixture.exec(
      `delete from deftunes_transform.sessions where ${PARTITION} and session_id >= '10000000-0000-4000-8000-000070000016'`,
    );
    const result = await runDataQuality({ run_date: RUN_DATE, stage: 'transform' }, deps);
    expect(result).toMatchObject({ status: 'warned', failed: [], warned: ['sessions_volume_within_band'] });
  });

  it.each([
    [0.5, 'passed'],
    [2, 'warned'],
    [10, 'failed'],
  ] as const)(
    'bounds the quarantine rate: %s%% of the sessions quarantined -> %s',
    async (percent, status) => {
      const received = 1000;
      const rejected = (received * percent) / 100;
      await fixture.writeCounts('sessions', { records: received - rejected, rejected });
      const result = await runDataQuality({ run_date: RUN_DATE, stage: 'transform' }, deps);
      expect(result.status).toBe(status);
      const rule = readDocument('transform').rules.find(
        (candidate) => candidate.rule === 'quarantine_rate_sessions',
      )!;
      expect(rule).toMatchObject({
        status,
        observed: percent,
        failing_rows: rejected,
        table: 'landing.sessions',
      });
    },
  );

  it('counts rows the transform job quarantined', async () => {
    await fixture.writeCounts('users', { records: 50, rejected: 0 }, 5);
    const result = await runDataQuality({ run_date: RUN_DATE, stage: 'transform' }, deps);
    expect(result).toMatchObject({ status: 'failed', failed: ['quarantine_rate_users'] });
  });

  it('fails when the transform job left no counts (a silent pass is not an option)', async () => {
    const missing: DataQualityDeps = { ...deps, transformCounts: async () => undefined };
    const result = await runDataQuality({ run_date: RUN_DATE, stage: 'transform' }, missing);
    expect(result.failed).toEqual([
      'quarantine_rate_users',
      'quarantine_rate_sessions',
      'quarantine_rate_songs',
    ]);
  });

  it('runs only the serving rules at the serving stage', async () => {
    const result = await runDataQuality({ run_date: RUN_DATE, stage: 'serving' }, deps);
    expect(result.status).toBe('passed');
    const document = readDocument('serving');
    expect(
      document.rules.every((rule) => rule.kind === 'dbt_test' && rule.table.startsWith('deftunes_serving.')),
    ).toBe(true);
    expect(document.rules.length).toBe(fixture.plan.tests.filter((test) => test.stage === 'serving').length);
  });

  it("reports the load's measures of the tests it guarded instead of running them again", async () => {
    const measures = fixture.loads.at(-1)!.guard_measures;
    expect(fixture.loads.at(-1)!.run_date).toBe(RUN_DATE);
    const guarded = new Set(measures.map((measure) => measure.test));
    const serving = fixture.plan.tests.filter((test) => test.stage === 'serving');
    expect(guarded.size).toBeGreaterThan(30);
    // A measure says a key repeats: the gate judges it as given (the data itself is clean).
    const tampered = measures.map((measure) =>
      measure.test === 'unique_dim_users_user_key' ? { ...measure, failures: 3, failing_rows: 3 } : measure,
    );
    const measuredQueries: string[] = [];
    const recording: Warehouse = {
      query: <T extends Row = Row>(sql: string, parameters?: SqlParameters) => {
        if (/^select .* as failures, count\(\*\) as failing_rows from \(/s.test(sql))
          measuredQueries.push(sql);
        return deps.warehouse.query<T>(sql, parameters);
      },
      transaction: (statements) => deps.warehouse.transaction(statements),
      close: async () => undefined,
    };
    const result = await runDataQuality(
      {
        run_date: RUN_DATE,
        stage: 'serving',
        serving_load: { ...fixture.loads.at(-1)!, guard_measures: tampered },
      },
      { ...deps, warehouse: recording },
    );
    expect(result.failed).toEqual(['unique_dim_users_user_key']);
    // Only the tests the load did not guard (warn severity) are measured by the gate.
    expect(measuredQueries).toHaveLength(serving.filter((test) => !guarded.has(test.name)).length);
    const rules = readDocument('serving').rules;
    const byLoad = rules.filter((rule) => rule.measured_by === 'serving-load').map((rule) => rule.rule);
    expect(byLoad.sort()).toEqual([...guarded].sort());
    expect(rules.find((rule) => rule.rule === 'unique_dim_users_user_key')).toMatchObject({
      status: 'failed',
      observed: 3,
      failing_rows: 3,
      sample_failing_keys: [], // read from the data, which has no repeated key
    });
    // The same day measured by the gate itself passes, also given a load result without measures.
    expect((await runDataQuality({ run_date: RUN_DATE, stage: 'serving' }, deps)).status).toBe('passed');
    await runDataQuality({ run_date: RUN_DATE, stage: 'serving', serving_load: { models: [] } }, deps);
    expect(readDocument('serving').rules.filter((rule) => rule.measured_by)).toEqual([]);
  });

  it('fails a rule whose query errors, naming it, even with warn severity', async () => {
    await fixture.exec('drop view deftunes_serving.hourly_kpis_vw');
    const result = await runDataQuality({ run_date: RUN_DATE, stage: 'serving' }, deps);
    expect(result.status).toBe('failed');
    expect(result.failed).toEqual(
      expect.arrayContaining(['hourly_kpis_vw_one_row_per_hour', 'bi_hourly_kpis_total_matches_fact']),
    );
    const rule = readDocument('serving').rules.find(
      (candidate) => candidate.rule === 'hourly_kpis_vw_one_row_per_hour',
    )!;
    expect(rule.error).toMatch(
      /^test hourly_kpis_vw_one_row_per_hour on deftunes_serving.hourly_kpis_vw could not run: /,
    );
  });

  it('replaces the document of a re-run instead of adding one', async () => {
    await runDataQuality({ run_date: RUN_DATE, stage: 'transform' }, deps);
    await fixture.exec(
      `update deftunes_transform.users set latitude = 100 where ${PARTITION} and user_id = '${userId(1)}'`,
    );
    await runDataQuality({ run_date: RUN_DATE, stage: 'transform' }, deps);
    const documents = await deps.resultsStore.list(`dq-results/run_date=${RUN_DATE}/`);
    expect(documents.filter((key) => key.includes('transform'))).toEqual([
      resultDocumentKey(RUN_DATE, 'transform'),
    ]);
    expect(readDocument('transform').status).toBe('failed');
  });

  it('rejects a bad event and a plan without tests for the stage', async () => {
    await expect(runDataQuality({ run_date: '2020-02-30', stage: 'transform' }, deps)).rejects.toThrow(
      /invalid data-quality event .*run_date/,
    );
    await expect(runDataQuality({ run_date: RUN_DATE, stage: 'load' }, deps)).rejects.toThrow(/stage/);
    await expect(
      runDataQuality({ run_date: RUN_DATE, stage: 'transform', serving_load: { guard_measures: [] } }, deps),
    ).rejects.toThrow(/serving_load is for the serving stage, not the transform stage/);
    await expect(
      runDataQuality(
        {
          run_date: RUN_DATE,
          stage: 'serving',
          serving_load: { guard_measures: [{ test: 'x', failures: 0, failing_rows: -1 }] },
        },
        deps,
      ),
    ).rejects.toThrow(/serving_load\.guard_measures\.0\.failing_rows/);
    const empty = {
      ...deps,
      plan: { ...deps.plan, tests: deps.plan.tests.filter((test) => test.stage !== 'serving') },
    };
    await expect(runDataQuality({ run_date: RUN_DATE, stage: 'serving' }, empty)).rejects.toThrow(
      /has no serving tests/,
    );
  });
});

describe('result document shape', () => {
  it('has exactly the documented fields (dbt_modeling/README.md, Data quality)', async () => {
    await fixture.exec(
      `update deftunes_transform.sessions set currency = 'EUR' where ${PARTITION} and user_id = '${userId(3)}'`,
    );
    await runDataQuality({ run_date: RUN_DATE, stage: 'transform' }, deps);
    const raw = JSON.parse(
      readFileSync(
        path.join(localPaths(fixture.dir).serving, resultDocumentKey(RUN_DATE, 'transform')),
        'utf8',
      ),
    ) as Record<string, unknown> & { rules: Record<string, unknown>[] };
    expect(Object.keys(raw).sort()).toEqual(
      [
        'finished_at',
        'rules',
        'run_date',
        'schema_version',
        'stage',
        'started_at',
        'status',
        'summary',
      ].sort(),
    );
    const currency = raw.rules.find((rule) => rule.rule === 'sessions_currency_accepted')!;
    expect(Object.keys(currency).sort()).toEqual(
      [
        'column',
        'elapsed_ms',
        'failing_rows',
        'kind',
        'observed',
        'rule',
        'sample_failing_keys',
        'severity',
        'status',
        'table',
        'threshold',
      ].sort(),
    );
    expect(currency.sample_failing_keys).toEqual([{ value_field: 'EUR' }]);
    expect(ResultDocumentSchema.safeParse({ ...raw, status: 'ok' }).success).toBe(false);
    expect(
      ResultDocumentSchema.safeParse({ ...raw, rules: [{ ...currency, failing_rows: -1 }] }).success,
    ).toBe(false);
  });
});

describe('deftunes quality', () => {
  let stdout: string;
  let writeSpy: jest.SpyInstance;
  let stderrSpy: jest.SpyInstance;

  beforeEach(() => {
    stdout = '';
    writeSpy = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      stdout += chunk.toString();
      return true;
    });
    stderrSpy = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
    process.exitCode = undefined;
  });
  afterEach(() => {
    writeSpy.mockRestore();
    stderrSpy.mockRestore();
    process.exitCode = undefined;
  });

  /** The command as bin/deftunes.ts registers it; commander errors throw instead of exiting. */
  async function deftunes(...args: string[]): Promise<void> {
    const program = new Command('deftunes').exitOverride();
    registerQualityCommand(program);
    program.commands.forEach((command) => command.exitOverride());
    await program.parseAsync(args, { from: 'user' });
  }
  const run = (...args: string[]) =>
    deftunes('quality', '--date', RUN_DATE, '--data-dir', fixture.dir, ...args);

  it('prints the result document with --json and exits 0 when the gate passes', async () => {
    await run('--stage', 'serving', '--json');
    expect(process.exitCode).toBeUndefined();
    const document = ResultDocumentSchema.parse(JSON.parse(stdout));
    expect(document).toMatchObject({ stage: 'serving', status: 'passed' });
  });

  it('prints a table, failures first, and exits 1 when the gate fails', async () => {
    await fixture.writeCounts('sessions', { records: SESSIONS_PER_DAY - 10, rejected: 10 });
    await run('--stage', 'transform');
    expect(process.exitCode).toBe(1);
    expect(stdout).toMatch(/^data quality 2020-02-08 transform: FAILED/);
    expect(stdout).toMatch(/\nFAILED +quarantine_rate_sessions +landing\.sessions +10 +25 /);
    expect(stdout).toContain(`result document: ${path.join(fixture.dir, 'serving', 'dq-results')}`);
    const runLog = readFileSync(localPaths(fixture.dir).runLog, 'utf8');
    expect(runLog).toContain('"rule":"quarantine_rate_sessions"');
  });

  it('rejects a bad stage or date, naming the option', async () => {
    await expect(run('--stage', 'load')).rejects.toThrow(
      /--stage <stage>.*must be transform or serving; got "load"/,
    );
    await expect(
      deftunes('quality', '--date', '2020-13-01', '--stage', 'serving', '--data-dir', fixture.dir),
    ).rejects.toThrow(/--date .*must be a calendar date YYYY-MM-DD; got "2020-13-01"/);
  });
});
