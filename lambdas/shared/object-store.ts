/**
 * The object store the handlers write the lake through: S3 in AWS, a local directory with the same keys
 * locally. Keys are relative to the zone (bucket) the store was opened on.
 */
import type { Readable } from 'node:stream';

export interface PutOptions {
  /** @default 'application/octet-stream' */
  readonly contentType?: string;
  /** e.g. 'gzip' for gzipped JSON lines. @default none */
  readonly contentEncoding?: string;
}

export interface ObjectStore {
  /** Streams `body` to `key`, replacing any object there; resolves with the bytes written. */
  putStream(key: string, body: Readable, options?: PutOptions): Promise<{ bytes: number }>;
  /** Writes a small object whole, replacing any object there. */
  putObject(key: string, body: string | Uint8Array, options?: PutOptions): Promise<void>;
  /** Reads a whole object; rejects with an error naming the key when it does not exist. */
  getObject(key: string): Promise<Buffer>;
  /** Reads an object as a stream. */
  getStream(key: string): Promise<Readable>;
  /** Whether an object exists at `key`. */
  exists(key: string): Promise<boolean>;
  /** Keys under `prefix`, sorted. */
  list(prefix: string): Promise<string[]>;
  /** Removes `key`; no error when it does not exist. */
  delete(key: string): Promise<void>;
}
