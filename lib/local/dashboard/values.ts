/**
 * Warehouse values as the dashboard embeds them: DuckDB and the Data API hand back strings, numbers,
 * bigints or value objects; the page needs exact integers (cents, counts) and plain text.
 */

/** A warehouse value as a text (DuckDB and the Data API may hand back strings, numbers or value objects). */
export function text(value: unknown, column: string): string {
  if (value === null || value === undefined) throw new Error(`dashboard: column ${column} is null`);
  return typeof value === 'string' ? value : String(value);
}

/** A warehouse integer (number, bigint or numeric string) as a safe JavaScript integer. */
export function count(value: unknown, column: string): number {
  const number =
    typeof value === 'bigint' ? Number(value) : typeof value === 'number' ? value : Number(String(value));
  if (!Number.isSafeInteger(number)) {
    throw new Error(
      `dashboard: column ${column} holds ${String(value)}, not an integer the page can add up exactly`,
    );
  }
  return number;
}

export function decimal(value: unknown, column: string): number {
  const number = typeof value === 'number' ? value : Number(String(value));
  if (!Number.isFinite(number))
    throw new Error(`dashboard: column ${column} holds ${String(value)}, not a number`);
  return Math.round(number * 10000) / 10000;
}

export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
