/**
 * Materialization first_row_per_key on DuckDB, on a small table of its own: the table keeps the first row
 * per key among every run's rows, whatever order the runs come in, and a re-run changes nothing. (The
 * parity test checks the same statements against dbt's on the pipeline's data.)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { DbtManifest } from '../../bin/plan-builder/manifest';
import { planFromManifest } from '../../bin/plan-builder/plan';
import { DuckDbWarehouse } from '../../lib/local/adapters/duckdb-warehouse';
import type { PlanModel } from '../../lambdas/shared/serving-plan';
import {
  EVERY_PARTITION,
  firstRowStatements,
  precedes,
} from '../../lambdas/serving-load/materializations/first-row-per-key';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'deftunes-first-row-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Sales by partition (ingest_on): the model returns each key's first sale among the partitions read. */
const model: PlanModel = {
  name: 'first_sales',
  unique_id: 'model.test.first_sales',
  schema: 'main',
  relation: '"main"."first_sales"',
  materialization: 'first_row_per_key',
  sql: [
    'select track, name, sold_at, ingest_on from (',
    '  select sales.*, row_number() over (partition by track order by sold_at, ingest_on desc) as sale_rank',
    '  from sales where ingest_on >= cast(:reads_from as date)',
    ') as ranked where sale_rank = 1',
  ].join('\n'),
  parameters: ['reads_from'],
  unique_key: ['track'],
  depends_on: [],
  first_row: {
    order_by: [
      { column: 'sold_at', descending: false },
      { column: 'ingest_on', descending: true },
    ],
  },
};

const SALES = [
  // track, name, sold_at, ingest_on
  ['t1', 'first', '2024-03-01 10:00:00', '2024-03-01'],
  ['t1', 'later', '2024-03-02 09:00:00', '2024-03-02'],
  ['t2', 'only', '2024-03-02 11:00:00', '2024-03-02'],
  // The look-back extracts 2024-03-02's sale again on 2024-03-03, respelled: the newer extraction wins.
  ['t2', 'respelled', '2024-03-02 11:00:00', '2024-03-03'],
  // An earlier sale of t3 arrives in a later partition.
  ['t3', 'late', '2024-03-03 08:00:00', '2024-03-03'],
  ['t3', 'early', '2024-03-01 08:00:00', '2024-03-04'],
];

async function runDates(file: string, dates: readonly string[]): Promise<unknown[]> {
  const warehouse = await DuckDbWarehouse.open(path.join(dir, file));
  try {
    await warehouse.query(
      'create table sales (track varchar, name varchar, sold_at timestamp, ingest_on date)',
    );
    for (const [step, date] of dates.entries()) {
      // The transform zone holds the partitions of the dates run so far (a backfill brings old ones late).
      await warehouse.query('delete from sales');
      const loaded = SALES.filter((sale) => dates.slice(0, step + 1).includes(sale[3]!));
      for (const [track, name, soldAt, ingestOn] of loaded)
        await warehouse.query(
          `insert into sales values ('${track}', '${name}', timestamp '${soldAt}', date '${ingestOn}')`,
        );
      const tables = new Map<string, 'table' | 'view'>();
      const [exists] = await warehouse.query<{ n: number }>(
        "select count(*)::integer as n from information_schema.tables where table_name = 'first_sales'",
      );
      if (exists!.n > 0) tables.set('first_sales', 'table');
      await warehouse.transaction(
        firstRowStatements(model, { tables, runTables: new Set(), previousRuns: new Map() }, date),
      );
    }
    return await warehouse.query('select track, name from first_sales order by track');
  } finally {
    await warehouse.close();
  }
}

const FIRST_SALES = [
  { track: 't1', name: 'first' },
  { track: 't2', name: 'respelled' },
  { track: 't3', name: 'early' },
];

test('keeps the first row per key over every run, in order and with re-runs', async () => {
  expect(await runDates('in-order.duckdb', ['2024-03-01', '2024-03-02', '2024-03-03', '2024-03-04'])).toEqual(
    FIRST_SALES,
  );
  expect(
    await runDates('re-runs.duckdb', [
      '2024-03-01',
      '2024-03-02',
      '2024-03-02',
      '2024-03-03',
      '2024-03-04',
      '2024-03-04',
    ]),
  ).toEqual(FIRST_SALES);
});

test('dates in any order end as the in-order run; a new table reads every partition', async () => {
  expect(await runDates('reversed.duckdb', ['2024-03-04', '2024-03-03', '2024-03-02', '2024-03-01'])).toEqual(
    FIRST_SALES,
  );
  const [create] = firstRowStatements(
    model,
    { tables: new Map(), runTables: new Set(), previousRuns: new Map() },
    '2024-03-04',
  );
  expect(create!.parameters).toEqual({ reads_from: EVERY_PARTITION });
});

test('an existing table reads the run date on: a delete of the rows preceded, an insert of the keys left', () => {
  const existing = {
    tables: new Map([['first_sales', 'table' as const]]),
    runTables: new Set<string>(),
    previousRuns: new Map(),
  };
  const statements = firstRowStatements(model, existing, '2024-03-02');
  expect(statements.map((statement) => statement.sql.split(' ', 2).join(' '))).toEqual([
    'delete from',
    'insert into',
  ]);
  for (const statement of statements) expect(statement.parameters).toEqual({ reads_from: '2024-03-02' });
});

test('precedes: the first column where the rows differ decides, in its direction', () => {
  expect(
    precedes(
      [
        { column: 'a', descending: false },
        { column: 'b', descending: true },
        { column: 'c', descending: false },
      ],
      'l',
      'r',
    ),
  ).toBe('(l."a" < r."a" or (l."a" = r."a" and (l."b" > r."b" or (l."b" = r."b" and l."c" < r."c"))))');
});

describe('the plan builder refuses a first_row_per_key model it could only fail on later', () => {
  const manifestOf = (compiled: string, orderBy: string[]): DbtManifest => ({
    metadata: { dbt_version: '1.10.15' },
    sources: {},
    nodes: {
      'model.deftunes.first_sales': {
        unique_id: 'model.deftunes.first_sales',
        resource_type: 'model',
        name: 'first_sales',
        schema: 'deftunes_serving',
        compiled_code: compiled,
        config: { materialized: 'first_row_per_key', unique_key: 'track', order_by: orderBy },
        depends_on: { nodes: [] },
      },
    },
  });
  const plan = (compiled: string, orderBy: string[]) =>
    planFromManifest(manifestOf(compiled, orderBy), 'duckdb', 'h');

  it('carries the order of a model that reads from first_row_reads_from()', () => {
    expect(plan(model.sql, ['sold_at', 'ingest_on desc']).models[0]!.first_row).toEqual(model.first_row);
  });

  it('names a model that reads every partition each day, an unknown order column and a bad entry', () => {
    expect(() => plan('select track, sold_at from sales', ['sold_at'])).toThrow(
      'model.deftunes.first_sales: a first_row_per_key model reads its partitions from first_row_reads_from()',
    );
    expect(() => plan(model.sql, ['sold_at', 'price desc'])).toThrow(
      'order_by names price, which its SQL does not mention',
    );
    expect(() => plan(model.sql, ['sold_at nulls first'])).toThrow(
      "order_by entry 'sold_at nulls first' is not 'column' or 'column desc'",
    );
  });
});
