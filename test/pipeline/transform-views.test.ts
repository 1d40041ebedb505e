/**
 * The local Glue states re-point the DuckDB views of the transform schema after each job (Spectrum reads
 * the Glue catalog's current snapshot): every table's on the run's first job, then only the tables the job
 * wrote, one listing at a time, each view over the newest listing of its table.
 */
import { TRANSFORM_JOB_TABLES } from '../../lib/constructs/transform-job-specs';
import type { LocalGlue } from '../../lib/local/pipeline/local-bindings';
import { TRANSFORM_COLUMNS } from '../../lib/local/spectrum';
import { TRANSFORM_TABLES, type TransformTable } from '../../lambdas/shared/platform-names';
import { glueStateBindings } from '../fixtures/glue-bindings';

const request = { JobName: 'deployed-name', Arguments: { '--run_date': '2020-01-02' } };

function localGlue() {
  const listings: (readonly string[])[] = [];
  let listing = 0;
  let concurrent = 0;
  let mostConcurrent = 0;
  const glue: LocalGlue = {
    runJob: async (job) => ({ job }),
    // Each listing names its files after its own number, so a view shows which listing it came from.
    listDataFiles: async (tables) => {
      listings.push([...tables]);
      const number = ++listing;
      mostConcurrent = Math.max(mostConcurrent, ++concurrent);
      await new Promise((resolve) => setTimeout(resolve, 5));
      concurrent--;
      return Object.fromEntries(tables.map((table) => [table, [`/w/${table}/listing-${number}.parquet`]]));
    },
  };
  const views = new Map<string, string>();
  const bindings = glueStateBindings(glue, {
    // DESCRIBE of a table's files: the table's own columns and types.
    query: async <T>(sql: string) => {
      const table = /\/w\/([a-z_]+)\//.exec(sql)?.[1] as TransformTable;
      return TRANSFORM_COLUMNS[table].map(
        ([column_name, column_type]) => ({ column_name, column_type }) as T,
      );
    },
    transaction: async (statements) => {
      for (const { sql } of statements) {
        const view = /VIEW deftunes_transform\."([a-z_]+)" AS (.*)$/s.exec(sql);
        if (view) views.set(view[1], /listing-\d+/.exec(view[2])?.[0] ?? 'empty');
      }
      return [];
    },
  });
  return { bindings, listings, views, mostConcurrent: () => mostConcurrent };
}

describe('the transform views, locally', () => {
  it("lists every table after the run's first job, then the tables each job wrote", async () => {
    const { bindings, listings, views } = localGlue();
    await bindings.TransformListens(request);
    await bindings.TransformApi(request);
    expect(listings).toEqual([[...TRANSFORM_TABLES], [...TRANSFORM_JOB_TABLES.TransformApi]]);
    expect(Object.fromEntries(views)).toEqual({
      users: 'listing-2',
      sessions: 'listing-2',
      quarantine: 'listing-2',
      songs: 'listing-1',
      concerts: 'listing-1',
      concert_windows: 'listing-1',
      artist_stats: 'listing-1',
      listens: 'listing-1',
    });
  });

  it('lists one job at a time when jobs finish together, and ends on the newest listing', async () => {
    const { bindings, listings, views, mostConcurrent } = localGlue();
    await Promise.all([
      bindings.TransformSongs(request),
      bindings.TransformEnrichment(request),
      bindings.TransformApi(request),
    ]);
    expect(mostConcurrent()).toBe(1);
    expect(listings).toHaveLength(3);
    // The quarantine, which every job writes, shows the last listing.
    expect(views.get('quarantine')).toBe('listing-3');
  });
});
