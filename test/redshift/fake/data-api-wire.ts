/**
 * What the fake Data API (data-api-fake.ts) checks and sends on the wire, as the real service does: its
 * request limits and validation errors (the SDK's exception classes) and the typed result fields it maps
 * from Postgres types the way the Data API maps Redshift's, in pages chained by NextToken.
 */
import {
  ColumnMetadata,
  Field,
  ResourceNotFoundException,
  SqlParameter,
  ValidationException,
} from '@aws-sdk/client-redshift-data';
import { namedParameters } from '../../../lambdas/shared/serving-plan';
import type { SessionField, SessionResult } from './pglite-session';

/** Data API limit on one SQL text (bytes). */
export const DATA_API_MAX_SQL_BYTES = 100 * 1024;
/** Data API limit on the Sqls of one BatchExecuteStatement. */
export const DATA_API_MAX_BATCH_SQLS = 40;

export function validation(message: string): ValidationException {
  return new ValidationException({ message, Message: message, $metadata: {} });
}

export function notFound(message: string, id: string): ResourceNotFoundException {
  return new ResourceNotFoundException({ message, Message: message, ResourceId: id, $metadata: {} });
}

/** The request's Database: required, and the one database the fake serves. */
export function checkDatabase(database: string | undefined, served: string): void {
  if (!database) throw validation('Database is required');
  if (database !== served) throw validation(`database "${database}" does not exist`);
}

/** One SQL text: not empty, at most 100 KB. `what` names it in the error (`Sql`, `Sqls[3]`). */
export function checkSql(sql: string | undefined, what: string): void {
  if (!sql || sql.trim() === '') throw validation(`${what} must not be empty`);
  const bytes = Buffer.byteLength(sql, 'utf8');
  if (bytes > DATA_API_MAX_SQL_BYTES) {
    throw validation(`${what} is ${bytes} bytes; the maximum query statement size is 100 KB`);
  }
}

/** Named parameters: valid names, non-empty values, each referenced by one of the SQL texts. */
export function checkParameters(
  parameters: readonly SqlParameter[],
  sqls: readonly string[],
): SqlParameter[] {
  const used = new Set(sqls.flatMap(namedParameters));
  for (const parameter of parameters) {
    if (!parameter.name || !/^[0-9A-Za-z_]+$/.test(parameter.name))
      throw validation(`invalid parameter name "${parameter.name ?? ''}"`);
    if (parameter.value === undefined || parameter.value === '')
      throw validation(`parameter "${parameter.name}" has an empty value; values must be non-empty strings`);
    if (!used.has(parameter.name))
      throw validation(`parameter "${parameter.name}" is not referenced by the SQL`);
  }
  return [...parameters];
}

/** Data API types as Redshift names them, by Postgres type oid. */
const TYPE_NAMES: Readonly<Record<number, string>> = {
  16: 'bool',
  20: 'int8',
  21: 'int2',
  23: 'int4',
  25: 'text',
  700: 'float4',
  701: 'float8',
  1042: 'bpchar',
  1043: 'varchar',
  1082: 'date',
  1114: 'timestamp',
  1184: 'timestamptz',
  1700: 'numeric',
};
const LONG_TYPES = new Set([20, 21, 23]);
const DOUBLE_TYPES = new Set([700, 701]);
const BOOLEAN_TYPE = 16;

/** One Postgres text value as the Data API field Redshift would send for its type. */
export function fieldOf(text: string | null, field: SessionField): Field {
  if (text === null) return { isNull: true };
  if (LONG_TYPES.has(field.dataTypeID)) return { longValue: Number(text) };
  if (DOUBLE_TYPES.has(field.dataTypeID)) return { doubleValue: Number(text) };
  if (field.dataTypeID === BOOLEAN_TYPE) return { booleanValue: text === 't' };
  return { stringValue: text };
}

function columnMetadataOf(field: SessionField): ColumnMetadata {
  return {
    name: field.name,
    label: field.name,
    typeName: TYPE_NAMES[field.dataTypeID] ?? `oid ${field.dataTypeID}`,
  };
}

/** One GetStatementResult page of `result` from row `offset`, with a NextToken when rows remain. */
export function resultPage(result: SessionResult, statementId: string, offset: number, pageSize: number) {
  const rows = result.rows.slice(offset, offset + pageSize);
  const fields = result.fields;
  const next = offset + rows.length;
  return {
    ColumnMetadata: fields.map(columnMetadataOf),
    Records: rows.map((row) => row.map((value, index) => fieldOf(value, fields[index]))),
    TotalNumRows: result.rows.length,
    ...(next < result.rows.length
      ? { NextToken: Buffer.from(JSON.stringify({ id: statementId, offset: next })).toString('base64') }
      : {}),
  };
}

/** The row offset a NextToken of `statementId` stands for; a token of another statement is refused. */
export function offsetOfPageToken(token: string, statementId: string): number {
  try {
    const decoded = JSON.parse(Buffer.from(token, 'base64').toString('utf8')) as {
      id: string;
      offset: number;
    };
    if (decoded.id === statementId && Number.isInteger(decoded.offset)) return decoded.offset;
  } catch {
    // fall through
  }
  throw validation(`invalid NextToken for query ${statementId}`);
}
