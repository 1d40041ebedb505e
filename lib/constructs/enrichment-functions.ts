import type * as s3 from 'aws-cdk-lib/aws-s3';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import type { EnrichmentSettings } from '../../lambdas/shared/enrichment-settings';
import { LANDING_PREFIXES } from '../../lambdas/shared/landing-keys';
import { grantLandingWrite } from './landing-write-grant';
import { groupFunctionProps, PipelineFunction, type PipelineFunctionGroupProps } from './pipeline-function';

/** Landing prefixes of the enrichment sources (docs/artist-enrichment.md, Extraction). */
export const ENRICHMENT_LANDING_PREFIXES = {
  concerts: LANDING_PREFIXES.concerts,
  artistStats: LANDING_PREFIXES.artist_stats,
} as const;

export interface EnrichmentFunctionsProps extends PipelineFunctionGroupProps {
  readonly landingBucket: s3.IBucket;
  /** Base URL of the concerts API (Ticketmaster Discovery v2 shaped). */
  readonly concertsApiUrl: string;
  /** Base URL of the artist statistics API (Last.fm 2.0 shaped). */
  readonly artistStatsApiUrl: string;
  /** Name of the Secrets Manager secret holding the concerts API key (a plain string). */
  readonly concertsApiKeySecretName: string;
  /** Name of the Secrets Manager secret holding the artist statistics API key (a plain string). */
  readonly artistStatsApiKeySecretName: string;
  /** Name of the songs database secret: the artist statistics come for the catalog's artists. */
  readonly songsDbSecretName: string;
  /** Countries, horizon, request rate and daily budgets, passed to both functions as JSON. */
  readonly settings: EnrichmentSettings;
  /** EARLIEST_RUN_DATE and RUN_DATE_TIME_ZONE, as every pipeline function gets them. */
  readonly runDateEnvironment: Record<string, string>;
}

/**
 * The two extractors of the artist enrichment (docs/artist-enrichment.md): `extract-concerts` and
 * `extract-artist-stats`. Each writes only its own landing and quarantine prefixes and reads only its own
 * API key's secret (extract-artist-stats also the songs database's, for the catalog's artists). The keys are
 * read at run time, never passed in the environment. Outside the VPC, like extract-api: both call public
 * APIs.
 */
export class EnrichmentFunctions extends Construct {
  public readonly extractConcerts: PipelineFunction;
  public readonly extractArtistStats: PipelineFunction;

  constructor(scope: Construct, id: string, props: EnrichmentFunctionsProps) {
    super(scope, id);
    const common = groupFunctionProps(props);
    const landing = props.landingBucket;
    const shared = {
      LANDING_BUCKET: landing.bucketName,
      ENRICHMENT_SETTINGS: JSON.stringify(props.settings),
      ...props.runDateEnvironment,
    };
    const secret = (secretId: string, name: string) =>
      secretsmanager.Secret.fromSecretNameV2(this, secretId, name);

    this.extractConcerts = new PipelineFunction(this, 'ExtractConcerts', {
      ...common,
      entry: 'lambdas/extract-concerts/index.ts',
      description: 'Extracts the upcoming concerts of the configured countries to the landing zone',
      serviceName: 'extract-concerts',
      environment: {
        ...shared,
        CONCERTS_API_URL: props.concertsApiUrl,
        CONCERTS_API_KEY_SECRET_ID: props.concertsApiKeySecretName,
      },
    });
    grantLandingWrite(this.extractConcerts.role, ENRICHMENT_LANDING_PREFIXES.concerts, landing, props.key);
    secret('ConcertsApiKeySecret', props.concertsApiKeySecretName).grantRead(this.extractConcerts.role);

    this.extractArtistStats = new PipelineFunction(this, 'ExtractArtistStats', {
      ...common,
      entry: 'lambdas/extract-artist-stats/index.ts',
      description: "Extracts the statistics of the run date's slice of catalog artists to the landing zone",
      serviceName: 'extract-artist-stats',
      environment: {
        ...shared,
        ARTIST_STATS_API_URL: props.artistStatsApiUrl,
        ARTIST_STATS_API_KEY_SECRET_ID: props.artistStatsApiKeySecretName,
        SONGS_DB_SECRET_ID: props.songsDbSecretName,
        // TLS to the songs database is verified; the runtime ships the RDS certificate authorities here.
        NODE_EXTRA_CA_CERTS: '/var/runtime/ca-cert.pem',
      },
      // pg loads its optional native binding only when asked to; the pure-JS client is used.
      externalModules: ['pg-native'],
    });
    grantLandingWrite(
      this.extractArtistStats.role,
      ENRICHMENT_LANDING_PREFIXES.artistStats,
      landing,
      props.key,
    );
    secret('ArtistStatsApiKeySecret', props.artistStatsApiKeySecretName).grantRead(
      this.extractArtistStats.role,
    );
    secret('SongsDbSecret', props.songsDbSecretName).grantRead(this.extractArtistStats.role);
  }
}
