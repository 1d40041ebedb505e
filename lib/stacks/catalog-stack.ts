import { RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import * as glue from 'aws-cdk-lib/aws-glue';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { WAREHOUSE_PREFIX } from '../../lambdas/shared/platform-names';

export interface CatalogStackProps extends StackProps {
  /** Name of the transform zone's Glue database (the Iceberg scripts and the Spectrum schema use it). */
  readonly databaseName: string;
  readonly transformBucket: s3.IBucket;
  /** @default RemovalPolicy.RETAIN */
  readonly removalPolicy?: RemovalPolicy;
}

/** Stateful: the Glue Data Catalog database of the transform zone (the Iceberg tables register in it). */
export class CatalogStack extends Stack {
  public readonly database: glue.IDatabase;

  constructor(scope: Construct, id: string, props: CatalogStackProps) {
    super(scope, id, props);
    // The name is fixed by contract (scripts, dbt sources), so it is not generated.
    this.database = new glue.Database(this, 'TransformDatabase', {
      databaseName: props.databaseName,
      description:
        'DeFtunes transform zone: Iceberg tables users, sessions, songs, concerts, concert_windows, artist_stats, quarantine (partitioned by ingest_on) and listens (by listen_date)',
      locationUri: props.transformBucket.s3UrlForObject(WAREHOUSE_PREFIX),
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
    });
  }
}
