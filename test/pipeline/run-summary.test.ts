/**
 * The run summary's serving row counts: every table of the serving schema, never a view (counting a BI
 * view computes it over every date, a cost that grows with the history).
 */
import { DuckDbWarehouse } from '../../lib/local/adapters/duckdb-warehouse';
import { servingTableCounts } from '../../lib/local/pipeline/run-summary';

test('counts the rows of the serving tables and leaves the views out', async () => {
  const warehouse = await DuckDbWarehouse.open(':memory:');
  try {
    await warehouse.query('create schema deftunes_serving');
    await warehouse.query(
      'create table deftunes_serving.fact_session_items as select range as i from range(3)',
    );
    await warehouse.query('create table deftunes_serving.dim_date as select 1 as date_key');
    await warehouse.query(
      'create view deftunes_serving.sales_per_country_vw as select count(*) as n from deftunes_serving.fact_session_items',
    );
    expect(await servingTableCounts(warehouse)).toEqual({ dim_date: 1, fact_session_items: 3 });
  } finally {
    await warehouse.close();
  }
});
