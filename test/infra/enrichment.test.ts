/**
 * The artist enrichment's infrastructure (docs/artist-enrichment.md): its cdk.json block, the two extractors
 * (environment, the exact secrets and landing prefixes they may touch) and the transform job's grants.
 */
import { enrichmentSettingsOf, parseEnvironments } from '../../lib/config';
import { readCdkJsonContext } from '../../lib/deftunes-app';
import { parseEnrichmentSettings } from '../../lambdas/shared/enrichment-settings';
import { policyStatements, resourcesOfType, synthesizeStage, type SynthesizedStage } from './synth';

const environments = () =>
  structuredClone(readCdkJsonContext()['deftunes:environments']) as Record<string, Record<string, unknown>>;

type Statement = { policy: string; Sid?: string; Action?: unknown; Resource?: unknown; Condition?: unknown };

describe('enrichment configuration (cdk.json)', () => {
  it("holds the contract's table for dev, and prod's own secrets", () => {
    const [dev, prod] = parseEnvironments(environments());
    expect(dev.enrichment).toEqual({
      concertsApiUrl: 'https://app.ticketmaster.com',
      artistStatsApiUrl: 'https://ws.audioscrobbler.com',
      concertsApiKeySecretName: 'deftunes/dev/concerts-api-key',
      artistStatsApiKeySecretName: 'deftunes/dev/artist-stats-api-key',
      countries: ['US', 'GB', 'DE', 'FR', 'BR'],
      concertHorizonDays: 30,
      requestsPerSecond: 4,
      dailyRequestBudget: { concerts: 4000, artistStats: 2000 },
    });
    expect(prod.enrichment).toMatchObject({
      concertsApiKeySecretName: 'deftunes/prod/concerts-api-key',
      artistStatsApiKeySecretName: 'deftunes/prod/artist-stats-api-key',
    });
    // What the functions receive is exactly what their own schema accepts.
    expect(parseEnrichmentSettings(enrichmentSettingsOf(dev))).toEqual(enrichmentSettingsOf(dev));
  });

  it('names each bad enrichment value with its environment and path', () => {
    const raw = environments();
    const enrichment = raw.dev.enrichment as Record<string, unknown>;
    enrichment.countries = ['US', 'usa'];
    enrichment.requestsPerSecond = 6;
    enrichment.concertsApiUrl = 'http://app.ticketmaster.com';
    let message = '';
    try {
      parseEnvironments(raw);
    } catch (error) {
      message = String(error);
    }
    expect(message).toContain('dev.enrichment.countries.1: must be an ISO 3166-1 alpha-2 code');
    expect(message).toMatch(/dev\.enrichment\.requestsPerSecond: must be at most the APIs' limit of 5/);
    expect(message).toContain('dev.enrichment.concertsApiUrl');
    // A misspelt key is refused, not defaulted.
    const misspelt = environments();
    (misspelt.prod.enrichment as Record<string, unknown>).concertHorizonDay = 30;
    expect(() => parseEnvironments(misspelt)).toThrow(/prod\.enrichment: .*concertHorizonDay/);
    const missing = environments();
    delete (missing.prod.enrichment as Record<string, unknown>).artistStatsApiKeySecretName;
    expect(() => parseEnvironments(missing)).toThrow(/prod\.enrichment\.artistStatsApiKeySecretName/);
  });
});

describe('enrichment infrastructure (dev)', () => {
  let dev: SynthesizedStage;
  let statements: Statement[];
  beforeAll(() => {
    dev = synthesizeStage('dev');
    statements = policyStatements(dev.compute).map(({ policy, statement }) => ({ policy, ...statement }));
  });

  const functionEnv = (service: string) => {
    const found = resourcesOfType(dev.compute, 'AWS::Lambda::Function').find(
      ([, fn]) =>
        (fn.Environment as { Variables: Record<string, unknown> }).Variables.POWERTOOLS_SERVICE_NAME ===
        service,
    );
    if (!found) throw new Error(`no function ${service}`);
    return (found[1].Environment as { Variables: Record<string, unknown> }).Variables;
  };
  const of = (policyPrefix: string) => statements.filter((s) => s.policy.startsWith(policyPrefix));
  const actionsOf = (s: Statement) => [s.Action].flat() as string[];
  const text = (value: unknown) => JSON.stringify(value);

  // [service, the variables it must have, those of the other extractor it must not]
  it.each([
    [
      'extract-concerts',
      {
        CONCERTS_API_URL: 'https://app.ticketmaster.com',
        CONCERTS_API_KEY_SECRET_ID: 'deftunes/dev/concerts-api-key',
        EARLIEST_RUN_DATE: '2020-01-01',
        RUN_DATE_TIME_ZONE: 'Europe/Paris',
        LANDING_BUCKET: expect.anything(),
      },
      ['SONGS_DB_SECRET_ID', 'ARTIST_STATS_API_KEY_SECRET_ID'],
    ],
    [
      'extract-artist-stats',
      {
        ARTIST_STATS_API_URL: 'https://ws.audioscrobbler.com',
        ARTIST_STATS_API_KEY_SECRET_ID: 'deftunes/dev/artist-stats-api-key',
        SONGS_DB_SECRET_ID: 'deftunes/dev/songs-db',
        NODE_EXTRA_CA_CERTS: '/var/runtime/ca-cert.pem',
        LANDING_BUCKET: expect.anything(),
      },
      ['CONCERTS_API_KEY_SECRET_ID'],
    ],
  ])(
    'gives %s its API, its key secret by name, the settings and the run-date bounds',
    (service, vars, absent) => {
      const env = functionEnv(service);
      expect(env).toMatchObject(vars);
      expect(JSON.parse(String(env.ENRICHMENT_SETTINGS))).toEqual({
        countries: ['US', 'GB', 'DE', 'FR', 'BR'],
        concertHorizonDays: 30,
        requestsPerSecond: 4,
        dailyRequestBudget: { concerts: 4000, artistStats: 2000 },
      });
      // The keys themselves are read at run time: no variable holds one.
      expect(Object.keys(env).filter((name) => /KEY$|PASSWORD|TOKEN/.test(name))).toEqual([]);
      for (const name of absent) expect(Object.keys(env)).not.toContain(name);
    },
  );

  it('lets each extractor read exactly its own secrets, read-only', () => {
    const secretsOf = (policyPrefix: string) => {
      const grants = of(policyPrefix).filter((s) =>
        actionsOf(s).some((action) => action.startsWith('secretsmanager:')),
      );
      return {
        actions: [...new Set(grants.flatMap(actionsOf))].sort(),
        secrets: grants
          .flatMap((s) => [s.Resource].flat() as unknown[])
          .map((resource) => /:secret:(.+)$/.exec(String(resource))?.[1])
          .sort(),
      };
    };
    const readOnly = ['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue'];
    expect(secretsOf('EnrichmentFunctionsExtractConcertsRole')).toEqual({
      actions: readOnly,
      secrets: ['deftunes/dev/concerts-api-key-??????'],
    });
    expect(secretsOf('EnrichmentFunctionsExtractArtistStatsRole')).toEqual({
      actions: readOnly,
      secrets: ['deftunes/dev/artist-stats-api-key-??????', 'deftunes/dev/songs-db-??????'],
    });
  });

  it('lets each extractor write only its own landing and quarantine prefixes, and delete only its manifests', () => {
    for (const [role, source] of [
      ['EnrichmentFunctionsExtractConcertsRole', 'ext/concerts'],
      ['EnrichmentFunctionsExtractArtistStatsRole', 'ext/artist_stats'],
    ]) {
      const s3 = of(role).filter((s) => actionsOf(s).some((action) => action.startsWith('s3:')));
      expect(s3.flatMap(actionsOf).sort()).toEqual([
        's3:AbortMultipartUpload',
        's3:DeleteObject',
        's3:PutObject',
      ]);
      const objects = (s: Statement) =>
        ([s.Resource].flat() as unknown[]).map((resource) => text(resource).match(/"(\/[^"]*)"\]\]\}$/)?.[1]);
      const put = s3.find((s) => actionsOf(s).includes('s3:PutObject'));
      expect(objects(put!)).toEqual([`/${source}/*`, `/quarantine/${source}/*`]);
      const del = s3.find((s) => actionsOf(s).includes('s3:DeleteObject'));
      expect(objects(del!)).toEqual([`/${source}/*/_manifest.json`]);
    }
  });

  it('runs transform_enrichment reading exactly the two enrichment prefixes and writing exactly its tables', () => {
    const [[, job]] = resourcesOfType(dev.compute, 'AWS::Glue::Job').filter(([id]) =>
      id.startsWith('TransformJobsTransformEnrichmentJob'),
    );
    expect(text(job.Command)).toMatch(/\.py"/);
    expect(job).toMatchObject({
      GlueVersion: '5.0',
      MaxRetries: 0,
      ExecutionProperty: { MaxConcurrentRuns: 1 },
    });
    const role = of('TransformJobsTransformEnrichmentRole');
    const bySid = (sid: string) => role.find((s) => s.Sid === sid);
    expect(bySid('ListLandingPrefixes')?.Condition).toEqual({
      StringLike: { 's3:prefix': ['ext/concerts/*', 'ext/artist_stats/*'] },
    });
    const read = ([bySid('ReadLandingPrefixes')?.Resource].flat() as unknown[]).map(
      (resource) => text(resource).match(/"(\/[^"]*)"\]\]\}$/)?.[1],
    );
    expect(read.sort()).toEqual(['/ext/artist_stats/*', '/ext/concerts/*']);
    const tables = [...new Set(text(role).match(/table\/deftunes_transform\/\w+/g) ?? [])].sort();
    expect(tables).toEqual([
      'table/deftunes_transform/artist_stats',
      'table/deftunes_transform/concert_windows',
      'table/deftunes_transform/concerts',
      'table/deftunes_transform/quarantine',
    ]);
    // The other jobs keep their own prefixes and tables: nothing of the enrichment's leaks to them.
    for (const other of ['TransformJobsTransformApiRole', 'TransformJobsTransformSongsRole']) {
      expect(text(of(other))).not.toMatch(/ext\/|concerts|artist_stats/);
    }
  });

  it('lets the state machine invoke the two extractors and run the third job', () => {
    const pipeline = policyStatements(dev.pipeline).map(({ statement }) => statement);
    const invoked = text(pipeline.filter((s) => text(s.Action).includes('lambda:InvokeFunction')));
    expect(invoked).toContain('EnrichmentFunctionsExtractConcertsFunction');
    expect(invoked).toContain('EnrichmentFunctionsExtractArtistStatsFunction');
    const glue = text(pipeline.filter((s) => text(s.Action).includes('glue:StartJobRun')));
    expect(glue).toContain('TransformJobsTransformEnrichmentJob');
  });
});
