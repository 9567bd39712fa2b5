import { S3Client, type S3Stats } from "bun";
import { resolveRange, validateKey, validatePrefix } from "./keys";
import { Meter, metered } from "./meter";
import type { ByteRange, ListedObject, ListOptions, ObjectInfo, ObjectStorage, PutOptions } from "./types";

export interface S3StorageConfig {
  bucket: string;
  endpoint?: string;
  region?: string;
  accessKeyId?: string;
  secretAccessKey?: string;
  /** false (path style) for MinIO and s3rver; true or unset for AWS and R2. */
  virtualHostedStyle?: boolean;
  /** Multipart part size; S3's minimum (and Bun's default) is 5 MiB. */
  partSize?: number;
  /** Parts in flight at once: memory per upload is about partSize × (queueSize + 1). */
  queueSize?: number;
}

const MiB = 1024 * 1024;

/** S3-compatible storage (AWS S3, R2, MinIO) over Bun's built-in client. */
export class S3Storage implements ObjectStorage {
  readonly driver = "s3";
  readonly client: S3Client;
  private readonly partSize: number;
  private readonly queueSize: number;

  constructor(config: S3StorageConfig) {
    const { partSize = 5 * MiB, queueSize = 2, ...conn } = config;
    this.client = new S3Client(conn);
    this.partSize = partSize;
    this.queueSize = queueSize;
  }

  async put(key: string, body: ReadableStream<Uint8Array> | Uint8Array, opts: PutOptions = {}) {
    validateKey(key);
    const meter = new Meter(opts.maxBytes);
    const existed = await this.exists(key);
    let failure: unknown;
    const chunks = metered(body, meter, opts.signal);
    // Bun uploads a stream as one PUT or as a multipart upload that only becomes an object when
    // completed; an erroring source makes it abort instead, so a failed put never publishes bytes.
    const source = new ReadableStream<Uint8Array>(
      {
        async pull(controller) {
          try {
            const next = await chunks.next();
            if (next.done) controller.close();
            else controller.enqueue(next.value);
          } catch (err) {
            failure = err;
            controller.error(err);
          }
        },
        async cancel() {
          await chunks.return(undefined);
        },
      },
      { highWaterMark: 0 },
    );
    try {
      await this.client.write(key, new Response(source), {
        type: opts.contentType,
        partSize: this.partSize,
        queueSize: this.queueSize,
      });
    } catch (err) {
      // Belt and braces for servers that complete instead of abort; never remove an object we did not create.
      if (!existed) await this.delete(key).catch(() => {});
      throw failure ?? err;
    }
    if (failure) throw failure;
    return { size: meter.size, sha256: meter.digest() };
  }

  async get(key: string, range?: ByteRange) {
    const info = await this.head(key);
    if (!info) return null;
    const file = this.client.file(key);
    if (!range) return { ...info, body: file.stream() };
    const r = resolveRange(range, info.size);
    // Cut at the promised length in case the server returns more (s3rver answers `bytes=0-0` with the whole object).
    return { ...info, range: r, body: truncate(file.slice(r.start, r.end + 1).stream(), r.end + 1 - r.start) };
  }

  async head(key: string): Promise<ObjectInfo | null> {
    validateKey(key);
    let s: S3Stats;
    try {
      s = await this.client.file(key).stat();
    } catch (err) {
      if (isNotFound(err)) return null;
      throw err;
    }
    return { size: s.size, contentType: s.type || undefined, lastModified: s.lastModified };
  }

  async exists(key: string) {
    return (await this.head(key)) !== null;
  }

  async delete(key: string) {
    validateKey(key);
    try {
      await this.client.delete(key); // S3 answers 204 for a missing key as well
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }

  /** ListObjectsV2, one page (up to 1,000 keys) per request, following the continuation token. */
  async *list(prefix: string, opts: ListOptions = {}): AsyncIterable<ListedObject> {
    validatePrefix(prefix);
    let token: string | undefined;
    do {
      const page = await this.client.list({ prefix: prefix || undefined, maxKeys: opts.pageSize ?? 1000, continuationToken: token });
      for (const o of page.contents ?? []) {
        // S3 always sends LastModified; a server that did not is asked, and an object of unknown age counts as new.
        const lastModified = o.lastModified ? new Date(o.lastModified) : ((await this.head(o.key))?.lastModified ?? new Date());
        yield { key: o.key, size: o.size ?? 0, lastModified };
      }
      token = page.isTruncated ? page.nextContinuationToken : undefined;
    } while (token);
  }

  /**
   * Nothing to do here: an unfinished multipart upload never becomes an object, and its parts are
   * removed by the bucket's lifecycle rule (AbortIncompleteMultipartUpload), which Bun's client
   * cannot list or abort itself.
   */
  async dropIncomplete(_olderThan: Date): Promise<number> {
    return 0;
  }

  /**
   * Copies through this process (Bun's S3Client has no server-side CopyObject), then deletes the
   * source: streamed, so memory stays bounded by the part size, but the bytes cross the wire twice.
   */
  async move(from: string, to: string) {
    const source = await this.get(from);
    if (!source) throw new Error(`move: no object at source key`);
    await this.put(to, source.body);
    await this.delete(from);
  }
}

function isNotFound(err: unknown): boolean {
  const code = (err as { code?: string } | null)?.code;
  return code === "NoSuchKey" || code === "NotFound" || code === "ERR_S3_FILE_NOT_FOUND";
}

function truncate(stream: ReadableStream<Uint8Array>, length: number): ReadableStream<Uint8Array> {
  const reader = stream.getReader();
  let left = length;
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        const next = await reader.read();
        if (next.done) return controller.close();
        const chunk = next.value.byteLength > left ? next.value.subarray(0, left) : next.value;
        left -= chunk.byteLength;
        controller.enqueue(chunk);
        if (left === 0) {
          controller.close();
          await reader.cancel().catch(() => {});
        }
      },
      cancel: (reason) => reader.cancel(reason),
    },
    { highWaterMark: 0 },
  );
}
