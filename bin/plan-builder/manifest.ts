/**
 * The parts of dbt's manifest.json (schema v12) the plan reads, and what the plan asks of it: each node's
 * compiled SQL, the models in dependency order, the source or model a test is about.
 */

export interface DbtNodeConfig {
  materialized?: string;
  unique_key?: string | string[] | null;
  severity?: string;
  warn_if?: string;
  error_if?: string;
  fail_calc?: string;
  run_date_column?: string;
  run_date_only?: boolean;
  check_cols?: string[];
  update_cols?: string[];
  snapshot_date_column?: string;
  first_valid_from?: string;
  inferred_flag?: string;
  surrogate_key?: string;
  order_by?: string[];
  [key: string]: unknown;
}
export interface DbtNode {
  unique_id: string;
  resource_type: string;
  name: string;
  schema: string;
  alias?: string;
  compiled_code?: string;
  config: DbtNodeConfig;
  depends_on: { nodes: string[] };
  column_name?: string | null;
  attached_node?: string | null;
  test_metadata?: { name: string; kwargs: Record<string, unknown> } | null;
}
export interface DbtSource {
  unique_id: string;
  schema: string;
  source_name: string;
  name: string;
  identifier?: string;
}
export interface DbtManifest {
  metadata: { dbt_version: string };
  nodes: Record<string, DbtNode>;
  sources: Record<string, DbtSource>;
}

/** A node's compiled SQL, without the trailing semicolon. */
export function compiledSql(node: DbtNode): string {
  if (!node.compiled_code) throw new Error(`${node.unique_id} has no compiled SQL in the manifest`);
  return node.compiled_code.trim().replace(/;\s*$/, '');
}

/** Models in dependency order (dependencies first; ties by name, so the order is stable). */
export function orderModels(models: DbtNode[]): DbtNode[] {
  const byId = new Map(models.map((model) => [model.unique_id, model]));
  const ordered: DbtNode[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (model: DbtNode, trail: string[]): void => {
    const seen = state.get(model.unique_id);
    if (seen === 'done') return;
    if (seen === 'visiting') throw new Error(`dependency cycle: ${[...trail, model.name].join(' -> ')}`);
    state.set(model.unique_id, 'visiting');
    const dependencies = model.depends_on.nodes
      .map((id) => byId.get(id))
      .filter((node) => node !== undefined);
    for (const dependency of dependencies.sort((a, b) => a.name.localeCompare(b.name)))
      visit(dependency, [...trail, model.name]);
    state.set(model.unique_id, 'done');
    ordered.push(model);
  };
  for (const model of [...models].sort((a, b) => a.name.localeCompare(b.name))) visit(model, []);
  return ordered;
}

/**
 * The source or model a test is about. dbt sets `attached_node` only for tests on models; a test on a
 * source that also reads another source (a relationships test) lists both in `depends_on`, so the tested
 * one is taken from the test's `model` argument (`source('schema', 'table')` or `ref('model')`).
 */
export function testedNodeId(node: DbtNode, manifest: DbtManifest): string | undefined {
  if (node.attached_node) return node.attached_node;
  const argument = node.test_metadata?.kwargs.model;
  if (typeof argument === 'string') {
    const source = /source\(\s*['"]([^'"]+)['"]\s*,\s*['"]([^'"]+)['"]\s*\)/.exec(argument);
    if (source) {
      const found = Object.values(manifest.sources).find(
        (candidate) => candidate.source_name === source[1] && candidate.name === source[2],
      );
      if (found) return found.unique_id;
    }
    const ref = /ref\(\s*['"]([^'"]+)['"]\s*\)/.exec(argument);
    if (ref) {
      const found = Object.values(manifest.nodes).find(
        (candidate) => candidate.resource_type === 'model' && candidate.name === ref[1],
      );
      if (found) return found.unique_id;
    }
  }
  return node.depends_on.nodes[0];
}
