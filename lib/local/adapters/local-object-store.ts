/**
 * The local stand-in for an S3 bucket: a directory whose files are the objects, at the same keys.
 * Writes go to a hidden temporary file beside the target and are renamed into place when complete, so a
 * reader never sees a half-written object and a failed write leaves the previous object (if any) intact.
 */
import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, promises as fs } from 'node:fs';
import * as path from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ObjectNotFoundError } from '../../../lambdas/shared/object-not-found';
import type { ObjectStore, PutOptions } from '../../../lambdas/shared/object-store';

/** Temporary files start with this prefix and are never listed. */
const TEMP_PREFIX = '.tmp-';

export class LocalObjectStore implements ObjectStore {
  /** @param root the directory playing the bucket (created on first write). */
  constructor(readonly root: string) {}

  async putStream(key: string, body: Readable, _options?: PutOptions): Promise<{ bytes: number }> {
    const target = this.pathOf(key);
    let bytes = 0;
    const counter = new Transform({
      transform(chunk: Buffer, _encoding, callback) {
        bytes += chunk.length;
        callback(null, chunk);
      },
    });
    await this.writeAtomically(target, (temp) => pipeline(body, counter, createWriteStream(temp)));
    return { bytes };
  }

  async putObject(key: string, body: string | Uint8Array, _options?: PutOptions): Promise<void> {
    const target = this.pathOf(key);
    await this.writeAtomically(target, (temp) => fs.writeFile(temp, body));
  }

  async getObject(key: string): Promise<Buffer> {
    try {
      return await fs.readFile(this.pathOf(key));
    } catch (error: unknown) {
      throw this.notFoundOr(error, key);
    }
  }

  async getStream(key: string): Promise<Readable> {
    const file = this.pathOf(key);
    try {
      await fs.access(file);
    } catch (error: unknown) {
      throw this.notFoundOr(error, key);
    }
    return createReadStream(file);
  }

  async exists(key: string): Promise<boolean> {
    try {
      return (await fs.stat(this.pathOf(key))).isFile();
    } catch (error: unknown) {
      if (isNotFound(error)) return false;
      throw error;
    }
  }

  async list(prefix: string): Promise<string[]> {
    const keys: string[] = [];
    const walk = async (dir: string, keyPrefix: string): Promise<void> => {
      let entries;
      try {
        entries = await fs.readdir(dir, { withFileTypes: true });
      } catch (error: unknown) {
        if (isNotFound(error)) return;
        throw error;
      }
      for (const entry of entries) {
        if (entry.name.startsWith(TEMP_PREFIX)) continue;
        const key = `${keyPrefix}${entry.name}`;
        if (entry.isDirectory()) {
          // Descend only where keys under `prefix` can be.
          if (`${key}/`.startsWith(prefix) || prefix.startsWith(`${key}/`))
            await walk(path.join(dir, entry.name), `${key}/`);
        } else if (entry.isFile() && key.startsWith(prefix)) {
          keys.push(key);
        }
      }
    };
    await walk(this.root, '');
    return keys.sort();
  }

  async delete(key: string): Promise<void> {
    await fs.rm(this.pathOf(key), { force: true });
  }

  /** The file of `key`; rejects keys that would escape the root or could not be S3 keys. */
  pathOf(key: string): string {
    const segments = key.split('/');
    if (
      key === '' ||
      key.startsWith('/') ||
      key.includes('\\') ||
      segments.some((segment) => segment === '' || segment === '.' || segment === '..')
    ) {
      throw new Error(
        `Invalid object key "${key}": keys are relative, '/'-separated, without empty, '.' or '..' segments`,
      );
    }
    if (segments.some((segment) => segment.startsWith(TEMP_PREFIX))) {
      throw new Error(`Invalid object key "${key}": segments starting with "${TEMP_PREFIX}" are reserved`);
    }
    return path.join(this.root, ...segments);
  }

  private async writeAtomically(target: string, write: (temp: string) => Promise<void>): Promise<void> {
    await fs.mkdir(path.dirname(target), { recursive: true });
    const temp = path.join(
      path.dirname(target),
      `${TEMP_PREFIX}${randomBytes(6).toString('hex')}-${path.basename(target)}`,
    );
    try {
      await write(temp);
      await fs.rename(temp, target);
    } catch (error: unknown) {
      await fs.rm(temp, { force: true });
      throw error;
    }
  }

  private notFoundOr(error: unknown, key: string): unknown {
    if (isNotFound(error)) return new ObjectNotFoundError(key, this.root, error);
    return error;
  }
}

function isNotFound(error: unknown): boolean {
  return (error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT';
}
