/**
 * Materialization `table` (dbt's built-in): the old table is dropped and the new one created from the
 * model's query. Inside the run's one transaction that is as atomic as building aside and renaming, and
 * takes two statements instead of four: the Data API runs at most 40 statements in one
 * BatchExecuteStatement. Redshift drops every table model in one statement (as the views), before the
 * first one is created.
 */
import type { PlanModel, ServingPlan } from '../../shared/serving-plan';
import type { Statement } from '../../shared/warehouse';
import { dropExisting, type Existing } from '../existing';
import { bound, type Dialect } from '../sql';

/**
 * Redshift drops every existing table model in ONE statement (`drop table a, b, ...`), before the first
 * one is created (as viewDrops; models are in dependency order, so each is created again before a model
 * reads it); DuckDB drops each table before creating it.
 */
export function tableDrops(plan: ServingPlan, existing: Existing, dialect: Dialect): Statement[] {
  const tables = plan.models.filter(
    (model) => model.materialization === 'table' && existing.tables.get(model.name) === 'table',
  );
  if (dialect.target !== 'redshift' || tables.length === 0) return [];
  return [
    {
      sql: `drop table ${tables.map((model) => model.relation).join(', ')}`,
      label: `models ${tables.map((model) => model.name).join(', ')}: drop the previous tables`,
    },
  ];
}

export function tableStatements(
  model: PlanModel,
  existing: Existing,
  runDate: string,
  dialect: Dialect,
): Statement[] {
  const droppedWithTheOthers = dialect.target === 'redshift' && existing.tables.get(model.name) === 'table';
  return [
    ...(droppedWithTheOthers ? [] : dropExisting(model, existing)),
    {
      sql: `create table ${model.relation} as\n${model.sql}`,
      parameters: bound(model, runDate),
      label: `model ${model.name}: create the table`,
    },
  ];
}
