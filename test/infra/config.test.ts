import { parseBooleanFlag, parseEnvironments } from '../../lib/config';
import { createDeftunesApp, readCdkJsonContext } from '../../lib/deftunes-app';

const environments = () =>
  structuredClone(readCdkJsonContext()['deftunes:environments']) as Record<string, Record<string, unknown>>;

describe('environment configuration (cdk.json)', () => {
  it('defines dev and prod, both valid', () => {
    expect(parseEnvironments(environments()).map((env) => env.name)).toEqual(['dev', 'prod']);
  });

  it('names every invalid value with its environment and path', () => {
    const raw = environments();
    raw.dev.account = '1234';
    (raw.dev.redshift as Record<string, unknown>).maxCapacityRpu = 4;
    (raw.prod.schedule as Record<string, unknown>).hour = 24;
    expect(() => parseEnvironments(raw)).toThrow(/dev\.account: an AWS account id is 12 digits/);
    try {
      parseEnvironments(raw);
    } catch (error) {
      expect(String(error)).toContain('dev.redshift.maxCapacityRpu');
      expect(String(error)).not.toContain('prod.schedule.hour');
    }
    const prodOnly = environments();
    (prodOnly.prod.schedule as Record<string, unknown>).hour = 24;
    expect(() => parseEnvironments(prodOnly)).toThrow(/prod\.schedule\.hour/);
  });

  it('rejects a maximum capacity below the base and an http API URL', () => {
    const raw = environments();
    raw.dev.redshift = { ...(raw.dev.redshift as object), baseCapacityRpu: 64, maxCapacityRpu: 32 };
    expect(() => parseEnvironments(raw)).toThrow(/maxCapacityRpu must be at least baseCapacityRpu/);
    const insecure = environments();
    insecure.dev.apiUrl = 'http://api.example.com';
    expect(() => parseEnvironments(insecure)).toThrow(/dev\.apiUrl/);
  });

  it('reads the destroy flag from JSON or from the command line, and nothing else', () => {
    expect(parseBooleanFlag('k', undefined)).toBe(false);
    expect(parseBooleanFlag('k', 'true')).toBe(true);
    expect(parseBooleanFlag('k', false)).toBe(false);
    expect(() => parseBooleanFlag('k', 'yes')).toThrow(/context "k" must be true or false, got "yes"/);
  });

  it('synthesizes only the chosen environment, and names the known ones for an unknown choice', () => {
    expect(() => createDeftunesApp({ skipBundling: true, nag: false, context: { env: 'staging' } })).toThrow(
      '-c env=staging: no such environment in cdk.json (known: dev, prod)',
    );
    const { stages } = createDeftunesApp({ skipBundling: true, nag: false, context: { env: 'prod' } });
    expect(stages.map((stage) => stage.stageName)).toEqual(['Prod']);
    expect(stages[0].storage.stackName).toBe('Prod-Storage');
    expect(stages[0].storage.account).toBe('222222222222');
  });
});
