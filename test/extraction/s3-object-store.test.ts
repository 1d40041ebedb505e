import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  NoSuchKey,
  NotFound,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { gunzipSync } from 'node:zlib';
import { runExtractApi } from '../../lambdas/extract-api/extract-api';
import { landingDataKey, landingManifestKey, quarantineKey } from '../../lambdas/shared/landing-keys';
import { ObjectNotFoundError } from '../../lambdas/shared/object-not-found';
import { S3ObjectStore } from '../../lambdas/shared/s3-object-store';
import { chunked, failureOf, noSleep, scriptedFetch, session } from './helpers';

const s3 = mockClient(S3Client);
const BUCKET = 'deftunes-landing-test';
const RUN_DATE = '2020-02-01';
const MiB = 1024 * 1024;

function store(): S3ObjectStore {
  return new S3ObjectStore({ client: new S3Client({ region: 'us-east-1' }), bucket: BUCKET });
}

/** Collects the bytes of every UploadPart and PutObject body, per key. */
async function bodyBytes(body: unknown): Promise<Buffer> {
  if (typeof body === 'string') return Buffer.from(body);
  if (body instanceof Uint8Array) return Buffer.from(body);
  const chunks: Buffer[] = [];
  for await (const chunk of body as AsyncIterable<Uint8Array>) chunks.push(Buffer.from(chunk));
  return Buffer.concat(chunks);
}

beforeEach(() => {
  s3.reset();
});

describe('S3ObjectStore', () => {
  it('streams a large body as a multipart upload in 8 MiB parts, without encryption headers (bucket default)', async () => {
    s3.on(CreateMultipartUploadCommand).resolves({ UploadId: 'upload-1' });
    const parts: Buffer[] = [];
    s3.on(UploadPartCommand).callsFake(async (input: { Body: unknown; PartNumber: number }) => {
      parts[input.PartNumber - 1] = await bodyBytes(input.Body);
      return { ETag: `"etag-${input.PartNumber}"` };
    });
    s3.on(CompleteMultipartUploadCommand).resolves({});
    const data = randomBytes(20 * MiB);
    // Many small chunks, as a gzip stream produces them: the store must not need the whole body.
    const body = Readable.from(
      (function* () {
        for (let i = 0; i < data.length; i += 64 * 1024) yield data.subarray(i, i + 64 * 1024);
      })(),
    );

    const result = await store().putStream('api/sessions/ingest_on=2020-02-01/sessions.jsonl.gz', body, {
      contentType: 'application/gzip',
    });

    expect(result.bytes).toBe(data.length);
    expect(s3).toHaveReceivedCommandTimes(CreateMultipartUploadCommand, 1);
    expect(s3).toHaveReceivedCommandWith(CreateMultipartUploadCommand, {
      Bucket: BUCKET,
      Key: 'api/sessions/ingest_on=2020-02-01/sessions.jsonl.gz',
      ContentType: 'application/gzip',
    });
    const create = s3.commandCalls(CreateMultipartUploadCommand)[0].args[0].input;
    expect(create.ServerSideEncryption).toBeUndefined();
    expect(create.SSEKMSKeyId).toBeUndefined();
    expect(s3).toHaveReceivedCommandTimes(UploadPartCommand, 3);
    expect(parts.map((part) => part.length)).toEqual([8 * MiB, 8 * MiB, 4 * MiB]);
    expect(Buffer.concat(parts).equals(data)).toBe(true);
    expect(s3).toHaveReceivedCommandWith(CompleteMultipartUploadCommand, {
      UploadId: 'upload-1',
      MultipartUpload: {
        Parts: [
          expect.objectContaining({ PartNumber: 1, ETag: '"etag-1"' }),
          expect.objectContaining({ PartNumber: 2, ETag: '"etag-2"' }),
          expect.objectContaining({ PartNumber: 3, ETag: '"etag-3"' }),
        ],
      },
    });
    expect(s3).not.toHaveReceivedCommand(PutObjectCommand);
  });

  it('uploads a small body with one PutObject', async () => {
    s3.on(PutObjectCommand).resolves({});
    const result = await store().putStream('a/b.txt', Readable.from([Buffer.from('hello')]));
    expect(result.bytes).toBe(5);
    expect(s3).toHaveReceivedCommandWith(PutObjectCommand, { Bucket: BUCKET, Key: 'a/b.txt' });
    expect(s3).not.toHaveReceivedCommand(CreateMultipartUploadCommand);
  });

  it('aborts the multipart upload when a part fails, and names the object', async () => {
    s3.on(CreateMultipartUploadCommand).resolves({ UploadId: 'upload-2' });
    s3.on(UploadPartCommand)
      .resolvesOnce({ ETag: '"1"' })
      .rejects(new Error('SlowDown: reduce your request rate'));
    s3.on(AbortMultipartUploadCommand).resolves({});
    const error = await failureOf(store().putStream('big.bin', Readable.from([randomBytes(17 * MiB)])));
    expect(error.message).toBe(`Upload to s3://${BUCKET}/big.bin failed: SlowDown: reduce your request rate`);
    expect(s3).toHaveReceivedCommandWith(AbortMultipartUploadCommand, {
      Bucket: BUCKET,
      Key: 'big.bin',
      UploadId: 'upload-2',
    });
    expect(s3).not.toHaveReceivedCommand(CompleteMultipartUploadCommand);
  });

  it('aborts the multipart upload when the source stream fails', async () => {
    s3.on(CreateMultipartUploadCommand).resolves({ UploadId: 'upload-3' });
    s3.on(UploadPartCommand).resolves({ ETag: '"x"' });
    s3.on(AbortMultipartUploadCommand).resolves({});
    const body = Readable.from(
      (function* () {
        for (let i = 0; i < 12; i++) yield randomBytes(MiB);
        throw new Error('source broke');
      })(),
    );
    await expect(store().putStream('broken.bin', body)).rejects.toThrow(
      /Upload to s3:\/\/.*broken.bin failed: source broke/,
    );
    expect(s3).toHaveReceivedCommandWith(AbortMultipartUploadCommand, { UploadId: 'upload-3' });
    expect(s3).not.toHaveReceivedCommand(CompleteMultipartUploadCommand);
  });

  it('reads objects and maps NoSuchKey to an error naming the key and bucket', async () => {
    s3.on(GetObjectCommand, { Key: 'present.json' }).resolves({
      // The SDK's Node handler returns the body as a Readable.
      Body: Readable.from([Buffer.from('{"a":1}')]) as never,
    });
    s3.on(GetObjectCommand, { Key: 'absent.json' }).rejects(
      new NoSuchKey({ message: 'The specified key does not exist.', $metadata: {} }),
    );
    expect((await store().getObject('present.json')).toString()).toBe('{"a":1}');
    const error = await failureOf(store().getObject('absent.json'));
    expect(error).toBeInstanceOf(ObjectNotFoundError);
    expect(error.message).toBe(`No object at key "absent.json" in s3://${BUCKET}`);
  });

  it('exists: HeadObject, false on 404, other errors propagate', async () => {
    s3.on(HeadObjectCommand, { Key: 'yes' }).resolves({});
    s3.on(HeadObjectCommand, { Key: 'no' }).rejects(
      new NotFound({ message: 'Not Found', $metadata: { httpStatusCode: 404 } }),
    );
    s3.on(HeadObjectCommand, { Key: 'forbidden' }).rejects(
      new S3ServiceException({
        name: 'Forbidden',
        $fault: 'client',
        message: 'Forbidden',
        $metadata: { httpStatusCode: 403 },
      }),
    );
    expect(await store().exists('yes')).toBe(true);
    expect(await store().exists('no')).toBe(false);
    await expect(store().exists('forbidden')).rejects.toThrow('Forbidden');
  });

  it('lists every page under a prefix, sorted', async () => {
    s3.on(ListObjectsV2Command)
      .resolvesOnce({
        Contents: [{ Key: 'p/b' }, { Key: 'p/a' }],
        IsTruncated: true,
        NextContinuationToken: 't1',
      })
      .resolvesOnce({ Contents: [{ Key: 'p/c' }], IsTruncated: false });
    expect(await store().list('p/')).toEqual(['p/a', 'p/b', 'p/c']);
    expect(s3).toHaveReceivedNthSpecificCommandWith(2, ListObjectsV2Command, {
      Bucket: BUCKET,
      Prefix: 'p/',
      ContinuationToken: 't1',
    });
  });

  it('deletes with DeleteObject', async () => {
    s3.on(DeleteObjectCommand).resolves({});
    await store().delete('k');
    expect(s3).toHaveReceivedCommandWith(DeleteObjectCommand, { Bucket: BUCKET, Key: 'k' });
  });
});

describe('runExtractApi on S3', () => {
  it('deletes the old manifest first, uploads data and quarantine, then writes the manifest last', async () => {
    const puts: Record<string, Buffer> = {};
    s3.on(DeleteObjectCommand).resolves({});
    s3.on(PutObjectCommand).callsFake(async (input: { Key: string; Body: unknown }) => {
      puts[input.Key] = await bodyBytes(input.Body);
      return {};
    });
    const records = [session(), session({ user_id: 'nope' })];
    const result = await runExtractApi(
      { run_date: RUN_DATE, entity: 'sessions' },
      {
        store: store(),
        apiBaseUrl: 'http://api.test',
        fetch: scriptedFetch([{ chunks: [JSON.stringify(records)] }]),
      },
    );
    expect(result).toMatchObject({ records: 1, rejected: 1 });

    const order = s3.calls().map((call) => {
      const command = call.args[0] as { constructor: { name: string }; input: { Key: string } };
      return `${command.constructor.name} ${command.input.Key}`;
    });
    expect(order[0]).toBe(`DeleteObjectCommand ${landingManifestKey('sessions', RUN_DATE)}`);
    expect(order[order.length - 1]).toBe(`PutObjectCommand ${landingManifestKey('sessions', RUN_DATE)}`);
    expect(order.slice(1, -1).sort()).toEqual(
      [
        `PutObjectCommand ${landingDataKey('sessions', RUN_DATE)}`,
        `PutObjectCommand ${quarantineKey('sessions', RUN_DATE)}`,
      ].sort(),
    );
    expect(JSON.parse(gunzipSync(puts[landingDataKey('sessions', RUN_DATE)]).toString())).toEqual(records[0]);
    const manifest = JSON.parse(puts[landingManifestKey('sessions', RUN_DATE)].toString());
    expect(manifest).toMatchObject({
      records: 1,
      rejected: 1,
      bytes: puts[landingDataKey('sessions', RUN_DATE)].length,
    });
  });

  it('streams a large extract as multipart; a failed part aborts the upload and leaves no manifest', async () => {
    s3.on(DeleteObjectCommand).resolves({});
    s3.on(PutObjectCommand).resolves({});
    s3.on(CreateMultipartUploadCommand).resolves({ UploadId: 'extract-upload' });
    s3.on(UploadPartCommand).rejects(new Error('InternalError: We encountered an internal error'));
    s3.on(AbortMultipartUploadCommand).resolves({});
    // Random payloads do not compress: ~12 MB of gzip, more than one 8 MiB part.
    const records = Array.from({ length: 3000 }, () =>
      session({ note: randomBytes(3000).toString('base64') }),
    );

    const error = await failureOf(
      runExtractApi(
        { run_date: RUN_DATE, entity: 'sessions' },
        {
          store: store(),
          apiBaseUrl: 'http://api.test',
          fetch: scriptedFetch([{ chunks: chunked(JSON.stringify(records), 256 * 1024) }]),
          sleep: noSleep,
        },
      ),
    );

    expect(error.message).toContain(
      `Upload to s3://${BUCKET}/${landingDataKey('sessions', RUN_DATE)} failed`,
    );
    expect(s3).toHaveReceivedCommandWith(CreateMultipartUploadCommand, {
      Key: landingDataKey('sessions', RUN_DATE),
    });
    expect(s3).toHaveReceivedCommandWith(AbortMultipartUploadCommand, { UploadId: 'extract-upload' });
    expect(s3).not.toHaveReceivedCommand(CompleteMultipartUploadCommand);
    expect(s3).toHaveReceivedCommandWith(DeleteObjectCommand, {
      Key: landingManifestKey('sessions', RUN_DATE),
    });
    expect(s3).not.toHaveReceivedCommandWith(PutObjectCommand, {
      Key: landingManifestKey('sessions', RUN_DATE),
    });
  });

  it('completes a multipart extract and records the multipart object in the manifest', async () => {
    const parts: Buffer[] = [];
    let manifest: Record<string, unknown> | undefined;
    s3.on(DeleteObjectCommand).resolves({});
    s3.on(PutObjectCommand).callsFake(async (input: { Key: string; Body: unknown }) => {
      if (input.Key === landingManifestKey('sessions', RUN_DATE))
        manifest = JSON.parse((await bodyBytes(input.Body)).toString());
      return {};
    });
    s3.on(CreateMultipartUploadCommand).resolves({ UploadId: 'ok-upload' });
    s3.on(UploadPartCommand).callsFake(async (input: { Body: unknown; PartNumber: number }) => {
      parts[input.PartNumber - 1] = await bodyBytes(input.Body);
      return { ETag: `"${input.PartNumber}"` };
    });
    s3.on(CompleteMultipartUploadCommand).resolves({});
    const records = Array.from({ length: 3000 }, () =>
      session({ note: randomBytes(3000).toString('base64') }),
    );

    const result = await runExtractApi(
      { run_date: RUN_DATE, entity: 'sessions' },
      {
        store: store(),
        apiBaseUrl: 'http://api.test',
        fetch: scriptedFetch([{ chunks: chunked(JSON.stringify(records), 256 * 1024) }]),
      },
    );

    expect(result.records).toBe(3000);
    expect(parts.length).toBeGreaterThanOrEqual(2);
    const object = Buffer.concat(parts);
    expect(manifest).toMatchObject({ bytes: object.length });
    const lines = gunzipSync(object).toString().trimEnd().split('\n');
    expect(lines).toHaveLength(3000);
    expect(JSON.parse(lines[2999])).toEqual(records[2999]);
  });
});
