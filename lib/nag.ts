/**
 * cdk-nag wiring. The AwsSolutions pack is plugged into CDK's validation (cdk-nag 3); findings are
 * acknowledged with `Validations.of(construct).acknowledge`, one construct and one finding at a time.
 *
 * One adaptation: cdk-nag prints a reference to another stack of the same stage as the raw JSON of CDK's
 * cross-stack reference (`{"Fn::GetStackOutput":{..."OutputName":"PublishOutputFnGetAtt<id><attr><hash>"}}`),
 * which nobody can write in an acknowledgement. {@link DeftunesAwsSolutionsChecks} prints it the way cdk-nag
 * prints a same-stack reference, `<LogicalId.Attr>`, so that {@link wildcardResourceFinding} can compute the
 * finding id from the very token the policy was written with.
 */
import { Stack, Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import { AwsSolutionsChecks, type NagPackProps, type NagRuleResult } from 'cdk-nag';
import type { IApplyRule } from 'cdk-nag/lib/nag-pack';
import { flattenCfnReference } from 'cdk-nag/lib/utils/flatten-cfn-reference';

const CROSS_STACK_REFERENCE =
  /\{"Fn::GetStackOutput":\{[^{}]*"OutputName":"PublishOutput(FnGetAtt|Ref)([^"]+)"\}\}/g;

/** `PublishOutputFnGetAttDataLakeKey3E1F2F85Arn0A1B2C3D` -> `<DataLakeKey3E1F2F85.Arn>`. */
export function normalizeCrossStackReferences(finding: string): string {
  return finding.replace(CROSS_STACK_REFERENCE, (whole, kind: string, rest: string) => {
    const match =
      kind === 'Ref'
        ? /^(.+?[0-9A-F]{8})[0-9A-F]{8}$/.exec(rest)
        : /^(.+?[0-9A-F]{8})([A-Za-z.]+?)[0-9A-F]{8}$/.exec(rest);
    if (!match) return whole;
    return kind === 'Ref' ? `<${match[1]}>` : `<${match[1]}.${match[2]}>`;
  });
}

/** The AwsSolutions pack, with cross-stack references in finding ids printed like same-stack ones. */
export class DeftunesAwsSolutionsChecks extends AwsSolutionsChecks {
  constructor(scope?: IConstruct, props?: NagPackProps) {
    super(scope, props);
  }

  protected applyRule(params: IApplyRule): void {
    const rule = params.rule;
    const normalized = (node: Parameters<IApplyRule['rule']>[0]): NagRuleResult => {
      const result = rule(node);
      return Array.isArray(result) ? result.map(normalizeCrossStackReferences) : result;
    };
    Object.defineProperty(normalized, 'name', { value: rule.name });
    super.applyRule({ ...params, rule: normalized });
  }
}

/** Acknowledges one finding on one construct. */
export function acknowledge(construct: IConstruct, id: string, reason: string): void {
  Validations.of(construct).acknowledge({ id, reason });
}

/** The IAM5 finding id of a wildcard resource, computed from the token the policy statement used. */
export function wildcardResourceFinding(scope: IConstruct, resource: string): string {
  return `AwsSolutions-IAM5[Resource::${flattenCfnReference(Stack.of(scope).resolve(resource))}]`;
}

/** Acknowledges IAM5 on each wildcard resource of `policy` (the policy construct, e.g. `role.node.tryFindChild('DefaultPolicy')`). */
export function acknowledgeWildcardResources(policy: IConstruct, resources: string[], reason: string): void {
  for (const resource of resources) acknowledge(policy, wildcardResourceFinding(policy, resource), reason);
}

/** Acknowledges IAM5 on each wildcard action of `policy`. */
export function acknowledgeWildcardActions(policy: IConstruct, actions: string[], reason: string): void {
  for (const action of actions) acknowledge(policy, `AwsSolutions-IAM5[Action::${action}]`, reason);
}
