import type { Zip } from "fflate";
import { lazyModule } from "../lib/lazy-module";
import type { ObjectStorage, PutResult } from "../storage";
import { ARCHIVE_FORMAT, ARCHIVE_VERSION, entryMarkdown, type UserData } from "./collect";

/** Loaded by the first export, not at start-up (see lib/lazy-module.ts). */
const fflate = lazyModule(() => import("fflate"));

const utf8 = new TextEncoder();
const json = (v: unknown) => utf8.encode(`${JSON.stringify(v, null, 2)}\n`);

/**
 * Writes the export archive (zip) into storage under `key`, streaming: file bytes go from storage
 * into the zip and out to storage again without being held whole. JSON and Markdown are deflated;
 * file bytes are stored as they are (mostly compressed formats already).
 */
export async function writeArchive(storage: ObjectStorage, key: string, data: UserData, exportedAt: Date): Promise<PutResult> {
  const { Zip, ZipDeflate, ZipPassThrough } = await fflate();
  let zip!: Zip;
  let out!: ReadableStreamDefaultController<Uint8Array>;
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      out = controller;
      zip = new Zip((err, chunk, final) => {
        if (err) return controller.error(err);
        controller.enqueue(chunk);
        if (final) controller.close();
      });
    },
  });
  const stored = storage.put(key, body, { contentType: "application/zip" });
  const add = (name: string, bytes: Uint8Array) => {
    const f = new ZipDeflate(name, { level: 6 });
    zip.add(f);
    f.push(bytes, true);
  };
  try {
    const { files, ...rest } = data;
    const topicName = new Map(data.topics.map((t) => [t.id, t.name]));
    const present = new Set<string>();
    for (const f of files) {
      const got = await storage.get(f.storageKey);
      if (!got) continue; // bytes already gone (a purge racing the export): listed without them
      const entry = new ZipPassThrough(f.path);
      zip.add(entry);
      for await (const chunk of got.body) entry.push(chunk);
      entry.push(new Uint8Array(0), true);
      present.add(f.id);
    }
    add(
      "manifest.json",
      json({
        format: ARCHIVE_FORMAT,
        version: ARCHIVE_VERSION,
        exportedAt: exportedAt.toISOString(),
        counts: {
          entries: data.entries.length,
          tags: data.tags.length,
          topics: data.topics.length,
          links: data.links.length,
          files: present.size,
          galleries: data.galleries.length,
          conversations: data.conversations.length,
          consents: data.consents.length,
          audit: data.audit.length,
        },
      }),
    );
    add("profile.json", json(rest.profile));
    add("entries.json", json(rest.entries));
    for (const e of rest.entries)
      add(`entries/${e.id}.md`, utf8.encode(entryMarkdown(e, e.topicId ? (topicName.get(e.topicId) ?? null) : null)));
    add("tags.json", json(rest.tags));
    add("topics.json", json(rest.topics));
    add("links.json", json(rest.links));
    add("files.json", json(files.map(({ storageKey: _internal, ...f }) => ({ ...f, path: present.has(f.id) ? f.path : null }))));
    add("galleries.json", json(rest.galleries));
    add("conversations.json", json(rest.conversations));
    add("consents.json", json(rest.consents));
    add("audit.json", json(rest.audit));
    add("shares.json", json(rest.sharesGranted));
    zip.end();
  } catch (err) {
    zip.terminate();
    out.error(err); // the upload fails and leaves nothing behind
    await stored.catch(() => undefined);
    throw err;
  }
  return stored;
}
