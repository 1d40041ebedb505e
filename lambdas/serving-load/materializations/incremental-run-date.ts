/**
 * Materialization `incremental` with the `run_date` strategy (dbt_modeling/macros/materializations/
 * incremental_run_date.sql): the model's rows go to a temp table; rows of the run date or of a date among
 * the new rows, and rows sharing a unique key with the new ones, are deleted; the new rows are inserted (a
 * new table is created from the model's rows, with nothing to delete). A model that selects the run date's
 * rows only (`run_date_only`) takes two statements and no temp table: the run date's rows are deleted, the
 * model's rows of the run date inserted.
 */
import type { PlanModel } from '../../shared/serving-plan';
import type { Statement } from '../../shared/warehouse';
import { dropExisting, type Existing } from '../existing';
import { bound, keyMatch, quote, type Dialect } from '../sql';

/**
 * A `run_date_only` model: the run date's rows are deleted and the model's rows of the run date inserted
 * (a row of another date is not kept, as the dbt strategy does); a new table is created from them.
 */
function runDateOnlyStatements(model: PlanModel, existing: Existing, runDate: string): Statement[] {
  const runDateOf = quote(model.incremental!.run_date_column);
  const selected = `select * from (\n${model.sql}\n) as selected where ${runDateOf} = cast(:run_date as date)`;
  const parameters = { ...bound(model, runDate), run_date: runDate };
  if (existing.tables.get(model.name) !== 'table') {
    return [
      ...dropExisting(model, existing),
      {
        sql: `create table ${model.relation} as\n${selected}`,
        parameters,
        label: `model ${model.name}: create the table with the run date's rows`,
      },
    ];
  }
  return [
    {
      sql: `delete from ${model.relation} where ${runDateOf} = cast(:run_date as date)`,
      parameters: { run_date: runDate },
      label: `model ${model.name}: delete the rows of the run date`,
    },
    {
      sql: `insert into ${model.relation}\n${selected}`,
      parameters,
      label: `model ${model.name}: insert the run date's rows`,
    },
  ];
}

export function incrementalStatements(
  model: PlanModel,
  existing: Existing,
  runDate: string,
  dialect: Dialect,
): Statement[] {
  if (model.incremental!.run_date_only) return runDateOnlyStatements(model, existing, runDate);
  if (existing.tables.get(model.name) !== 'table') {
    // A new table holds the model's rows: nothing to delete, no batch table (as dbt's first run).
    return [
      ...dropExisting(model, existing),
      {
        sql: `create table ${model.relation} as\n${model.sql}`,
        parameters: bound(model, runDate),
        label: `model ${model.name}: create the table with the selected rows`,
      },
    ];
  }
  const batch = `${model.name}__batch`;
  const runDateOf = quote(model.incremental!.run_date_column);
  const statements: Statement[] = [
    {
      sql: `create temp table ${quote(batch)} as\n${model.sql}`,
      parameters: bound(model, runDate),
      label: `model ${model.name}: select the run date's rows`,
    },
  ];
  statements.push(
    {
      sql: `delete from ${model.relation} where ${runDateOf} = cast(:run_date as date) or ${runDateOf} in (select ${runDateOf} from ${quote(batch)})`,
      parameters: { run_date: runDate },
      label: `model ${model.name}: delete the rows of the run date and of the dates selected`,
    },
    {
      sql: `delete from ${model.relation} using ${quote(batch)} where ${keyMatch(model.name, batch, model.unique_key)}`,
      label: `model ${model.name}: delete rows replaced by unique key`,
    },
    {
      sql: `insert into ${model.relation} select * from ${quote(batch)}`,
      label: `model ${model.name}: insert the run date's rows`,
    },
  );
  if (dialect.dropsTempTables)
    statements.push({ sql: `drop table ${quote(batch)}`, label: `model ${model.name}: drop ${batch}` });
  return statements;
}
