/**
 * Test helpers: synthesize one environment of the app in-process (bundling skipped unless asked), and a
 * snapshot serializer that masks asset hashes so snapshots only change when the infrastructure does.
 */
import { Template } from 'aws-cdk-lib/assertions';
import { createDeftunesApp, type DeftunesAppOptions } from '../../lib/deftunes-app';
import type { DeftunesStage } from '../../lib/deftunes-stage';

export interface SynthesizedStage {
  readonly stage: DeftunesStage;
  readonly storage: Template;
  readonly catalog: Template;
  readonly warehouse: Template;
  readonly compute: Template;
  readonly pipeline: Template;
}

export function synthesizeStage(environmentName = 'dev', options: DeftunesAppOptions = {}): SynthesizedStage {
  const { stages } = createDeftunesApp({
    skipBundling: true,
    nag: false,
    ...options,
    context: { env: environmentName, ...options.context },
  });
  const stage = stages[0];
  return {
    stage,
    storage: Template.fromStack(stage.storage),
    catalog: Template.fromStack(stage.catalog),
    warehouse: Template.fromStack(stage.warehouse),
    compute: Template.fromStack(stage.compute),
    pipeline: Template.fromStack(stage.pipeline),
  };
}

const ASSET_HASH = /[0-9a-f]{64}/g;

/** Prints strings with every 64-hex asset hash replaced by `<asset-hash>`. */
export const assetHashSerializer: jest.SnapshotSerializerPlugin = {
  test: (value: unknown) => typeof value === 'string' && /[0-9a-f]{64}/.test(value),
  serialize: (value: string) => JSON.stringify(value.replace(ASSET_HASH, '<asset-hash>')),
};

type Resources = Record<string, { Type: string; Properties?: Record<string, unknown> }>;

/** The resources of one type, as [logicalId, properties] pairs. */
export function resourcesOfType(template: Template, type: string): [string, Record<string, unknown>][] {
  const resources = template.toJSON().Resources as Resources;
  return Object.entries(resources)
    .filter(([, resource]) => resource.Type === type)
    .map(([id, resource]) => [id, resource.Properties ?? {}]);
}

/** The properties of the first of `resources` whose logical id starts with `prefix`; a failure names `what`. */
export function propertiesByIdPrefix(
  resources: [string, Record<string, unknown>][],
  prefix: string,
  what: string,
): Record<string, unknown> {
  const found = resources.find(([id]) => id.startsWith(prefix));
  if (!found) throw new Error(`no ${what} ${prefix}`);
  return found[1];
}

/** Every policy statement of the stack's IAM policies and roles, with the policy's logical id. */
export function policyStatements(
  template: Template,
): { policy: string; statement: Record<string, unknown> }[] {
  const out: { policy: string; statement: Record<string, unknown> }[] = [];
  for (const [id, properties] of resourcesOfType(template, 'AWS::IAM::Policy')) {
    const document = properties.PolicyDocument as { Statement: Record<string, unknown>[] };
    for (const statement of document.Statement) out.push({ policy: id, statement });
  }
  return out;
}
