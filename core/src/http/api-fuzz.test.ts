import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import {
  chance,
  deepJson,
  hostile,
  type Pools,
  pick,
  Raw,
  type Rng,
  realId,
  rngOf,
  type Schema,
  toJson,
  valueFor,
  wireValue,
} from "../../test/fuzz";
import { type Client, createHarness, type Harness } from "../../test/harness";

/**
 * Every route in the OpenAPI document gets FUZZ_RUNS requests (the first close to valid, the rest
 * ever more hostile) from a signed-in user who owns real objects, and none may answer 5xx (a 503
 * the route documents, such as chat without an AI gateway, must still be the envelope); every 4xx
 * must be the error envelope. FUZZ_SEED replays a run exactly; a failure prints its seed.
 */
const SEED = Number(process.env.FUZZ_SEED ?? 20261202);
const RUNS = Number(process.env.FUZZ_RUNS ?? 16);

interface Param {
  name: string;
  in: "path" | "query" | "header";
  required?: boolean;
  schema: Schema;
}
interface Operation {
  parameters?: Param[];
  requestBody?: { content: Record<string, { schema: Schema }> };
  responses: Record<string, { content?: Record<string, unknown> }>;
  security?: unknown[];
}

let h: Harness;
let doc: { paths: Record<string, Record<string, Operation>>; components: { schemas: Record<string, Schema> } };
beforeAll(async () => {
  h = await createHarness();
  doc = (await h.anon.get("/openapi.json")).body;
});
afterAll(() => h.close());

const resolve = (s: Schema): Schema => (s.$ref ? resolve(doc.components.schemas[s.$ref.split("/").pop() as string] ?? {}) : s);

/** A user with one of everything (and an entry, topic and gallery another user shared with them), so ids name real objects. */
async function world(): Promise<{ user: Client; pools: Pools; slugs: string[] }> {
  const user = await h.user("fuzz");
  const other = await h.user("fuzz-other");
  const topic = await user.post("/v1/topics", { name: `topic ${crypto.randomUUID()}` });
  const entry = await user.post("/v1/entries", { title: "bike ride", tags: ["bike", "Straße"], topicId: topic.body.id });
  const link = await user.post("/v1/links", { url: "https://example.com/a", entryId: entry.body.id });
  const file = await (await user.fetch("PUT", "/v1/files?name=note.txt", new TextEncoder().encode("hello"))).json();
  const gallery = await user.post("/v1/galleries", { title: "trip", visibility: "unlisted" });
  const item = await user.post(`/v1/galleries/${gallery.body.id}/items`, { fileId: file.id });
  const key = await user.post("/v1/api-keys", { name: "fuzz", scopes: ["entries:read"] });
  const share = await user.post("/v1/shares", { resourceType: "entry", resourceId: entry.body.id, grantee: { email: other.info.email } });
  const theirs = {
    entries: (await other.post("/v1/entries", { title: "theirs" })).body.id,
    topics: (await other.post("/v1/topics", { name: "theirs" })).body.id,
    galleries: (await other.post("/v1/galleries", { title: "theirs" })).body.id,
  };
  for (const [resourceType, resourceId] of [
    ["entry", theirs.entries],
    ["topic", theirs.topics],
    ["gallery", theirs.galleries],
  ])
    await other.post("/v1/shares", { resourceType, resourceId, permission: "edit", grantee: { email: user.info.email } });
  const tags = (await user.get("/v1/tags")).body.items.map((t: { id: string }) => t.id);
  const sessions = ((await user.get("/v1/me/sessions")).body?.items ?? []).map((s: { id: string }) => s.id);
  const ids: Record<string, string[]> = {
    entries: [entry.body.id, theirs.entries],
    topics: [topic.body.id, theirs.topics],
    galleries: [gallery.body.id, theirs.galleries],
    tags,
    links: [link.body.id],
    files: [file.id],
    items: [item.body.id],
    "api-keys": [key.body.id],
    shares: [share.body.id],
    sessions,
    users: [other.info.id],
  };
  ids.any = Object.values(ids).flat();
  for (const k of Object.keys(ids)) ids[k] = (ids[k] ?? []).filter(Boolean);
  return { user, pools: { ids, emails: [user.info.email, other.info.email] }, slugs: [gallery.body.slug] };
}

const bytes = (r: Rng, n: number) => Uint8Array.from({ length: n }, () => Math.floor(r() * 256));

interface Sent {
  url: string;
  body?: RequestInit["body"];
  headers: Record<string, string>;
  shown: string;
}

/** Every value inside `v` with its path and the schema that describes it (for a mutation to replace). */
function leaves(v: unknown, schema: Schema, at: (string | number)[] = []): { at: (string | number)[]; schema: Schema }[] {
  let s = resolve(schema);
  const variants = s.anyOf ?? s.oneOf;
  if (variants) s = resolve(variants.find((x) => resolve(x).properties || resolve(x).items) ?? variants[0] ?? {});
  const here = at.length ? [{ at, schema: s }] : [];
  if (v === null || typeof v !== "object" || v instanceof Raw) return here;
  const inner = Array.isArray(v)
    ? v.flatMap((x, i) => leaves(x, s.items ?? {}, [...at, i]))
    : Object.entries(v).flatMap(([k, x]) => leaves(x, s.properties?.[k] ?? {}, [...at, k]));
  return [...here, ...inner];
}

function setAt(root: unknown, at: (string | number)[], value: unknown): unknown {
  if (!at.length) return value;
  const [head, ...rest] = at as [string | number, ...(string | number)[]];
  const copy = (Array.isArray(root) ? [...root] : { ...(root as object) }) as Record<string | number, unknown>;
  copy[head] = setAt(copy[head], rest, value);
  return copy;
}

/**
 * A request close to valid for the route, then (when `mutations` > 0) that many of its values
 * swapped for hostile ones: a path or query parameter, a header, one field anywhere in the JSON
 * body, or the whole body. One bad value at a time gets past the checks of the others, so it is
 * what reaches the services.
 */
function build(r: Rng, path: string, op: Operation, w: Awaited<ReturnType<typeof world>>, mutations: number): Sent {
  const params = op.parameters ?? [];
  const values = new Map<Param, unknown>();
  const segments = path.split("/");
  for (const p of params) {
    const kind = p.name === "itemId" ? "items" : p.name === "fileId" ? "files" : segments[segments.indexOf(`{${p.name}}`) - 1];
    if (p.in === "path") values.set(p, p.name === "slug" ? pick(r, w.slugs) : realId(r, w.pools, kind));
    // A made-up cursor is only ever a mutation: the baseline should pass validation.
    else if (p.required || (chance(r, 0.5) && p.name !== "cursor")) values.set(p, valueFor(r, p.schema, resolve, w.pools, 0));
  }
  const content = op.requestBody?.content ?? {};
  const type = Object.keys(content)[0];
  const bodySchema = type === "application/json" ? (content[type] as { schema: Schema }).schema : undefined;
  let body: unknown = bodySchema ? valueFor(r, bodySchema, resolve, w.pools, 0) : undefined;
  let rawBody: string | Uint8Array | undefined;
  for (let m = 0; m < mutations; m++) {
    const targets: (() => void)[] = params.map((p) => () => {
      values.set(p, hostile(r, resolve(p.schema)));
    });
    if (bodySchema) {
      for (const leaf of leaves(body, bodySchema)) {
        const swap = () => {
          body = setAt(body, leaf.at, hostile(r, leaf.schema));
        };
        targets.push(swap, swap); // body fields weigh double: that is where most input is
      }
      targets.push(() => {
        rawBody = pick(r, [
          () => "",
          () => "{",
          () => "null",
          () => "[]",
          () => '"text"',
          () => toJson(deepJson(r)),
          () => toJson(hostile(r)),
        ])();
      });
      targets.push(() => {
        rawBody = Uint8Array.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d]); // invalid UTF-8
      });
    }
    if (targets.length) pick(r, targets)();
  }
  let url = path;
  const query: string[] = [];
  const headers: Record<string, string> = {};
  for (const [p, v] of values) {
    if (p.in === "path") url = url.replace(`{${p.name}}`, wireValue(v));
    else if (p.in === "query") query.push(`${p.name}=${wireValue(v)}`);
    // Only what fetch can send in a header: Latin-1, no line breaks or NUL.
    else
      headers[p.name] = String(v instanceof Raw ? v.text : typeof v === "string" ? v : JSON.stringify(v)).replace(
        /[^\x20-\x7e\xa0-\xff]/g,
        "",
      );
  }
  if (query.length) url += `?${query.join("&")}`;
  if (!type) return { url, headers, shown: "" };
  if (type === "multipart/form-data") {
    const form = new FormData();
    form.append("file", new Blob([bytes(r, Math.floor(r() * 2048))]), pick(r, ["a.txt", "\u0000.png", "ΟΔΟΣ.jpg", "x".repeat(2000), ""]));
    return { url, headers, body: form, shown: "<multipart>" };
  }
  headers["content-type"] = type;
  if (type !== "application/json") return { url, headers, body: bytes(r, Math.floor(r() * 4096)), shown: `<${type}>` };
  if (mutations && chance(r, 0.05))
    headers["content-type"] = pick(r, ["text/plain", "application/json; charset=latin1", "application/x-www-form-urlencoded"]);
  const sentBody = rawBody ?? toJson(body);
  return { url, headers, body: sentBody, shown: typeof sentBody === "string" ? sentBody.slice(0, 300) : "<invalid UTF-8>" };
}

/** What is wrong with this response, if anything. */
function verdict(op: Operation, status: number, contentType: string, text: string): string | null {
  let body: { error?: { code?: unknown; message?: unknown; requestId?: unknown } } | undefined;
  try {
    body = JSON.parse(text);
  } catch {}
  const envelope =
    typeof body?.error?.code === "string" && typeof body.error.message === "string" && typeof body.error.requestId === "string";
  if (status >= 500) {
    if (status === 500 || !op.responses[String(status)]) return "a 5xx from user input";
    return envelope ? null : "a documented 5xx without the error envelope";
  }
  if (status < 400) return null;
  const declared = op.responses[String(status)]?.content;
  if (declared && !declared["application/json"]) return null; // a documented non-JSON error (none today)
  if (!contentType.includes("application/json")) return `a ${status} that is not JSON`;
  return envelope ? null : `a ${status} without the error envelope`;
}

describe("API fuzz", () => {
  test(`no route answers hostile input with a 5xx, and every 4xx is the envelope (FUZZ_SEED=${SEED} FUZZ_RUNS=${RUNS})`, async () => {
    const r = rngOf(SEED);
    let w = await world();
    const failures: string[] = [];
    let sent = 0;
    const statuses: Record<number, number> = {};
    for (const path of Object.keys(doc.paths).sort())
      for (const [method, op] of Object.entries(doc.paths[path] ?? {}).sort(([a], [b]) => a.localeCompare(b))) {
        for (let run = 0; run < RUNS; run++) {
          const mutations = run === 0 ? 0 : chance(r, 0.85) ? 1 : 2;
          const req = build(r, path, op, w, mutations);
          const res = await w.user.fetch(method.toUpperCase(), req.url, req.body, req.headers);
          const text = await res.text();
          sent++;
          statuses[res.status] = (statuses[res.status] ?? 0) + 1;
          const wrong = verdict(op, res.status, res.headers.get("content-type") ?? "", text);
          if (wrong)
            failures.push(`${wrong}: ${method.toUpperCase()} ${req.url.slice(0, 300)} ${req.shown} → ${res.status} ${text.slice(0, 300)}`);
          // Some routes end the session (logout, revoking sessions): carry on as a fresh user.
          if (res.status === 401 && (await w.user.get("/v1/auth/me")).status !== 200) w = await world();
        }
      }
    console.log(`fuzz: ${sent} requests, by status ${JSON.stringify(statuses)}`);
    if (failures.length)
      console.error(
        `FUZZ_SEED=${SEED} FUZZ_RUNS=${RUNS}: ${failures.length} of ${sent} requests failed\n${failures.slice(0, 30).join("\n")}`,
      );
    expect(failures).toEqual([]);
    expect(sent).toBe(Object.values(doc.paths).reduce((n, ops) => n + Object.keys(ops).length, 0) * RUNS);
  }, 600_000);
});
