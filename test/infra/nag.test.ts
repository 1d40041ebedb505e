import { DeftunesAwsSolutionsChecks, normalizeCrossStackReferences } from '../../lib/nag';
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
});
