/**
 * The BI views over hand-made fact and artist rows: two artists sharing a name stay apart (sales per artist,
 * the hour's top artist), because the views group by the artist's id and carry the name alongside.
 */
import { buildServingPlan, planPath } from '../../bin/build-serving-plan';
import { DuckDbWarehouse } from '../../lib/local/adapters/duckdb-warehouse';
import { loadServingPlan, ServingPlan } from '../../lambdas/shared/serving-plan';

let plan: ServingPlan;
let warehouse: DuckDbWarehouse;

function viewSql(name: string): string {
  const model = plan.models.find((candidate) => candidate.name === name);
  if (!model) throw new Error(`the plan has no model ${name}`);
  return `create view ${model.relation} as\n${model.sql}`;
}

beforeAll(async () => {
  buildServingPlan('duckdb');
  plan = loadServingPlan(planPath('duckdb'));
  warehouse = await DuckDbWarehouse.open(':memory:');
  await warehouse.transaction([
    { sql: 'create schema deftunes_serving' },
    {
      sql: 'create table deftunes_serving.dim_artists (artist_key varchar, artist_id varchar, artist_name varchar)',
    },
    {
      // Two artists named Echo (one from the catalog, one sold outside it) and Zed.
      sql: "insert into deftunes_serving.dim_artists values ('k1', 'AR1', 'Echo'), ('k2', 'AR2', 'Echo'), ('k3', 'AR3', 'Zed')",
    },
    {
      sql:
        'create table deftunes_serving.fact_session_items (artist_key varchar, user_id varchar, track_id varchar, ' +
        'session_start_time timestamp, session_date date, session_hour integer, price decimal(10, 2))',
    },
    {
      // In hour 10, Echo (AR1) sells 2.00 and Echo (AR2) 1.50: 3.50 under one name, but Zed's 3.00 is the
      // highest revenue of a single artist.
      sql: `insert into deftunes_serving.fact_session_items values
        ('k1', 'u1', 't1', '2024-03-01 10:05:00', '2024-03-01', 10, 2.00),
        ('k2', 'u2', 't2', '2024-03-01 10:10:00', '2024-03-01', 10, 1.50),
        ('k3', 'u3', 't3', '2024-03-01 10:20:00', '2024-03-01', 10, 3.00)`,
    },
    { sql: viewSql('sales_per_artist_vw') },
    { sql: viewSql('hourly_kpis_vw') },
  ]);
}, 300_000);

afterAll(async () => {
  await warehouse?.close();
});

test('sales_per_artist_vw keeps two artists of the same name apart, with their ids', async () => {
  expect(
    await warehouse.query(
      'select session_year, artist_name, total_sales, artist_id from deftunes_serving.sales_per_artist_vw order by artist_id',
    ),
  ).toEqual([
    { session_year: 2024, artist_name: 'Echo', total_sales: '2.00', artist_id: 'AR1' },
    { session_year: 2024, artist_name: 'Echo', total_sales: '1.50', artist_id: 'AR2' },
    { session_year: 2024, artist_name: 'Zed', total_sales: '3.00', artist_id: 'AR3' },
  ]);
});

test('the public columns of sales_per_artist_vw come first, in their order', async () => {
  const columns = await warehouse.query<{ column_name: string }>(
    "select column_name from information_schema.columns where table_schema = 'deftunes_serving' and table_name = 'sales_per_artist_vw' order by ordinal_position",
  );
  expect(columns.map((column) => column.column_name)).toEqual([
    'session_year',
    'artist_name',
    'total_sales',
    'artist_id',
  ]);
});

test("hourly_kpis_vw's top artist is the artist with the highest revenue, not the name summed over artists", async () => {
  expect(
    await warehouse.query(
      'select session_hour, items_sold, revenue, top_artist from deftunes_serving.hourly_kpis_vw',
    ),
  ).toEqual([{ session_hour: 10, items_sold: 3, revenue: '6.50', top_artist: 'Zed' }]);
});
