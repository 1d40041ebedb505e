/**
 * Every Redshift-only construct the Data API fake accepts on Postgres, in ONE place. The fake runs the SQL
 * the project sends to Redshift on real Postgres (PGlite); whatever is not listed here reaches Postgres
 * unchanged and fails there when Postgres does not know it. The list is kept to what the redshift serving
 * plan and `lambdas/serving-load/` (load.ts and materializations/) actually use, and each entry must leave Postgres as strict as
 * Redshift or stricter, so that SQL passing on the fake is not thereby shown to be wrong on Redshift.
 *
 * | Redshift | on Postgres | why it is safe |
 * | --- | --- | --- |
 * | `varchar(max)` | `varchar` (unbounded) | Redshift's `max` is 65535 bytes; Postgres' bare varchar has no limit. Only texts over 64 KB would pass here and fail there: the plan casts ids, keys and failure counts. |
 * | `create view ... with no schema binding` (late-binding view) | the clause is removed; the view is recorded in `redshift_fake.late_binding_views` (same transaction) | Postgres has no late binding: its views bind to the tables' oids. The next two rows give the late-binding behaviour the plan relies on (table swap under a view) and nothing more. |
 * | `drop table T` (or `drop table T, U, ...`) while views created late-binding depend on them | `drop table ... cascade`, only when EVERY view that depends on a listed table directly was created late-binding | Redshift drops T and keeps late-binding views (they fail at query time until T is back). A schema-bound view on T still makes the drop fail, as on Redshift. |
 * | a recorded late-binding view that no longer exists (dropped by the rule above) | created again from its recorded text at the end of each transaction, when its tables exist again | Redshift's view never went away. When the tables are still missing it stays absent: querying it fails, as querying the broken late-binding view fails on Redshift. |
 * | `dateadd(day\|year, n, x)`, `datediff(day, a, b)` (date part as a bare word) | date part quoted (`dateadd('day', ...)`) and SQL functions `dateadd(text, bigint, timestamp)`, `datediff(text, timestamp, timestamp)` created at start-up | Same results for the parts implemented (`dateadd` day and year: interval arithmetic, and the plan adds years to 1 January only, away from leap-day rules; `datediff` day: difference of the dates, i.e. day boundaries crossed, as Redshift counts them). Any other date part raises an error naming this file. Both return `timestamp` / `bigint` as on Redshift. |
 * | `regexp_replace(s, pattern, replacement)` replaces every match | `redshift_fake.regexp_replace(s, pattern, replacement)`, a SQL function calling Postgres' `regexp_replace` with the `g` flag | Postgres replaces only the first match unless given `g`; Redshift's third argument is the last one that means the same on both (its fourth is a position), and a call with more arguments finds no function and fails. |
 * | `drop view [if exists] a, b, ...` | unchanged; every listed view is forgotten as late-binding | Postgres drops a list of views as Redshift does. |
 * | `date_trunc(part, <date>)` returns `timestamp` | a `date_trunc(text, date) returns timestamp` overload created at start-up | Postgres resolves `date_trunc` on a date to its `timestamp with time zone` variant, which no Redshift function returns (and `dateadd` above takes `timestamp`). Values are equal (the session time zone is UTC). |
 *
 * Statement-level behaviours of the Data API that the fake reproduces (in data-api-fake.ts, not rewrites):
 * named `:name` parameters bound as untyped text (`$n`, Postgres infers the type as Redshift does), and
 * each statement or batch running in its own session: temporary tables are discarded after it.
 *
 * "Stricter or equal" holds for the constructs in the table, NOT for SQL as a whole. Postgres accepts
 * things Redshift refuses, and this fake lets them through (the conformance check,
 * test/redshift/conformance.test.ts, judges the SQL texts against Redshift's dialect instead):
 * - reserved words: Redshift reserves more (e.g. `snapshot`, `nulls`, `open`, `tag`) and refuses them as
 *   bare identifiers; Postgres accepts them;
 * - Postgres-only syntax and functions: `filter (where ...)`, `distinct on`, `lateral`, arrays, jsonb,
 *   `generate_series` over tables, `string_agg`, `pg_typeof` and other catalog functions;
 * - limits: identifiers over 127 bytes, texts over 65535 bytes, `text` as an unbounded type;
 * - the leader node / compute node split (leader-only functions joined with tables).
 */
import { stripQuoted } from '../../../lambdas/shared/serving-plan';

/** Schema of the fake's own bookkeeping (never used by the project). */
export const FAKE_SCHEMA = 'redshift_fake';

/** Run once per database at start-up: the functions and bookkeeping the table above refers to. */
export const REDSHIFT_COMPATIBILITY_SQL = `
create schema ${FAKE_SCHEMA};
create table ${FAKE_SCHEMA}.late_binding_views (relation text primary key, create_sql text not null);

create function public.dateadd(part text, amount bigint, value timestamp) returns timestamp
language plpgsql immutable strict as $$
begin
  case lower(part)
    when 'day' then return value + amount * interval '1 day';
    when 'year' then return value + amount * interval '1 year';
    else raise exception 'dateadd: date part "%" is not translated for Postgres (test/redshift/fake/redshift-dialect.ts)', part;
  end case;
end $$;

create function public.datediff(part text, start_value timestamp, end_value timestamp) returns bigint
language plpgsql immutable strict as $$
begin
  case lower(part)
    when 'day' then return cast(end_value as date) - cast(start_value as date);
    else raise exception 'datediff: date part "%" is not translated for Postgres (test/redshift/fake/redshift-dialect.ts)', part;
  end case;
end $$;

create function ${FAKE_SCHEMA}.regexp_replace(value text, pattern text, replacement text) returns text
language sql immutable strict as $$ select pg_catalog.regexp_replace(value, pattern, replacement, 'g') $$;

create function public.date_trunc(part text, value date) returns timestamp
language sql immutable strict as $$ select pg_catalog.date_trunc(part, cast(value as timestamp)) $$;
`;

/** A relation name as written: `name`, `"name"`, `schema.name` with either part quoted. */
const RELATION = String.raw`(?:"(?:[^"]|"")+"|[A-Za-z_][\w$]*)(?:\s*\.\s*(?:"(?:[^"]|"")+"|[A-Za-z_][\w$]*))?`;

/** What the fake must do around a statement beyond running its translated text. */
export interface TranslatedStatement {
  /** The statement for Postgres. */
  readonly sql: string;
  /** Relation of a `create view ... with no schema binding` (record it as late-binding). */
  readonly lateBindingView?: string;
  /** Relations of a `drop table` (cascade to late-binding views only, see the table above). */
  readonly droppedTables?: readonly string[];
  /** Relations of a `drop view` (forget them as late-binding). */
  readonly droppedViews?: readonly string[];
}

/**
 * The SQL with string literals and comments blanked out (same length). Quoted identifiers stay: relation
 * names are read from the masked text.
 */
function maskLiterals(sql: string): string {
  return sql.replace(/"(?:[^"]|"")*"|'(?:[^']|'')*'|--[^\n]*|\/\*[\s\S]*?\*\//g, (part) =>
    part.startsWith('"') ? part : ' '.repeat(part.length),
  );
}

/**
 * Replaces `pattern` matches found outside string literals, quoted identifiers and comments (the pattern
 * runs on the masked text; replacements are applied to the original at the same positions).
 */
function replaceOutsideQuotes(
  sql: string,
  pattern: RegExp,
  replace: (groups: readonly string[]) => string,
): string {
  let output = '';
  let last = 0;
  for (const match of stripQuoted(sql).matchAll(new RegExp(pattern.source, `${pattern.flags}g`))) {
    output += sql.slice(last, match.index) + replace(match);
    last = match.index + match[0].length;
  }
  return output + sql.slice(last);
}

/** The rewrites of the table above that apply inside any statement. */
export function translateExpressions(sql: string): string {
  const withoutMax = replaceOutsideQuotes(sql, /\bvarchar\s*\(\s*max\s*\)/i, () => 'varchar');
  const replaceAll = replaceOutsideQuotes(
    withoutMax,
    /(?<![.\w])regexp_replace(\s*\()/i,
    ([, open]) => `${FAKE_SCHEMA}.regexp_replace${open}`,
  );
  return replaceOutsideQuotes(
    replaceAll,
    /\b(dateadd|datediff)(\s*\(\s*)([A-Za-z]+)(\s*,)/i,
    ([, name, open, part, comma]) => `${name}${open}'${part.toLowerCase()}'${comma}`,
  );
}

const CREATE_LATE_BINDING_VIEW = new RegExp(
  String.raw`^\s*create\s+view\s+(${RELATION})\s+as\s[\s\S]*?(\s+with\s+no\s+schema\s+binding)\s*;?\s*$`,
  'id',
);
const DROP_TABLE = new RegExp(
  String.raw`^\s*drop\s+table\s+(?:if\s+exists\s+)?(${RELATION}(?:\s*,\s*${RELATION})*)\s*;?\s*$`,
  'i',
);
const DROP_VIEW = new RegExp(
  String.raw`^\s*drop\s+view\s+(?:if\s+exists\s+)?(${RELATION}(?:\s*,\s*${RELATION})*)\s*;?\s*$`,
  'i',
);

/** Translates one statement and says which late-binding bookkeeping it needs. */
export function translateStatement(sql: string): TranslatedStatement {
  const translated = translateExpressions(sql);
  const masked = maskLiterals(translated);
  const view = CREATE_LATE_BINDING_VIEW.exec(masked);
  if (view?.indices?.[2]) {
    const [clauseStart, clauseEnd] = view.indices[2];
    return {
      sql: translated.slice(0, clauseStart) + translated.slice(clauseEnd),
      lateBindingView: view[1],
    };
  }
  const dropTable = DROP_TABLE.exec(masked);
  if (dropTable) {
    const droppedTables = [...dropTable[1].matchAll(new RegExp(RELATION, 'g'))].map((match) => match[0]);
    return { sql: translated, droppedTables };
  }
  const dropView = DROP_VIEW.exec(masked);
  if (dropView) {
    const droppedViews = [...dropView[1].matchAll(new RegExp(RELATION, 'g'))].map((match) => match[0]);
    return { sql: translated, droppedViews };
  }
  return { sql: translated };
}
