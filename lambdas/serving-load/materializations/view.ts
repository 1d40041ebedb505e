/**
 * Materialization `view` (dbt's built-in): the view is dropped and created again (Redshift: late-binding,
 * so swapping tables never needs CASCADE; the views are all dropped in one statement).
 */
import type { PlanModel, ServingPlan } from '../../shared/serving-plan';
import type { Statement } from '../../shared/warehouse';
import type { Existing } from '../existing';
import type { Dialect } from '../sql';

/**
 * Drop and create rather than CREATE OR REPLACE: Redshift replaces a view only when its columns stay the
 * same, and a model's columns may change between releases. Redshift drops every view model in ONE
 * statement (`drop view if exists a, b, ...`, before the first view is created; a statement per view
 * would take the run past the Data API's 40 statements per batch); DuckDB drops one object per statement.
 */
export function viewDrops(plan: ServingPlan, existing: Existing, dialect: Dialect): Statement[] {
  const views = plan.models.filter(
    (model) => model.materialization === 'view' && existing.tables.get(model.name) !== 'table',
  );
  if (dialect.target !== 'redshift' || views.length === 0) return [];
  return [
    {
      sql: `drop view if exists ${views.map((model) => model.relation).join(', ')}`,
      label: `models ${views.map((model) => model.name).join(', ')}: drop the previous views`,
    },
  ];
}

export function viewStatements(model: PlanModel, existing: Existing, dialect: Dialect): Statement[] {
  if (model.parameters.length > 0) {
    throw new Error(
      `model ${model.name}: a view cannot hold bound parameters (${model.parameters.join(', ')})`,
    );
  }
  const drop: Statement[] =
    existing.tables.get(model.name) === 'table'
      ? [{ sql: `drop table ${model.relation}`, label: `model ${model.name}: drop the table it replaces` }]
      : dialect.target === 'redshift'
        ? [] // in viewDrops
        : [
            {
              sql: `drop view if exists ${model.relation}`,
              label: `model ${model.name}: drop the previous view`,
            },
          ];
  return [
    ...drop,
    {
      sql: `create view ${model.relation} as\n${model.sql}${dialect.viewSuffix}`,
      label: `model ${model.name}: create view`,
    },
  ];
}
