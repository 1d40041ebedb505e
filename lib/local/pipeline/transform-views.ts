/**
 * The DuckDB views of the transform schema, kept on the tables' current data files as the local Glue jobs
 * write them (in AWS, Spectrum reads the Glue catalog's current snapshot: nothing to keep).
 */
import type { Warehouse } from '../../../lambdas/shared/warehouse';
import { TRANSFORM_TABLES, type TransformTable } from '../../../lambdas/shared/platform-names';
import { createTransformViews, type TransformDataFiles } from '../spectrum';

/** Lists the current data files of the given tables ([] for a table not created yet). */
export type ListDataFiles = (tables: readonly TransformTable[]) => Promise<Record<string, string[]>>;

/**
 * Re-creates the views after a job from the newest listing of each table: every table's on the first
 * refresh of a run, then only the tables the job writes (nothing else writes them during a run: the
 * runner holds the data directory). One refresh at a time, so an older listing never replaces a newer one.
 */
export class TransformViews {
  private readonly files: TransformDataFiles = {};
  private listed = false;
  private last: Promise<void> = Promise.resolve();

  constructor(private readonly warehouse: Pick<Warehouse, 'query' | 'transaction'>) {}

  refresh(listDataFiles: ListDataFiles, written: readonly TransformTable[]): Promise<void> {
    const next = this.last.then(async () => {
      const tables = this.listed ? written : TRANSFORM_TABLES;
      const listing = await listDataFiles(tables);
      for (const table of tables) {
        const files = listing[table];
        if (!Array.isArray(files) || files.some((file) => typeof file !== 'string'))
          throw new Error(`the listing of the transform tables has no file list for ${table}`);
        this.files[table] = files;
      }
      this.listed = true;
      await createTransformViews(this.warehouse, this.files);
    });
    this.last = next.catch(() => undefined);
    return next;
  }
}
