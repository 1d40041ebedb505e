/**
 * Per-environment configuration, read from the `deftunes:environments` object of cdk.json's context and
 * validated with zod, so a typo in cdk.json fails the synthesis with the path of the bad value instead of
 * deploying a half-configured platform.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as z from 'zod';
import { EnrichmentSettingsSchema, type EnrichmentSettings } from '../lambdas/shared/enrichment-settings';
import { RunDateSchema } from '../lambdas/shared/run-date';

/** The app's cdk.json, whose `context` holds the environments. */
export const CDK_JSON_PATH = path.resolve(__dirname, '..', 'cdk.json');

/** cdk.json's `context` object (empty when it has none). */
export function readCdkJsonContext(): Record<string, unknown> {
  const cdkJson = JSON.parse(fs.readFileSync(CDK_JSON_PATH, 'utf8')) as { context?: Record<string, unknown> };
  return cdkJson.context ?? {};
}

/** Context key holding one object per environment (dev, prod, ...). */
export const ENVIRONMENTS_CONTEXT_KEY = 'deftunes:environments';
/** Context key choosing the environment(s) to synthesize: `-c env=dev`. Absent: every environment. */
export const ENVIRONMENT_SELECTOR_CONTEXT_KEY = 'env';
/**
 * Context flag that makes stateful resources (buckets, key, catalog, warehouse) disposable:
 * `-c deftunes:destroyOnRemoval=true`. Absent or false: they are retained when their stack is deleted.
 */
export const DESTROY_ON_REMOVAL_CONTEXT_KEY = 'deftunes:destroyOnRemoval';

const accountId = z.string().regex(/^\d{12}$/, 'an AWS account id is 12 digits');
const glueWorkerType = z.enum(['G.1X', 'G.2X', 'G.4X', 'G.8X', 'R.1X', 'R.2X', 'R.4X', 'R.8X']);

const scheduleSchema = z.object({
  /** Hour (0-23) of the daily run, in `timeZone`. */
  hour: z.number().int().min(0).max(23),
  /** Minute (0-59) of the daily run. */
  minute: z.number().int().min(0).max(59),
  /** IANA time zone of `hour` and `minute`, e.g. `Europe/Paris`. */
  timeZone: z.string().regex(/^[A-Za-z_]+(\/[A-Za-z0-9_+-]+)*$/, 'an IANA time zone such as Europe/Paris'),
  /** Whether the daily schedule starts the pipeline. */
  enabled: z.boolean(),
});

const glueSchema = z.object({
  workerType: glueWorkerType,
  numberOfWorkers: z.number().int().min(2).max(299),
  /** A Glue job run is stopped after this many minutes. */
  timeoutMinutes: z.number().int().min(5).max(2880),
});

const redshiftSchema = z
  .object({
    /** Base Redshift Processing Units of the workgroup (8 to 1024, multiples of 8). */
    baseCapacityRpu: z.number().int().min(8).max(1024).multipleOf(8),
    /** Upper bound of automatic scaling, in RPUs. */
    maxCapacityRpu: z.number().int().min(8).max(5632).multipleOf(8),
    /** Name of the database the namespace creates. */
    databaseName: z.string().regex(/^[a-z][a-z0-9_]{0,63}$/),
    /** Admin user whose password Redshift generates and keeps in Secrets Manager. */
    adminUsername: z.string().regex(/^[a-z][a-z0-9_]{0,127}$/),
  })
  .refine((redshift) => redshift.maxCapacityRpu >= redshift.baseCapacityRpu, {
    message: 'maxCapacityRpu must be at least baseCapacityRpu',
    path: ['maxCapacityRpu'],
  });

const networkSchema = z.object({
  /** CIDR of the warehouse VPC. */
  vpcCidr: z.string().regex(/^\d{1,3}(\.\d{1,3}){3}\/\d{1,2}$/),
  /**
   * The Availability Zones of the VPC, written out so the synthesis needs no lookup (Redshift Serverless
   * needs subnets in three of them).
   */
  availabilityZones: z.array(z.string().min(1)).min(3),
  /** In how many of those zones the interface endpoints get a network interface (each one is billed). */
  interfaceEndpointZones: z.number().int().min(1).max(6),
});

const lambdaSchema = z.object({
  memoryMb: z.number().int().min(128).max(10240),
  /** Longest run of an extraction or load, in seconds (at most 900). */
  timeoutSeconds: z.number().int().min(10).max(900),
});

/** The real APIs refuse more than this many requests per second per key. */
const API_RATE_LIMIT_PER_SECOND = 5;

/**
 * The artist enrichment (docs/artist-enrichment.md, Configuration): where the two APIs are, the secrets
 * holding their keys, and the extraction settings the functions receive as ENRICHMENT_SETTINGS. Strict: a
 * misspelt key would otherwise silently take its default.
 */
const enrichmentSchema = z
  .strictObject({
    ...EnrichmentSettingsSchema.shape,
    /** Base URL of the concerts API (Ticketmaster Discovery v2 shaped). */
    concertsApiUrl: z.url({ protocol: /^https$/ }),
    /** Base URL of the artist statistics API (Last.fm 2.0 shaped). */
    artistStatsApiUrl: z.url({ protocol: /^https$/ }),
    /** Secrets Manager secret (name) holding the concerts API key, a plain string. */
    concertsApiKeySecretName: z.string().min(1),
    /** Secrets Manager secret (name) holding the artist statistics API key, a plain string. */
    artistStatsApiKeySecretName: z.string().min(1),
  })
  .refine((enrichment) => enrichment.requestsPerSecond <= API_RATE_LIMIT_PER_SECOND, {
    message: `must be at most the APIs' limit of ${API_RATE_LIMIT_PER_SECOND} requests per second per key`,
    path: ['requestsPerSecond'],
  });

/**
 * The listening events stream (docs/listening-events.md, Configuration): how long a play may arrive after
 * its day and still count for it, and the Firehose buffering hints.
 */
const streamSchema = z
  .object({
    /** Hours after the end of its day that a play may arrive and still count for that day (Glue `--lateness_hours`). */
    latenessHours: z.number().int().min(0).max(168),
    /** Firehose buffering interval (seconds); Firehose accepts 0 to 900. */
    bufferingIntervalSeconds: z.number().int().min(0).max(900),
    /** Firehose buffering size (MiB); Firehose accepts 1 to 128. */
    bufferingSizeMiB: z.number().int().min(1).max(128),
  })
  .strict();

/**
 * Iceberg table maintenance of the transform zone (bench/README.md, cost with history): the Glue table
 * optimizers in AWS (lib/constructs/iceberg-table-optimizers.ts) and the local maintenance step after each
 * job (glue-scripts/deftunes_glue/maintenance.py) take the same numbers. Strict: a misspelt key would
 * otherwise silently keep every snapshot.
 */
const icebergMaintenanceSchema = z.strictObject({
  /**
   * Create the Glue table optimizers. They need their tables, which the first run of each job creates:
   * deploy a new environment with false, run the pipeline once, then set true.
   */
  tableOptimizers: z.boolean(),
  /** Snapshots older than this many days are expired (time travel reaches this far back). */
  snapshotRetentionDays: z.number().int().min(1).max(3650),
  /** The newest snapshots kept whatever their age. */
  snapshotsToRetain: z.number().int().min(1).max(1000),
  /**
   * Files no snapshot references are deleted once older than this many days; it must exceed the longest
   * Glue job run (`glue.timeoutMinutes`), or a running job's files could be taken for orphans.
   */
  orphanFileRetentionDays: z.number().int().min(1).max(3650),
  /** A partition's data files are compacted (bin-packed) once it holds at least this many. */
  compactionMinInputFiles: z.number().int().min(2).max(100000),
  /**
   * Local step only: previous metadata files each table keeps (Iceberg `write.metadata.previous-versions-max`,
   * older ones deleted at the next commit). In AWS the orphan file deletion removes the metadata files
   * beyond Iceberg's metadata log.
   */
  metadataVersionsToRetain: z.number().int().min(1).max(1000),
});

const environmentFields = z.object({
  account: accountId,
  region: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'an AWS region such as eu-west-1'),
  schedule: scheduleSchema,
  /**
   * The earliest run date the pipeline accepts (`YYYY-MM-DD`): every entry point (CLI, ResolveRunDate, the
   * handlers, the Backfill) refuses a date before it, and one after today in `schedule.timeZone`.
   */
  earliestRunDate: RunDateSchema,
  /** Where alarms and pipeline failures are mailed; subscribed to the alert topic. */
  alertEmail: z.email(),
  /** Base URL of the DeFtunes API the extraction calls. */
  apiUrl: z.url({ protocol: /^https$/ }),
  /** Secrets Manager secret (name) holding the songs database connection: host, port, dbname, username, password. */
  songsDbSecretName: z.string().min(1),
  enrichment: enrichmentSchema,
  stream: streamSchema,
  icebergMaintenance: icebergMaintenanceSchema,
  /** Glue database of the transform zone (the Redshift external schema `deftunes_transform` maps to it). */
  transformDatabaseName: z.string().regex(/^[a-z][a-z0-9_]*$/),
  glue: glueSchema,
  redshift: redshiftSchema,
  network: networkSchema,
  lambda: lambdaSchema,
  /** Retention of the pipeline's CloudWatch log groups, in days. */
  logRetentionDays: z.union([
    z.literal(7),
    z.literal(14),
    z.literal(30),
    z.literal(60),
    z.literal(90),
    z.literal(180),
    z.literal(365),
  ]),
  /** Include execution input and output in the state machine logs (useful in dev, noisy in prod). */
  logExecutionData: z.boolean(),
  /** Days before landing objects move to Standard-IA, then to Glacier Flexible Retrieval, then expire. */
  landingLifecycle: z
    .object({
      infrequentAccessAfterDays: z.number().int().min(30),
      glacierAfterDays: z.number().int().min(60),
      expireAfterDays: z.number().int().min(90),
    })
    .refine(
      (l) => l.glacierAfterDays > l.infrequentAccessAfterDays && l.expireAfterDays > l.glacierAfterDays,
      {
        message: 'expected infrequentAccessAfterDays < glacierAfterDays < expireAfterDays',
      },
    ),
  /** Protect stateful stacks against deletion (prod). */
  terminationProtection: z.boolean(),
});

const environmentSchema = environmentFields.refine(
  (env) => env.icebergMaintenance.orphanFileRetentionDays * 24 * 60 > env.glue.timeoutMinutes,
  {
    message: "must be longer than glue.timeoutMinutes: a running job's new files are not orphans",
    path: ['icebergMaintenance', 'orphanFileRetentionDays'],
  },
);

export type EnvironmentConfig = z.infer<typeof environmentSchema>;
/** The listening events stream settings of an environment (cdk.json `stream`). */
export type StreamConfig = EnvironmentConfig['stream'];
/** The Iceberg table maintenance settings of an environment (cdk.json `icebergMaintenance`). */
export type IcebergMaintenanceConfig = EnvironmentConfig['icebergMaintenance'];

/** The extraction settings of an environment's enrichment block, as the functions receive them. */
export function enrichmentSettingsOf(config: EnvironmentConfig): EnrichmentSettings {
  const { countries, concertHorizonDays, requestsPerSecond, dailyRequestBudget } = config.enrichment;
  return { countries, concertHorizonDays, requestsPerSecond, dailyRequestBudget };
}

/** A validated environment with the name it has in cdk.json. */
export interface NamedEnvironmentConfig extends EnvironmentConfig {
  readonly name: string;
}

/**
 * Validates the `deftunes:environments` context object. Throws an error naming the environment and the
 * path of every invalid value.
 */
export function parseEnvironments(raw: unknown): NamedEnvironmentConfig[] {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new Error(
      `cdk.json context "${ENVIRONMENTS_CONTEXT_KEY}" must be an object of environments, got ${JSON.stringify(raw)}`,
    );
  }
  const entries = Object.entries(raw as Record<string, unknown>);
  if (entries.length === 0) {
    throw new Error(`cdk.json context "${ENVIRONMENTS_CONTEXT_KEY}" defines no environment`);
  }
  return entries.map(([name, value]) => {
    if (!/^[a-z][a-z0-9]*$/.test(name)) {
      throw new Error(
        `environment name "${name}" must be lowercase letters and digits (it names stacks and resources)`,
      );
    }
    const parsed = environmentSchema.safeParse(value);
    if (!parsed.success) {
      const problems = parsed.error.issues.map(
        (issue) => `${[name, ...issue.path].join('.')}: ${issue.message}`,
      );
      throw new Error(
        `invalid environment in cdk.json context "${ENVIRONMENTS_CONTEXT_KEY}":\n  ${problems.join('\n  ')}`,
      );
    }
    return { name, ...parsed.data };
  });
}

/** Reads a boolean context flag given either as JSON (cdk.json) or as a string (`-c key=true`). */
export function parseBooleanFlag(key: string, raw: unknown): boolean {
  if (raw === undefined || raw === null) return false;
  if (raw === true || raw === 'true') return true;
  if (raw === false || raw === 'false') return false;
  throw new Error(`context "${key}" must be true or false, got ${JSON.stringify(raw)}`);
}
