/**
 * Redshift's late-binding views (`WITH NO SCHEMA BINDING`) on Postgres, for the fake Data API: Postgres
 * binds every view to its tables, so the fake records each late-binding view's CREATE in
 * `<FAKE_SCHEMA>.late_binding_views`, drops such views with their tables (`cascade`), and recreates them
 * once their tables exist again, as Redshift would resolve them at query time (see redshift-dialect.ts).
 */
import type { PgliteSession } from './pglite-session';
import { FAKE_SCHEMA } from './redshift-dialect';

/** `schema.name` with both parts quoted, or null when the relation does not exist. */
export async function canonicalName(session: PgliteSession, relation: string): Promise<string | null> {
  const { rows } = await session.query(
    "select format('%I.%I', n.nspname, c.relname) from pg_class c join pg_namespace n on n.oid = c.relnamespace where c.oid = to_regclass($1)",
    [relation],
  );
  return rows[0]?.[0] ?? null;
}

/** True when views depend on the tables and every one of them was created late-binding. */
export async function onlyLateBindingViewsDependOn(
  session: PgliteSession,
  tables: readonly string[],
): Promise<boolean> {
  const { rows } = await session.query(
    `select bool_and(exists (select 1 from ${FAKE_SCHEMA}.late_binding_views l where l.relation = format('%I.%I', n.nspname, v.relname)))
     from pg_depend d join pg_rewrite r on r.oid = d.objid join pg_class v on v.oid = r.ev_class
     join pg_namespace n on n.oid = v.relnamespace
     where d.refobjid = any (select to_regclass(t) from unnest(string_to_array($1, ',')) as t) and v.oid <> d.refobjid`,
    [tables.join(',')],
  );
  return rows[0]?.[0] === 't';
}

/** Records (or replaces) a late-binding view's CREATE, by its canonical name. */
export async function rememberLateBindingView(
  session: PgliteSession,
  relation: string,
  createSql: string,
): Promise<void> {
  await session.query(
    `insert into ${FAKE_SCHEMA}.late_binding_views (relation, create_sql) values ($1, $2) ` +
      'on conflict (relation) do update set create_sql = excluded.create_sql',
    [(await canonicalName(session, relation))!, createSql],
  );
}

/** Forgets views dropped on purpose (canonical names), so they do not come back. */
export async function forgetLateBindingViews(
  session: PgliteSession,
  relations: readonly string[],
): Promise<void> {
  for (const relation of relations) {
    await session.query(`delete from ${FAKE_SCHEMA}.late_binding_views where relation = $1`, [relation]);
  }
}

/** Late-binding views dropped with their tables come back when they compile again. */
export async function restoreLateBindingViews(session: PgliteSession): Promise<void> {
  const { rows } = await session.query(
    `select create_sql from ${FAKE_SCHEMA}.late_binding_views where to_regclass(relation) is null`,
  );
  for (const [createSql] of rows) {
    await session.query('savepoint restore_late_binding_view');
    try {
      await session.query(createSql!);
      await session.query('release savepoint restore_late_binding_view');
    } catch {
      // Its tables are still missing: it stays absent, and querying it fails as on Redshift.
      await session.query('rollback to savepoint restore_late_binding_view');
    }
  }
}
