/**
 * A small warehouse for the dashboard tests: a DuckDB file with the serving tables the dashboard reads
 * (columns as in dbt_modeling's models), the three BI views (the models' SQL with refs resolved), transform
 * tables, and data-quality result documents in a results directory. Seeded, so every run is identical. The
 * shared test warehouse (test/fixtures/warehouse.ts) runs its statements, not serving-load: the data is
 * shaped for the page, not loaded from a transform zone.
 *
 * It holds what makes the dashboard's job non-trivial: a buyer who relocates (US to FR) mid-range, sales
 * over a month boundary, a sale whose user version does not resolve, and names that need HTML escaping.
 */
import { promises as fs } from 'node:fs';
import { DuckDbWarehouse } from '../../lib/local/adapters/duckdb-warehouse';
import { LocalObjectStore } from '../../lib/local/adapters/local-object-store';
import type { ResultDocument } from '../../lambdas/data-quality/result-document';
import { buildWarehouseFile } from '../fixtures/warehouse';
import { ENRICHMENT_FIXTURE_STATEMENTS } from './enrichment-fixture';
import { LISTENING_FIXTURE_STATEMENTS } from './listening-fixture';
import { localPaths } from '../../lib/local/data-dir';
import { SERVING_SCHEMA, TRANSFORM_SCHEMA } from '../../lambdas/shared/platform-names';

export const FIXTURE_DATES = ['2026-01-30', '2026-01-31', '2026-02-01'] as const;
export const HOSTILE_ARTIST = `<script>alert("x")</script> & 'Friends'`;

const ARTISTS = [
  'Radiohead',
  'Björk',
  'Daft Punk',
  HOSTILE_ARTIST,
  'Nina Simone',
  'Kraftwerk',
  'Massive Attack',
  'Portishead',
  'Aphex Twin',
  'Sade',
  'Caetano Veloso',
  'Fela Kuti',
  'Ryuichi Sakamoto',
  'Stereolab',
];
const COUNTRIES = ['US', 'FR', 'DE', 'JP', 'BR', 'GB'];
const PRICES = ['0.69', '0.99', '1.29', '1.49', '1.99'];

/** Park-Miller: small, seeded, the same on every machine. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 48271) % 2147483647;
    return state / 2147483647;
  };
}

/** The BI views: dbt_modeling/models/bi/*.sql with ref() resolved (DuckDB). */
export const SERVING_VIEWS: readonly string[] = [
  `create view ${SERVING_SCHEMA}.sales_per_artist_vw as
     select cast(extract(year from facts.session_start_time) as integer) as session_year, artists.artist_name,
       sum(facts.price) as total_sales
     from ${SERVING_SCHEMA}.fact_session_items as facts
     inner join ${SERVING_SCHEMA}.dim_artists as artists on artists.artist_key = facts.artist_key
     group by 1, 2`,
  `create view ${SERVING_SCHEMA}.sales_per_country_vw as
     select cast(extract(month from facts.session_start_time) as integer) as session_month,
       cast(extract(year from facts.session_start_time) as integer) as session_year, users.country_code,
       sum(facts.price) as total_sales
     from ${SERVING_SCHEMA}.fact_session_items as facts
     left join ${SERVING_SCHEMA}.dim_users as users on users.user_key = facts.user_key
     group by 1, 2, 3`,
  `create view ${SERVING_SCHEMA}.hourly_kpis_vw as
     with hourly as (
       select session_date, session_hour, count(distinct user_id) as unique_buyers, count(*) as items_sold,
         sum(price) as revenue, cast(count(distinct track_id) as double precision) / count(*) as track_diversity_index
       from ${SERVING_SCHEMA}.fact_session_items group by 1, 2
     ),
     artist_revenue as (
       select facts.session_date, facts.session_hour, artists.artist_name,
         row_number() over (partition by facts.session_date, facts.session_hour
                            order by sum(facts.price) desc, artists.artist_name) as revenue_rank
       from ${SERVING_SCHEMA}.fact_session_items as facts
       inner join ${SERVING_SCHEMA}.dim_artists as artists on artists.artist_key = facts.artist_key
       group by 1, 2, 3
     )
     select hourly.session_date, hourly.session_hour, hourly.unique_buyers, hourly.items_sold, hourly.revenue,
       artist_revenue.artist_name as top_artist, hourly.track_diversity_index
     from hourly left join artist_revenue
       on artist_revenue.session_date = hourly.session_date and artist_revenue.session_hour = hourly.session_hour
       and artist_revenue.revenue_rank = 1`,
];

export interface Fixture {
  readonly dbFile: string;
  readonly resultsDir: string;
  readonly results: LocalObjectStore;
  openWarehouse(): Promise<DuckDbWarehouse>;
}

const sql = (value: string | null) => (value === null ? 'null' : `'${value.replace(/'/g, "''")}'`);

/** Creates the fixture under `dir` (a fresh temporary directory). */
export async function createFixture(dir: string): Promise<Fixture> {
  const { warehouseDb: dbFile, serving: resultsDir } = localPaths(dir);
  await fs.mkdir(resultsDir, { recursive: true });
  const next = random(20260130);
  const pick = <T>(values: readonly T[]) => values[Math.floor(next() * values.length)];

  // Users: u00..u29 with one version each, except u07 who moves from US to FR on 2026-01-31.
  const users: string[] = [];
  const userVersions: { key: string; userId: string; country: string; from: string; to: string | null }[] =
    [];
  for (let index = 0; index < 30; index += 1) {
    const userId = `user-${String(index).padStart(2, '0')}`;
    users.push(userId);
    if (index === 7) {
      userVersions.push({
        key: `${userId}-v1`,
        userId,
        country: 'US',
        from: '2025-01-01 00:00:00',
        to: '2026-01-31 00:00:00',
      });
      userVersions.push({
        key: `${userId}-v2`,
        userId,
        country: 'FR',
        from: '2026-01-31 00:00:00',
        to: null,
      });
    } else {
      userVersions.push({
        key: `${userId}-v1`,
        userId,
        country: COUNTRIES[index % COUNTRIES.length],
        from: '2025-01-01 00:00:00',
        to: null,
      });
    }
  }
  const versionAt = (userId: string, time: string) =>
    userVersions.find(
      (version) =>
        version.userId === userId && version.from <= time && (version.to === null || time < version.to),
    );

  const facts: string[] = [];
  let sessionNumber = 0;
  for (const date of FIXTURE_DATES) {
    for (let session = 0; session < 40; session += 1) {
      sessionNumber += 1;
      const userId = session === 0 ? 'user-07' : pick(users);
      const hour = Math.floor(next() * 24);
      const minute = Math.floor(next() * 60);
      const time = `${date} ${String(hour).padStart(2, '0')}:${String(minute).padStart(2, '0')}:00`;
      // The first session of the last day points to a user version that does not exist (a broken key).
      const userKey =
        date === '2026-02-01' && session === 1 ? 'missing-user-key' : (versionAt(userId, time)?.key ?? null);
      const items = 1 + Math.floor(next() * 5);
      for (let item = 0; item < items; item += 1) {
        const artistIndex = Math.floor(next() * next() * ARTISTS.length);
        const track = `TR${String(artistIndex).padStart(4, '0')}${String(Math.floor(next() * 6)).padStart(12, '0')}`;
        facts.push(
          `(${sql(`s${sessionNumber}-${item}`)}, ${sql(`session-${sessionNumber}`)}, ${item}, ${sql(userKey)}, ` +
            `${sql(`song-${track}`)}, ${sql(`artist-${artistIndex}`)}, ${sql(userId)}, ${sql(track)}, ` +
            `${sql(`AR${artistIndex}`)}, timestamp ${sql(time)}, date ${sql(date)}, ${hour}, ${pick(PRICES)}, ${sql(date)})`,
        );
      }
    }
  }

  const statements = [
    `create schema if not exists ${SERVING_SCHEMA}`,
    `create schema if not exists ${TRANSFORM_SCHEMA}`,
    `create table ${SERVING_SCHEMA}.dim_users (user_key varchar, user_id varchar, country_code varchar,
       valid_from timestamp, valid_to timestamp, is_current boolean)`,
    `insert into ${SERVING_SCHEMA}.dim_users values ${userVersions
      .map(
        (v) =>
          `(${sql(v.key)}, ${sql(v.userId)}, ${sql(v.country)}, timestamp ${sql(v.from)}, ${v.to === null ? 'null' : `timestamp ${sql(v.to)}`}, ${v.to === null})`,
      )
      .join(', ')}`,
    `create table ${SERVING_SCHEMA}.dim_artists (artist_key varchar, artist_id varchar, artist_name varchar)`,
    `insert into ${SERVING_SCHEMA}.dim_artists values ${ARTISTS.map((name, index) => `(${sql(`artist-${index}`)}, ${sql(`AR${index}`)}, ${sql(name)})`).join(', ')}`,
    `create table ${SERVING_SCHEMA}.fact_session_items (session_item_key varchar, session_id varchar, item_index integer,
       user_key varchar, song_key varchar, artist_key varchar, user_id varchar, track_id varchar, artist_id varchar,
       session_start_time timestamp, session_date date, session_hour integer, price decimal(10, 2), ingest_on date)`,
    `insert into ${SERVING_SCHEMA}.fact_session_items values ${facts.join(', ')}`,
    ...SERVING_VIEWS,
    ...ENRICHMENT_FIXTURE_STATEMENTS,
    ...LISTENING_FIXTURE_STATEMENTS,
    // Transform tables (locally views over Iceberg files; plain tables are enough for row counts).
    `create table ${TRANSFORM_SCHEMA}.sessions as
       select session_id, item_index, ingest_on from ${SERVING_SCHEMA}.fact_session_items`,
    `create table ${TRANSFORM_SCHEMA}.users as
       select u.user_id, d.ingest_on from ${SERVING_SCHEMA}.dim_users u,
         (select distinct ingest_on from ${SERVING_SCHEMA}.fact_session_items) d where u.is_current`,
    `create table ${TRANSFORM_SCHEMA}.songs as
       select 'TR' || lpad(cast(i as varchar), 16, '0') as track_id, date '2026-01-30' + cast(d as integer) as ingest_on
       from range(0, 200) t(i), range(0, 3) s(d)`,
  ];
  await buildWarehouseFile(dbFile, { statements });

  const results = new LocalObjectStore(resultsDir);
  for (const [index, runDate] of FIXTURE_DATES.entries()) {
    for (const stage of ['transform', 'serving'] as const) {
      const warned = stage === 'transform' && index === 1;
      const failed = stage === 'serving' && index === 2;
      await results.putObject(
        `dq-results/run_date=${runDate}/${stage}.json`,
        JSON.stringify(resultDocument(runDate, stage, warned, failed)),
      );
    }
  }
  return { dbFile, resultsDir, results, openWarehouse: () => DuckDbWarehouse.open(dbFile) };
}

function resultDocument(
  runDate: string,
  stage: 'transform' | 'serving',
  warned: boolean,
  failed: boolean,
): ResultDocument {
  const rule = (name: string, status: 'passed' | 'warned' | 'failed', failingRows = 0) => ({
    rule: name,
    kind: 'dbt_test' as const,
    table: stage === 'transform' ? `${TRANSFORM_SCHEMA}.sessions` : `${SERVING_SCHEMA}.fact_session_items`,
    column: 'session_id',
    severity: status === 'warned' ? ('warn' as const) : ('error' as const),
    status,
    failing_rows: failingRows,
    observed: failingRows,
    threshold: 'error if count(*) != 0; warn if count(*) != 0',
    sample_failing_keys: failingRows > 0 ? [{ session_id: `<b>bad</b>-${runDate}` }] : [],
    elapsed_ms: 3,
  });
  const rules = [
    rule(`not_null_${stage}_session_id`, 'passed'),
    rule(`unique_${stage}_session_item`, 'passed'),
    rule(`accepted_values_${stage}_currency`, 'passed'),
    rule(`relationships_${stage}_song`, warned ? 'warned' : 'passed', warned ? 3 : 0),
    rule(`relationships_${stage}_user`, failed ? 'failed' : 'passed', failed ? 12 : 0),
  ];
  return {
    schema_version: 1,
    run_date: runDate,
    stage,
    status: failed ? 'failed' : warned ? 'warned' : 'passed',
    started_at: `${runDate}T02:00:00.000Z`,
    finished_at: `${runDate}T02:00:04.000Z`,
    summary: {
      passed: rules.filter((r) => r.status === 'passed').length,
      warned: rules.filter((r) => r.status === 'warned').length,
      failed: rules.filter((r) => r.status === 'failed').length,
    },
    rules,
  };
}
