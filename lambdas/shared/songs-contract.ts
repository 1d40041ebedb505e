/**
 * The songs contract of `songs-contract.json` as code: which Postgres types each column of `deftunes.songs`
 * may have, and how a value of those types becomes the landed JSON value.
 *
 * node-postgres returns int2/int4/float4/float8 as numbers but int8 and numeric as strings (they may not fit
 * a double). Those strings are converted here only when nothing is lost: an int within the Glue `int` range,
 * a numeric whose decimal value a double holds exactly. Anything else (out of range, NaN, Infinity, more
 * digits than a double holds) stays text in the row and {@link songContractProblems} names it, so the row
 * is quarantined with its original value rather than landed rounded, wrapped or as `null`.
 */
import * as z from './zod';
import contractDocument from './songs-contract.json';

const KindSchema = z.enum(['text', 'float', 'int']);
export type SongColumnKind = z.infer<typeof KindSchema>;

const PostgresTypesSchema = z.array(z.string().check(z.minLength(1))).check(z.minLength(1));

const SongsContractSchema = z.object({
  table: z.string().check(z.regex(/^[a-z_]+\.[a-z_]+$/)),
  kinds: z.object({
    text: z.object({ postgres: PostgresTypesSchema, glue: z.literal('string') }),
    float: z.object({ postgres: PostgresTypesSchema, glue: z.literal('double') }),
    int: z.object({
      postgres: PostgresTypesSchema,
      glue: z.literal('int'),
      min: z.number().check(z.int()),
      max: z.number().check(z.int()),
    }),
  }),
  columns: z
    .array(
      z.object({
        name: z.string().check(z.regex(/^[a-z_][a-z0-9_]*$/)),
        kind: KindSchema,
        check: z.optional(
          z.strictObject({
            greater_than: z.optional(z.number()),
            min: z.optional(z.number()),
            max: z.optional(z.number()),
            unknown: z.optional(z.number()),
          }),
        ),
      }),
    )
    .check(z.minLength(1)),
});

/** The bounds of a column's values; a landed value outside them is bad catalog data. */
export type SongValueCheck = NonNullable<z.infer<typeof SongsContractSchema>['columns'][number]['check']>;

/** The contract, checked when the module loads so a malformed file fails every test at once. */
export const SONGS_CONTRACT = SongsContractSchema.parse(contractDocument);

/** A column as the database declares it: its name and its type's `pg_type` name (`udt_name`). */
export interface DeclaredColumn {
  readonly name: string;
  readonly type: string;
}

/** The table's shape is outside the contract: a data problem upstream, which a retry cannot fix. */
export class SongsContractError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SongsContractError';
  }
}

/** Throws a {@link SongsContractError} naming every contract column that is missing or of another type. */
export function checkSongColumnTypes(declared: readonly DeclaredColumn[]): void {
  const types = new Map(declared.map((column) => [column.name, column.type]));
  const problems = SONGS_CONTRACT.columns.flatMap(({ name, kind }) => {
    const type = types.get(name);
    const accepted = SONGS_CONTRACT.kinds[kind].postgres;
    if (type === undefined) return [`column ${name} is missing`];
    if (accepted.includes(type)) return [];
    return [`column ${name} has type ${type}; the contract's ${kind} columns accept ${accepted.join(', ')}`];
  });
  if (problems.length > 0) {
    throw new SongsContractError(
      `${SONGS_CONTRACT.table} does not match the songs contract: ${problems.join('; ')}`,
    );
  }
}

/** A value in the contract's form, or why it has none. */
export type SongValue = { readonly value: string | number | null } | { readonly problem: string };

const INTEGER_TEXT = /^-?\d+$/;
/** Postgres numeric output (and JSON number) syntax; NaN and Infinity are not numbers here. */
const DECIMAL_TEXT = /^(-?)(\d*)\.?(\d*)(?:[eE]([+-]?\d+))?$/;

/** `digits e exponent` with no leading or trailing zero: equal for equal decimal values. */
function canonicalDecimal(text: string): string {
  const [, sign, whole, fraction, exponent] = DECIMAL_TEXT.exec(text) ?? [];
  const digits = `${whole ?? ''}${fraction ?? ''}`.replace(/^0+/, '');
  if (digits === '') return '0';
  const significant = digits.replace(/0+$/, '');
  const shift = Number(exponent ?? 0) - (fraction ?? '').length + (digits.length - significant.length);
  return `${sign}${significant}e${shift}`;
}

function intValue(raw: number | string): SongValue {
  const { min, max } = SONGS_CONTRACT.kinds.int;
  const outside = { problem: `is outside the int range [${min}, ${max}]` };
  if (typeof raw === 'number') {
    if (!Number.isInteger(raw)) return { problem: 'is not an integer' };
    return raw >= min && raw <= max ? { value: raw } : outside;
  }
  if (!INTEGER_TEXT.test(raw)) return { problem: 'is not an integer' };
  const big = BigInt(raw);
  return big >= BigInt(min) && big <= BigInt(max) ? { value: Number(big) } : outside;
}

function floatValue(raw: number | string): SongValue {
  const notFinite = { problem: 'is not a finite number' };
  if (typeof raw === 'number') return Number.isFinite(raw) ? { value: raw } : notFinite;
  if (raw.trim() !== raw || !DECIMAL_TEXT.test(raw) || !/\d/.test(raw)) return notFinite;
  const double = Number(raw);
  if (!Number.isFinite(double)) return { problem: 'is beyond the double range' };
  if (canonicalDecimal(raw) !== canonicalDecimal(String(double))) {
    return { problem: `has more digits than a double holds (nearest double ${double})` };
  }
  return { value: double };
}

/** The landed value of one column's raw value (as node-postgres returns it), or why it cannot land. */
export function songValue(kind: SongColumnKind, raw: unknown): SongValue {
  if (raw === null || raw === undefined) return { value: null };
  if (kind === 'text') return typeof raw === 'string' ? { value: raw } : { problem: 'is not text' };
  if (typeof raw !== 'number' && typeof raw !== 'string') return { problem: `is not a ${kind}` };
  return kind === 'int' ? intValue(raw) : floatValue(raw);
}

/**
 * The row in the contract's form: convertible values converted, the others kept as text (`NaN` stays
 * `"NaN"` rather than becoming JSON `null`) for {@link songContractProblems} to name. Columns outside
 * the contract are dropped (the extractor selects only contract columns anyway).
 */
export function normalizeSongRow(row: Readonly<Record<string, unknown>>): Record<string, unknown> {
  return Object.fromEntries(
    SONGS_CONTRACT.columns.map(({ name, kind }) => {
      const raw = row[name];
      const converted = songValue(kind, raw);
      return [name, 'value' in converted ? converted.value : typeof raw === 'number' ? String(raw) : raw];
    }),
  );
}

/** Why a landed value breaks its column's check, or undefined when it passes (null always passes). */
export function checkProblem(check: SongValueCheck | undefined, value: unknown): string | undefined {
  if (check === undefined || typeof value !== 'number' || value === check.unknown) return undefined;
  if (check.greater_than !== undefined && !(value > check.greater_than))
    return `is not > ${check.greater_than}`;
  if ((check.min !== undefined && value < check.min) || (check.max !== undefined && value > check.max)) {
    const unknown = check.unknown === undefined ? '' : ` nor ${check.unknown} (unknown)`;
    return `is neither in [${check.min ?? '-inf'}, ${check.max ?? 'inf'}]${unknown}`;
  }
  return undefined;
}

/**
 * `column: value problem` for every value of the row that is not in the contract's form or breaks its
 * column's check (bad catalog data: quarantined, so one row cannot fail every day's quality gate).
 */
export function songContractProblems(row: Readonly<Record<string, unknown>>): string[] {
  return SONGS_CONTRACT.columns.flatMap(({ name, kind, check }) => {
    const converted = songValue(kind, row[name]);
    const problem = 'problem' in converted ? converted.problem : checkProblem(check, converted.value);
    return problem === undefined ? [] : [`${name}: ${String(row[name])} ${problem}`];
  });
}
