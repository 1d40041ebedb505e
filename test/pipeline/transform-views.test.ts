/**
 * The local Glue states re-point the DuckDB views of the transform schema after each job (Spectrum reads
 * the Glue catalog's current snapshot): every table's on the run's first job, then only the tables the job
 * wrote, one listing at a time, each view over the newest listing of its table.
 */
import { TRANSFORM_JOB_TABLES } from '../../lib/constructs/transform-job-specs';
import type { LocalGlue } from '../../lib/local/pipeline/local-bindings';
import { TransformViews } from '../../lib/local/pipeline/transform-views';
import { TRANSFORM_COLUMNS } from '../../lib/local/spectrum';
import { TRANSFORM_TABLES, type TransformTable } from '../../lambdas/shared/platform-names';
import { glueStateBindings } from '../fixtures/glue-bindings';

const request = { JobName: 'deployed-name', Arguments: { '--run_date': '2020-01-02' } };

/** A local Glue whose `failing` job fails after writing, and whose earlier listings take longer. */
function localGlue(failing?: string) {
  const listings: (readonly string[])[] = [];
  let listing = 0;
  let concurrent = 0;
  let mostConcurrent = 0;
  const glue: LocalGlue = {
    runJob: async (job) => {
      if (job === failing) throw new Error(`${job} failed after its first commit`);
      return { job };
    },
    // Each listing names its files after its own number, so a view shows which listing it came from.
    listDataFiles: async (tables) => {
      listings.push([...tables]);
      const number = ++listing;
      mostConcurrent = Math.max(mostConcurrent, ++concurrent);
      await new Promise((resolve) => setTimeout(resolve, Math.max(1, 20 - 5 * number)));
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

  it("re-points a failed job's tables too, and reports the job's error", async () => {
    const { bindings, listings, views } = localGlue('transform_songs');
    await bindings.TransformApi(request);
    await expect(bindings.TransformSongs(request)).rejects.toThrow(
      'transform_songs failed after its first commit',
    );
    expect(listings).toEqual([[...TRANSFORM_TABLES], [...TRANSFORM_JOB_TABLES.TransformSongs]]);
    expect(views.get('songs')).toBe('listing-2');
  });
});

describe('TransformViews', () => {
  it('refuses a listing without a file list for a table it asked for, and lists again after it', async () => {
    const transaction = jest.fn(async () => []);
    const views = new TransformViews({ query: async () => [], transaction });
    const missingUsers = async (tables: readonly string[]) =>
      Object.fromEntries(tables.filter((table) => table !== 'users').map((table) => [table, []]));
    await expect(views.refresh(missingUsers, ['users'])).rejects.toThrow(
      'the listing of the transform tables has no file list for users',
    );
    expect(transaction).not.toHaveBeenCalled();
    const everything = jest.fn(async (tables: readonly string[]) =>
      Object.fromEntries(tables.map((table) => [table, []])),
    );
    await views.refresh(everything, ['users']);
    // The failed refresh listed nothing: the next one still lists every table.
    expect(everything).toHaveBeenCalledWith(TRANSFORM_TABLES);
    expect(transaction).toHaveBeenCalledTimes(1);
  });
});
