import { randomUUID } from "node:crypto";
import type { Dirent } from "node:fs";
import { mkdir, open, readdir, rename, rm, stat, unlink } from "node:fs/promises";
import { dirname, join, resolve, sep } from "node:path";
import { keyOrder, resolveRange, validateKey, validatePrefix } from "./keys";
import { Meter, metered } from "./meter";
import { type ByteRange, InvalidKeyError, type ListedObject, type ObjectInfo, type ObjectStorage, type PutOptions } from "./types";

/** Uploads in progress; dot segments are not valid keys, so no key can reach (or list) this directory. */
const TMP_DIR = ".tmp";

/** Errors meaning "there is no object file at this key" (a directory is not an object). */
const GONE = new Set(["ENOENT", "ENOTDIR", "EISDIR"]);

/** Filesystem storage: the embedded default, one file per key under `root`. */
export class LocalStorage implements ObjectStorage {
  readonly driver = "local";
  readonly root: string;

  constructor(root: string) {
    this.root = resolve(root);
  }

  /** Key → absolute path, refusing anything that would land outside the root. */
  pathOf(key: string): string {
    validateKey(key);
    const path = resolve(this.root, key);
    if (!path.startsWith(this.root + sep)) throw new InvalidKeyError("outside the storage root");
    return path;
  }

  async put(key: string, body: ReadableStream<Uint8Array> | Uint8Array, opts: PutOptions = {}) {
    const path = this.pathOf(key);
    const tmpDir = join(this.root, TMP_DIR);
    await mkdir(tmpDir, { recursive: true });
    // Same filesystem as the target, so the final rename is atomic: readers never see a partial file.
    const tmp = join(tmpDir, randomUUID());
    const meter = new Meter(opts.maxBytes);
    // Created here (exclusive, owner-only), written through Bun's FileSink: node:fs's
    // FileHandle.write kept each chunk alive until a later GC, so a 150 MB upload grew RSS by
    // tens of MB; the FileSink writes from the chunk and lets it go (see README, "Uploads and memory").
    await (await open(tmp, "wx", 0o600)).close();
    const sink = Bun.file(tmp).writer();
    let ended = false;
    try {
      for await (const chunk of metered(body, meter, opts.signal)) {
        sink.write(chunk);
        await sink.flush(); // one chunk in flight: memory stays flat however fast the client sends
      }
      ended = true;
      await sink.end();
      // The rename must not publish a file whose bytes are still only in the page cache.
      const handle = await open(tmp, "r+");
      await handle.datasync().finally(() => handle.close());
      await mkdir(dirname(path), { recursive: true });
      await rename(tmp, path);
    } catch (err) {
      if (!ended) await Promise.resolve(sink.end()).catch(() => {});
      await rm(tmp, { force: true });
      throw err;
    }
    return { size: meter.size, sha256: meter.digest() };
  }

  async get(key: string, range?: ByteRange) {
    const path = this.pathOf(key);
    const info = await this.statFile(path);
    if (!info) return null;
    const file = Bun.file(path);
    if (!range) return { ...info, body: file.stream() };
    const r = resolveRange(range, info.size);
    return { ...info, range: r, body: file.slice(r.start, r.end + 1).stream() };
  }

  async head(key: string) {
    return this.statFile(this.pathOf(key));
  }

  async exists(key: string) {
    return (await this.head(key)) !== null;
  }

  async delete(key: string) {
    try {
      await unlink(this.pathOf(key));
    } catch (err) {
      if (!GONE.has((err as NodeJS.ErrnoException).code ?? "")) throw err;
    }
  }

  async move(from: string, to: string) {
    const src = this.pathOf(from);
    const dst = this.pathOf(to);
    await mkdir(dirname(dst), { recursive: true });
    await rename(src, dst); // same filesystem: atomic
  }

  /** Files in `.tmp` whose put died with its process (a failed put removes its own). */
  async dropIncomplete(olderThan: Date): Promise<number> {
    const dir = join(this.root, TMP_DIR);
    const names = await readdir(dir).catch((err: NodeJS.ErrnoException) => {
      if (GONE.has(err.code ?? "")) return [] as string[];
      throw err;
    });
    let dropped = 0;
    for (const name of names) {
      const path = join(dir, name);
      // An upload in progress rewrites its file with every chunk; one untouched this long is dead.
      const info = await stat(path).catch(() => null);
      if (!info?.isFile() || info.mtime > olderThan) continue;
      await rm(path, { force: true });
      dropped++;
    }
    return dropped;
  }

  /** Walks the directories under the prefix one at a time (a directory's names are read whole). */
  async *list(prefix: string): AsyncIterable<ListedObject> {
    validatePrefix(prefix);
    // The deepest directory the prefix names in full: nothing outside it can match.
    yield* this.walk(prefix.slice(0, prefix.lastIndexOf("/") + 1), prefix);
  }

  private async *walk(dir: string, prefix: string): AsyncGenerator<ListedObject> {
    let found: Dirent[];
    try {
      found = await readdir(join(this.root, dir), { withFileTypes: true });
    } catch (err) {
      if (GONE.has((err as NodeJS.ErrnoException).code ?? "")) return;
      throw err;
    }
    // Dot names are never keys (`.tmp` holds uploads in progress). A directory sorts as "name/",
    // so the walk yields keys in S3's order.
    const names = found
      .filter((e) => !e.name.startsWith(".") && (e.isFile() || e.isDirectory()))
      .map((e) => `${dir}${e.name}${e.isDirectory() ? "/" : ""}`)
      .sort(keyOrder);
    for (const key of names) {
      if (key.endsWith("/")) {
        if (key.startsWith(prefix) || prefix.startsWith(key)) yield* this.walk(key, prefix);
      } else if (key.startsWith(prefix)) {
        const info = await this.statFile(join(this.root, key));
        if (info) yield { key, size: info.size, lastModified: info.lastModified as Date }; // gone meanwhile: not listed
      }
    }
  }

  private async statFile(path: string): Promise<ObjectInfo | null> {
    try {
      const s = await stat(path);
      // A key that names a directory ("a" when "a/b" exists) is not an object.
      return s.isFile() ? { size: s.size, lastModified: s.mtime } : null;
    } catch (err) {
      if (GONE.has((err as NodeJS.ErrnoException).code ?? "")) return null;
      throw err;
    }
  }
}
