/**
 * Materialization `first_row_per_key` (dbt_modeling/macros/materializations/first_row_per_key.sql): the
 * table keeps, per unique key, the first row in `order_by` among every row any run's model returned. The
 * model reads the partitions from `:reads_from` on (the run date; 1900-01-01 for a new table, built from
 * every partition) and returns at most one row per key. A run deletes the kept rows that one of the
 * model's rows precedes, then inserts the model's rows whose key has no row left: two statements, no temp
 * table. A run costs what it reads, not the history; the result does not depend on the order the dates
 * are loaded in, and a re-run of a date changes nothing (an equal row never replaces the kept one).
 */
import type { PlanModel } from '../../shared/serving-plan';
import type { Statement } from '../../shared/warehouse';
import { dropExisting, type Existing } from '../existing';
import { bound, quote } from '../sql';

/** What a new table reads from: every partition. */
export const EVERY_PARTITION = '1900-01-01';

/**
 * Whether `left`'s row comes before `right`'s in `order_by`: the first column where they differ decides
 * (< ascending, > descending). The same condition as the dbt macro first_row_precedes.
 */
export function precedes(
  order: { column: string; descending: boolean }[],
  left: string,
  right: string,
): string {
  return order.reduceRight((later, { column, descending }, index) => {
    const before = `${left}.${quote(column)} ${descending ? '>' : '<'} ${right}.${quote(column)}`;
    if (index === order.length - 1) return before;
    return `(${before} or (${left}.${quote(column)} = ${right}.${quote(column)} and ${later}))`;
  }, '');
}

export function firstRowStatements(model: PlanModel, existing: Existing, runDate: string): Statement[] {
  if (existing.tables.get(model.name) !== 'table') {
    return [
      ...dropExisting(model, existing),
      {
        sql: `create table ${model.relation} as\n${model.sql}`,
        parameters: bound(model, runDate, { reads_from: EVERY_PARTITION }),
        label: `model ${model.name}: create the table from every partition`,
      },
    ];
  }
  const key = quote(model.unique_key[0]!);
  const parameters = bound(model, runDate, { reads_from: runDate });
  return [
    {
      sql: [
        `delete from ${model.relation} where ${key} in (`,
        `  select selected.${key} from (\n${model.sql}\n  ) as selected`,
        `  inner join ${model.relation} as kept on selected.${key} = kept.${key}`,
        `  where ${precedes(model.first_row!.order_by, 'selected', 'kept')}`,
        `)`,
      ].join('\n'),
      parameters,
      label: `model ${model.name}: delete the kept rows a row read from ${runDate} precedes`,
    },
    {
      sql: [
        `insert into ${model.relation}`,
        `select selected.* from (\n${model.sql}\n) as selected`,
        `left join ${model.relation} as kept on selected.${key} = kept.${key}`,
        `where kept.${key} is null`,
      ].join('\n'),
      parameters,
      label: `model ${model.name}: insert the rows read from ${runDate} whose key has no row`,
    },
  ];
}
