import { resourcesOfType, synthesizeStage, type SynthesizedStage } from './synth';

describe('properties every stack keeps (dev)', () => {
  let dev: SynthesizedStage;
  let stacks: [string, SynthesizedStage['storage']][];
  beforeAll(() => {
    dev = synthesizeStage('dev');
    stacks = [
      ['storage', dev.storage],
      ['catalog', dev.catalog],
      ['warehouse', dev.warehouse],
      ['compute', dev.compute],
      ['pipeline', dev.pipeline],
    ];
  });

  it('encrypts every log group with the platform key and bounds its retention', () => {
    let count = 0;
    for (const [name, template] of stacks) {
      for (const [id, group] of resourcesOfType(template, 'AWS::Logs::LogGroup')) {
        count += 1;
        expect({ name, id, key: JSON.stringify(group.KmsKeyId ?? null) }).toEqual({
          name,
          id,
          key: expect.stringContaining('DataLakeKey'),
        });
        expect(group.RetentionInDays).toBe(30);
      }
    }
    expect(count).toBeGreaterThanOrEqual(9);
  });

  it('opens no security group to the internet', () => {
    for (const [, template] of stacks) {
      for (const [, group] of resourcesOfType(template, 'AWS::EC2::SecurityGroup')) {
        for (const rule of (group.SecurityGroupIngress as Record<string, unknown>[] | undefined) ?? []) {
          expect(rule.CidrIp).not.toBe('0.0.0.0/0');
          expect(rule.CidrIpv6).not.toBe('::/0');
        }
      }
      for (const [, rule] of resourcesOfType(template, 'AWS::EC2::SecurityGroupIngress')) {
        expect(rule.CidrIp).not.toBe('0.0.0.0/0');
      }
    }
  });

  it('writes no secret into a template', () => {
    for (const [name, template] of stacks) {
      const text = JSON.stringify(template.toJSON());
      expect({ name, password: /"(Master|Admin)UserPassword"/.test(text) }).toEqual({
        name,
        password: false,
      });
    }
  });

  it('tags every stack with the project and the environment', () => {
    for (const [, template] of stacks) {
      const tagged = resourcesOfType(template, 'AWS::S3::Bucket')
        .concat(resourcesOfType(template, 'AWS::IAM::Role'))
        // The CDK's own custom resource providers are raw CloudFormation resources the Tags aspect skips.
        .filter(([id]) => !id.startsWith('Custom'))
        .map(([, resource]) => resource.Tags as { Key: string; Value: string }[]);
      for (const tags of tagged) {
        expect(tags).toEqual(
          expect.arrayContaining([
            { Key: 'project', Value: 'deftunes' },
            { Key: 'environment', Value: 'dev' },
          ]),
        );
      }
    }
  });
});
