import { AppError } from "../errors";

/** Byte range with an inclusive `end`, as in HTTP `Range: bytes=start-end`; no `end` means "to the last byte". */
export interface ByteRange {
  start: number;
  end?: number;
}

export interface PutOptions {
  contentType?: string;
  /** Refuse (ObjectTooLargeError) as soon as more than this many bytes have arrived. */
  maxBytes?: number;
  /** Aborting (e.g. the client went away) stops the upload and leaves nothing behind. */
  signal?: AbortSignal;
}

export interface PutResult {
  size: number;
  /** Lowercase hex SHA-256 of the stored bytes, computed while they streamed through. */
  sha256: string;
}

export interface ObjectInfo {
  /** Size of the whole object, whatever range was asked for. */
  size: number;
  contentType?: string;
  lastModified?: Date;
}

/** One object as a listing reports it. */
export interface ListedObject {
  key: string;
  size: number;
  lastModified: Date;
}

export interface ListOptions {
  /** Objects per request to the backend (S3 caps it at 1,000); the iteration goes on over pages either way. */
  pageSize?: number;
}

export interface GetResult extends ObjectInfo {
  body: ReadableStream<Uint8Array>;
  /** Present when a range was asked for: the bytes `body` carries, `end` inclusive and clamped to the object. */
  range?: { start: number; end: number };
}

/**
 * Where file bytes live. Metadata (owner, mime, sha256) lives in the database; this layer only
 * stores and streams bytes under opaque keys such as `u/<userId>/<sha256>`.
 *
 * Every put is all-or-nothing: a reader sees the old object or the complete new one, and a
 * failed, oversize or aborted upload leaves no object (and no partial bytes) behind.
 */
export interface ObjectStorage {
  readonly driver: "local" | "s3";
  put(key: string, body: ReadableStream<Uint8Array> | Uint8Array, opts?: PutOptions): Promise<PutResult>;
  /** null when the key does not exist; throws RangeNotSatisfiableError when `range.start` is past the end. */
  get(key: string, range?: ByteRange): Promise<GetResult | null>;
  head(key: string): Promise<ObjectInfo | null>;
  exists(key: string): Promise<boolean>;
  /** Idempotent: deleting a missing key is not an error. */
  delete(key: string): Promise<void>;
  /** Replaces `to` with the object at `from` and removes `from`; readers of `to` never see a partial object. */
  move(from: string, to: string): Promise<void>;
  /**
   * Every object whose key starts with `prefix` (a string prefix, as S3 has it: `users/ab` matches
   * `users/abc/x`), in key order, a page at a time: a bucket of millions is never held in memory.
   * Uploads still being written are not objects yet and are not listed.
   */
  list(prefix: string, opts?: ListOptions): AsyncIterable<ListedObject>;
  /**
   * Removes what uploads that never finished (a crash mid-put) left behind, last written before
   * `olderThan`; returns how many. Such leftovers are never objects: no key reads or lists them.
   */
  dropIncomplete(olderThan: Date): Promise<number>;
}

export class ObjectTooLargeError extends AppError {
  constructor(readonly maxBytes: number) {
    super("PAYLOAD_TOO_LARGE", `File exceeds the limit of ${maxBytes} bytes`, { maxBytes });
    this.name = "ObjectTooLargeError";
  }
}

export class InvalidKeyError extends AppError {
  constructor(reason: string) {
    // The key is never echoed back: it may carry control characters or a traversal attempt.
    super("BAD_REQUEST", `Invalid storage key: ${reason}`);
    this.name = "InvalidKeyError";
  }
}

/** The body stream errored or the upload was aborted before it finished. */
export class UploadInterruptedError extends AppError {
  constructor(cause: unknown) {
    super("BAD_REQUEST", "Upload was interrupted before it completed");
    this.name = "UploadInterruptedError";
    this.cause = cause;
  }
}

/** HTTP 416; the header tells the client the object's size, as RFC 9110 asks. */
export class RangeNotSatisfiableError extends AppError {
  constructor(readonly size: number) {
    super("RANGE_NOT_SATISFIABLE", "Requested range is not satisfiable", { size }, { "Content-Range": `bytes */${size}` });
    this.name = "RangeNotSatisfiableError";
  }
}
