/**
 * Which transform jobs exist: each one's script, the landing prefixes it reads, the tables it writes and
 * its own arguments. {@link TransformJobs} builds a job and a role scoped to exactly that from each.
 */
import {
  ENRICHMENT_TABLES,
  LISTENS_TABLE,
  QUARANTINE_TABLE,
  type TransformTable,
} from '../../lambdas/shared/platform-names';
import { LANDING_ORIGINS, LISTENS_LANDING_PREFIXES } from '../../lambdas/shared/landing-keys';
import { ENRICHMENT_LANDING_PREFIXES } from './enrichment-functions';

export type TransformJobId = 'TransformApi' | 'TransformSongs' | 'TransformEnrichment' | 'TransformListens';

/** The Iceberg tables each transform job writes: its role's scope, and locally the views its run re-lists. */
export const TRANSFORM_JOB_TABLES: Readonly<Record<TransformJobId, readonly TransformTable[]>> = {
  TransformApi: ['users', 'sessions', QUARANTINE_TABLE],
  TransformSongs: ['songs', QUARANTINE_TABLE],
  TransformEnrichment: [...ENRICHMENT_TABLES, QUARANTINE_TABLE],
  TransformListens: [LISTENS_TABLE, QUARANTINE_TABLE],
};

/** One transform job: its script and the landing prefixes it reads (its tables: TRANSFORM_JOB_TABLES). */
export interface JobSpec {
  readonly id: TransformJobId;
  readonly script: string;
  readonly description: string;
  /** Landing prefixes the job reads. */
  readonly readsLanding: string[];
  /** The job's own arguments, besides the ones every job gets. */
  readonly arguments?: Record<string, string>;
}

/**
 * `transform_listens`'s own arguments (the other jobs refuse them): the lateness window of cdk.json
 * `stream.latenessHours`. The local binding of TransformListens passes the same.
 */
export function transformListensArguments(latenessHours: number): Record<string, string> {
  return { '--lateness_hours': String(latenessHours) };
}

/** The transform jobs; `latenessHours` is the listening events job's window (cdk.json `stream`). */
export const jobSpecs = (latenessHours: number): readonly JobSpec[] => [
  {
    id: 'TransformApi',
    script: 'transform_api.py',
    description: 'Landing API records (users, sessions) to Iceberg tables in the transform zone',
    readsLanding: [`${LANDING_ORIGINS.api}/*`],
  },
  {
    id: 'TransformSongs',
    script: 'transform_songs.py',
    description: 'Landing songs catalog extract to the Iceberg songs table in the transform zone',
    readsLanding: [`${LANDING_ORIGINS.songsDb}/*`],
  },
  {
    id: 'TransformEnrichment',
    script: 'transform_enrichment.py',
    description:
      'Landing concerts and artist statistics (external APIs) to Iceberg tables in the transform zone',
    // The two extractors' own prefixes, exactly: ext/ may hold other sources later.
    readsLanding: Object.values(ENRICHMENT_LANDING_PREFIXES).map((source) => `${source}/*`),
  },
  {
    id: 'TransformListens',
    script: 'transform_listens.py',
    description:
      'Landing listening events (Firehose, by arrival hour) to the Iceberg listens table in the transform zone',
    // The delivered objects only: Firehose's error records (listens_errors) are not events.
    readsLanding: [`${LISTENS_LANDING_PREFIXES.data}/*`],
    arguments: transformListensArguments(latenessHours),
  },
];
