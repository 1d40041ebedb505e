/**
 * The object store on Amazon S3. Streams are uploaded with `@aws-sdk/lib-storage`'s `Upload`: one
 * PutObject for a small body, a multipart upload in `partSize` parts for a large one, so memory stays at
 * about `partSize * queueSize` whatever the object size. A failed multipart upload is aborted (no
 * orphaned parts, no partial object: S3 only shows an object once it is complete).
 *
 * No encryption headers are sent: objects get the bucket's default encryption (SSE-KMS or SSE-S3 as the
 * bucket is configured), so the key policy lives in one place, the bucket.
 */
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  paginateListObjectsV2,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { pipeline, Readable, Transform } from 'node:stream';
import { ObjectNotFoundError } from './object-not-found';
import type { ObjectStore, PutOptions } from './object-store';
import { messageOf } from './errors';

export interface S3ObjectStoreProps {
  /** The client (region, credentials, retries) the store sends its requests with. */
  readonly client: S3Client;
  /** The bucket the keys are relative to. */
  readonly bucket: string;
  /**
   * Size of one multipart part. S3's minimum is 5 MiB.
   * @default 8 MiB
   */
  readonly partSize?: number;
  /**
   * Parts uploaded concurrently per stream.
   * @default 2
   */
  readonly queueSize?: number;
}

export class S3ObjectStore implements ObjectStore {
  readonly bucket: string;
  private readonly client: S3Client;
  private readonly partSize: number;
  private readonly queueSize: number;

  constructor(props: S3ObjectStoreProps) {
    this.client = props.client;
    this.bucket = props.bucket;
    this.partSize = props.partSize ?? 8 * 1024 * 1024;
    this.queueSize = props.queueSize ?? 2;
  }

  async putStream(key: string, body: Readable, options?: PutOptions): Promise<{ bytes: number }> {
    let bytes = 0;
    const counted = new Transform({
      transform(chunk: Buffer, _encoding, callback) {
        bytes += chunk.length;
        callback(null, chunk);
      },
    });
    // An error in `body` destroys `counted`, which fails (and aborts) the upload.
    pipeline(body, counted, () => undefined);
    const upload = new Upload({
      client: this.client,
      params: {
        Bucket: this.bucket,
        Key: key,
        Body: counted,
        ContentType: options?.contentType ?? 'application/octet-stream',
        ContentEncoding: options?.contentEncoding,
      },
      partSize: this.partSize,
      queueSize: this.queueSize,
      leavePartsOnError: false,
    });
    try {
      await upload.done();
    } catch (error: unknown) {
      counted.destroy();
      throw new Error(`Upload to s3://${this.bucket}/${key} failed: ${messageOf(error)}`, { cause: error });
    }
    return { bytes };
  }

  async putObject(key: string, body: string | Uint8Array, options?: PutOptions): Promise<void> {
    await this.client.send(
      new PutObjectCommand({
        Bucket: this.bucket,
        Key: key,
        Body: body,
        ContentType: options?.contentType ?? 'application/octet-stream',
        ContentEncoding: options?.contentEncoding,
      }),
    );
  }

  async getObject(key: string): Promise<Buffer> {
    const stream = await this.getStream(key);
    const chunks: Buffer[] = [];
    for await (const chunk of stream) chunks.push(Buffer.from(chunk as Uint8Array));
    return Buffer.concat(chunks);
  }

  async getStream(key: string): Promise<Readable> {
    try {
      const response = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
      if (!response.Body) throw new ObjectNotFoundError(key, `s3://${this.bucket}`);
      const body = response.Body as unknown;
      if (body instanceof Readable) return body;
      // Outside Node's HTTP handler (e.g. in tests) the SDK may hand back a web stream or bytes.
      const webStream = (body as { transformToWebStream?: () => ReadableStream }).transformToWebStream?.();
      if (webStream) return Readable.fromWeb(webStream as never);
      return Readable.from([
        Buffer.from(
          await (body as { transformToByteArray: () => Promise<Uint8Array> }).transformToByteArray(),
        ),
      ]);
    } catch (error: unknown) {
      if (isNotFound(error)) throw new ObjectNotFoundError(key, `s3://${this.bucket}`, error);
      throw error;
    }
  }

  async exists(key: string): Promise<boolean> {
    try {
      await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }));
      return true;
    } catch (error: unknown) {
      if (isNotFound(error)) return false;
      throw error;
    }
  }

  async list(prefix: string): Promise<string[]> {
    const keys: string[] = [];
    for await (const page of paginateListObjectsV2(
      { client: this.client },
      { Bucket: this.bucket, Prefix: prefix },
    )) {
      for (const object of page.Contents ?? []) if (object.Key !== undefined) keys.push(object.Key);
    }
    return keys.sort();
  }

  async delete(key: string): Promise<void> {
    await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key }));
  }
}

function isNotFound(error: unknown): boolean {
  const candidate = error as { name?: string; $metadata?: { httpStatusCode?: number } } | undefined;
  return (
    candidate?.name === 'NoSuchKey' ||
    candidate?.name === 'NotFound' ||
    candidate?.$metadata?.httpStatusCode === 404
  );
}
