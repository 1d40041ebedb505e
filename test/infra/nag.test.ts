import { DeftunesAwsSolutionsChecks, normalizeCrossStackReferences } from '../../lib/nag';
import { App, Stack, Stage, Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import { createDeftunesApp } from '../../lib/deftunes-app';

/** Unacknowledged AwsSolutions findings (errors and warnings) of one synthesis, as `severity path rule`. */
function findings(context: Record<string, unknown>): string[] {
  const { app } = createDeftunesApp({ skipBundling: true, nag: false, context });
  app.synth();
  const report = new DeftunesAwsSolutionsChecks().validateScope(app);
  return report.violations.flatMap((violation) =>
    violation.violatingResources.map(
      (resource) => `${violation.severity} ${resource.constructPath} ${violation.ruleName}`,
    ),
  );
}

describe('cdk-nag AwsSolutions', () => {
  it.each([
    ['dev', {}],
    ['prod', {}],
    ['dev with destroyOnRemoval', { 'deftunes:destroyOnRemoval': 'true' }],
  ])('has no unacknowledged finding in %s', (name, extra) => {
    const env = name.split(' ')[0];
    expect(findings({ env, ...extra })).toEqual([]);
  });

  it('would report a wildcard that nobody acknowledged', () => {
    // Guards the test above against a pack that reports nothing: an unrelated construct with a wildcard.
    const { App, Stack } = jest.requireActual<typeof import('aws-cdk-lib')>('aws-cdk-lib');
    const iam = jest.requireActual<typeof import('aws-cdk-lib/aws-iam')>('aws-cdk-lib/aws-iam');
    const app = new App();
    const stack = new Stack(app, 'Probe');
    new iam.Role(stack, 'Role', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') }).addToPolicy(
      new iam.PolicyStatement({ actions: ['s3:*'], resources: ['*'] }),
    );
    app.synth();
    const rules = new DeftunesAwsSolutionsChecks().validateScope(app).violations.map((v) => v.ruleName);
    expect(rules).toEqual(
      expect.arrayContaining(['AwsSolutions-IAM5[Action::s3:*]', 'AwsSolutions-IAM5[Resource::*]']),
    );
  });

  it('prints cross-stack references like same-stack ones, so acknowledgements can name them', () => {
    const raw =
      'Resource::{"Fn::GetStackOutput":{"StackName":"Dev-Storage","Region":"eu-west-1","OutputName":"PublishOutputFnGetAttDataLakeLandingBucket1CB224E2ArnB0E0C1BC"}}/api/*';
    expect(normalizeCrossStackReferences(raw)).toBe('Resource::<DataLakeLandingBucket1CB224E2.Arn>/api/*');
    const ref =
      '{"Fn::GetStackOutput":{"StackName":"Dev-Catalog","Region":"eu-west-1","OutputName":"PublishOutputRefTransformDatabase7F08D3BE9077CAFE"}}/*';
    expect(normalizeCrossStackReferences(ref)).toBe('<TransformDatabase7F08D3BE>/*');
  });

  it('acknowledges each finding on one resource (never a stack or stage), with a specific reason', () => {
    const { app } = createDeftunesApp({ skipBundling: true, nag: false, context: { env: 'dev' } });
    const acknowledged: { path: string; id: string; reason: string; scope: IConstruct }[] = [];
    const visit = (node: IConstruct) => {
      for (const entry of node.node.metadata) {
        if (entry.type !== Validations.ACKNOWLEDGED_RULES_METADATA_KEY) continue;
        for (const [id, reason] of Object.entries(entry.data as Record<string, string>)) {
          // The CDK acknowledges some CloudFormation linter rules itself (e.g. W3010 for written-out zones).
          if (!/^(annotation::)?AwsSolutions-/i.test(id)) continue;
          acknowledged.push({
            path: node.node.path,
            id: id.replace(/^annotation::/i, ''),
            reason,
            scope: node,
          });
        }
      }
      node.node.children.forEach(visit);
    };
    visit(app);
    expect(acknowledged.length).toBeGreaterThan(10);
    for (const { path, id, reason, scope } of acknowledged) {
      expect({
        path,
        id,
        level: scope instanceof Stack || scope instanceof Stage || scope instanceof App,
      }).toEqual({
        path,
        id,
        level: false,
      });
      expect(id).toMatch(/^AwsSolutions-[A-Z]+\d+(\[.+\])?$/);
      expect(reason.length).toBeGreaterThan(30);
    }
    // IAM5 is acknowledged finding by finding (a resource or an action), never as a whole rule.
    expect(acknowledged.filter(({ id }) => id === 'AwsSolutions-IAM5')).toEqual([]);
  });
});
