/**
 * Plan assembly: a compiled manifest's models (in dependency order) and tests as the serving plan that
 * serving-load and data-quality execute.
 */
import { ZONES } from '../../lambdas/shared/platform-names';
import {
  namedParameters,
  parseServingPlan,
  type PlanModel,
  type PlanTarget,
  type PlanTest,
  SERVING_PLAN_FORMAT_VERSION,
  type ServingPlan,
} from '../../lambdas/shared/serving-plan';
import { compiledSql, type DbtManifest, type DbtNode, orderModels, testedNodeId } from './manifest';

function quoteIdentifier(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

function asList(value: string | string[] | null | undefined): string[] {
  if (value === null || value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}

/** Config order_by of a first_row_per_key model: entries "column" or "column desc". */
function orderBy(node: DbtNode): { column: string; descending: boolean }[] {
  const entries = node.config.order_by;
  if (!Array.isArray(entries) || entries.length === 0)
    throw new Error(`${node.unique_id}: first_row_per_key models need config order_by (a list of columns)`);
  return entries.map((entry) => {
    const match = /^\s*([A-Za-z_][A-Za-z0-9_]*)(?:\s+(asc|desc))?\s*$/i.exec(String(entry));
    if (!match)
      throw new Error(
        `${node.unique_id}: order_by entry '${String(entry)}' is not 'column' or 'column desc'`,
      );
    return { column: match[1]!, descending: match[2]?.toLowerCase() === 'desc' };
  });
}

function planModel(node: DbtNode, modelsById: Map<string, DbtNode>): PlanModel {
  const sql = compiledSql(node);
  const name = node.alias ?? node.name;
  const materialization = node.config.materialized;
  const base = {
    name,
    unique_id: node.unique_id,
    schema: node.schema,
    relation: `${quoteIdentifier(node.schema)}.${quoteIdentifier(name)}`,
    sql,
    parameters: namedParameters(sql),
    unique_key: asList(node.config.unique_key),
    depends_on: node.depends_on.nodes
      .filter((id) => modelsById.has(id))
      .map((id) => modelsById.get(id)!.name),
  };
  switch (materialization) {
    case 'view':
    case 'table':
      return { ...base, materialization };
    case 'incremental':
      if (!node.config.run_date_column)
        throw new Error(`${node.unique_id}: incremental models need config run_date_column`);
      return {
        ...base,
        materialization,
        incremental: {
          run_date_column: node.config.run_date_column,
          ...(node.config.run_date_only === true ? { run_date_only: true } : {}),
        },
      };
    case 'snapshot_type2':
      return {
        ...base,
        materialization,
        snapshot: {
          check_cols: node.config.check_cols ?? [],
          update_cols: node.config.update_cols ?? [],
          snapshot_date: node.config.snapshot_date_column ?? 'snapshot_date',
          surrogate_key: node.config.surrogate_key ?? `${name}_key`,
          valid_from: 'valid_from',
          valid_to: 'valid_to',
          is_current: 'is_current',
          loaded_on: 'loaded_on',
          first_valid_from: node.config.first_valid_from ?? '1900-01-01',
          ...(node.config.inferred_flag ? { inferred_flag: node.config.inferred_flag } : {}),
        },
      };
    case 'first_row_per_key': {
      const order = orderBy(node);
      // Caught here, not on the second run (the first only creates the table): a model that reads every
      // partition each day, or an order column it does not return.
      if (!base.parameters.includes('reads_from'))
        throw new Error(
          `${node.unique_id}: a first_row_per_key model reads its partitions from first_row_reads_from()`,
        );
      const missing = order.filter(({ column }) => !new RegExp(`\\b${column}\\b`).test(sql));
      if (missing.length > 0)
        throw new Error(
          `${node.unique_id}: order_by names ${missing.map(({ column }) => column).join(', ')}, which its SQL does not mention`,
        );
      return { ...base, materialization, first_row: { order_by: order } };
    }
    default:
      throw new Error(
        `${node.unique_id}: materialization ${String(materialization)} is not supported by the serving plan`,
      );
  }
}

function planTest(node: DbtNode, manifest: DbtManifest): PlanTest {
  const sql = compiledSql(node);
  const testedId = testedNodeId(node, manifest);
  const source = testedId ? manifest.sources[testedId] : undefined;
  const model = testedId ? manifest.nodes[testedId] : undefined;
  if (!source && !model) throw new Error(`${node.unique_id}: cannot tell which source or model it tests`);
  const severity = String(node.config.severity ?? 'error').toLowerCase();
  if (severity !== 'error' && severity !== 'warn')
    throw new Error(`${node.unique_id}: unknown severity ${severity}`);
  return {
    name: node.name,
    unique_id: node.unique_id,
    test_type: node.test_metadata?.name ?? null,
    sql,
    parameters: namedParameters(sql),
    severity,
    fail_calc: node.config.fail_calc ?? 'count(*)',
    warn_if: node.config.warn_if ?? '!=0',
    error_if: node.config.error_if ?? '!=0',
    stage: source ? ZONES.transform : ZONES.serving,
    tested: source
      ? {
          kind: 'source',
          schema: source.schema,
          table: source.identifier ?? source.name,
          column: node.column_name ?? null,
        }
      : {
          kind: 'model',
          schema: model!.schema,
          table: model!.alias ?? model!.name,
          column: node.column_name ?? null,
        },
  };
}

/** Turns a compiled manifest into the serving plan. */
export function planFromManifest(manifest: DbtManifest, target: PlanTarget, hash: string): ServingPlan {
  const nodes = Object.values(manifest.nodes);
  const models = nodes.filter((node) => node.resource_type === 'model' && node.config.enabled !== false);
  const modelsById = new Map(models.map((model) => [model.unique_id, model]));
  const tests = nodes
    .filter((node) => node.resource_type === 'test' && node.config.enabled !== false)
    .sort((a, b) => a.unique_id.localeCompare(b.unique_id));
  return parseServingPlan(
    {
      format_version: SERVING_PLAN_FORMAT_VERSION,
      target,
      dbt_version: manifest.metadata.dbt_version,
      source_hash: hash,
      models: orderModels(models).map((model) => planModel(model, modelsById)),
      tests: tests.map((test) => planTest(test, manifest)),
    },
    `plan compiled for ${target}`,
  );
}
