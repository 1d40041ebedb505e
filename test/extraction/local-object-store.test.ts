import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { LocalObjectStore } from '../../lib/local/adapters/local-object-store';
import { ObjectNotFoundError } from '../../lambdas/shared/object-not-found';
import { allFiles, failureOf, tempDir } from './helpers';

let dir: string;
let cleanup: () => void;
let store: LocalObjectStore;

beforeEach(() => {
  ({ dir, cleanup } = tempDir('deftunes-store-'));
  store = new LocalObjectStore(dir);
});
afterEach(() => cleanup());

describe('LocalObjectStore', () => {
  it('stores objects as files at their keys and reads them back', async () => {
    const { bytes } = await store.putStream(
      'a/b/c.txt',
      Readable.from([Buffer.from('hello '), Buffer.from('world')]),
    );
    expect(bytes).toBe(11);
    expect(readFileSync(path.join(dir, 'a', 'b', 'c.txt'), 'utf8')).toBe('hello world');
    await store.putObject('a/d.json', '{"x":1}');
    expect((await store.getObject('a/d.json')).toString()).toBe('{"x":1}');
    const chunks: Buffer[] = [];
    for await (const chunk of await store.getStream('a/b/c.txt')) chunks.push(chunk as Buffer);
    expect(Buffer.concat(chunks).toString()).toBe('hello world');
    expect(await store.exists('a/d.json')).toBe(true);
    expect(await store.exists('a/nothing')).toBe(false);
    expect(await store.exists('a/b')).toBe(false); // a directory is not an object
  });

  it('lists keys under a prefix, sorted, like S3 (prefix is a string prefix, not a directory)', async () => {
    for (const key of ['x/2/b', 'x/1/a', 'x/10/c', 'y/1', 'x-other/z']) await store.putObject(key, key);
    expect(await store.list('x/')).toEqual(['x/1/a', 'x/10/c', 'x/2/b']);
    expect(await store.list('x/1')).toEqual(['x/1/a', 'x/10/c']);
    expect(await store.list('x')).toEqual(['x-other/z', 'x/1/a', 'x/10/c', 'x/2/b']);
    expect(await store.list('')).toHaveLength(5);
    expect(await store.list('nothing/')).toEqual([]);
  });

  it('never shows a half-written object: the file appears only when the stream completed', async () => {
    await store.putObject('k/obj', 'previous version');
    const body = new PassThrough();
    const writing = store.putStream('k/obj', body);
    body.write('new version, first half ');
    await new Promise((resolve) => setTimeout(resolve, 20));
    // Mid-write: the old object is still what readers see, and listing shows no temporary file.
    expect((await store.getObject('k/obj')).toString()).toBe('previous version');
    expect(await store.list('k/')).toEqual(['k/obj']);
    body.end('second half');
    await writing;
    expect((await store.getObject('k/obj')).toString()).toBe('new version, first half second half');
    expect(allFiles(dir)).toEqual(['k/obj']);
  });

  it('a failed stream leaves the previous object intact and no temporary file', async () => {
    await store.putObject('k/obj', 'previous version');
    const body = new PassThrough();
    const writing = store.putStream('k/obj', body);
    body.write('partial ');
    setTimeout(() => body.destroy(new Error('source failed')), 10);
    await expect(writing).rejects.toThrow('source failed');
    expect((await store.getObject('k/obj')).toString()).toBe('previous version');
    expect(allFiles(dir)).toEqual(['k/obj']);
  });

  it('names the key when an object is missing', async () => {
    const error = await failureOf(store.getObject('no/such/key'));
    expect(error).toBeInstanceOf(ObjectNotFoundError);
    expect(error.message).toBe(`No object at key "no/such/key" in ${dir}`);
    await expect(store.getStream('no/such/key')).rejects.toThrow(ObjectNotFoundError);
    await expect(store.delete('no/such/key')).resolves.toBeUndefined();
  });

  it('rejects keys that could escape the root', async () => {
    for (const key of ['../x', 'a/../../x', '/etc/passwd', 'a//b', 'a\\b', '', 'a/./b', 'a/.tmp-x']) {
      await expect(store.putObject(key, 'x')).rejects.toThrow(/Invalid object key/);
    }
  });
});
