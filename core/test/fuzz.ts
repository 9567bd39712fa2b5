/**
 * Values for the API fuzz test (core/src/http/api-fuzz.test.ts): schema-shaped values from the
 * OpenAPI document, and hostile ones (dates either side of what Postgres and JavaScript accept,
 * forged cursors, awkward Unicode, NUL, huge numbers, wrong types, deep JSON). All choices come
 * from one seeded generator, so a seed replays the same requests.
 */

export type Rng = () => number;

/** mulberry32: small, fast, and the same sequence for the same seed everywhere. */
export function rngOf(seed: number): Rng {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const pick = <T>(r: Rng, items: readonly T[]): T => items[Math.floor(r() * items.length)] as T;
export const chance = (r: Rng, p: number) => r() < p;

/** JSON text spliced in as is: numbers JSON can spell but JavaScript cannot hold, deep nesting. */
export class Raw {
  constructor(readonly text: string) {}
}

export function toJson(v: unknown): string {
  if (v instanceof Raw) return v.text;
  if (Array.isArray(v)) return `[${v.map(toJson).join(",")}]`;
  if (v && typeof v === "object")
    return `{${Object.entries(v)
      .map(([k, x]) => `${JSON.stringify(k)}:${toJson(x)}`)
      .join(",")}}`;
  return JSON.stringify(v) ?? "null";
}

const b64 = (s: string) => Buffer.from(s).toString("base64url");
const UUID = "0190c0de-0000-7000-8000-000000000000";

/** Well-formed ISO 8601 that Postgres or JavaScript refuse, or print differently. */
const EDGE_DATES = [
  "0000-01-01T00:00:00Z",
  "0000-12-31T23:59:59+14:00",
  "0001-01-01T00:00:00+14:00",
  "0099-12-31T23:59:59Z",
  "9999-12-31T23:59:59-14:00",
  "9999-12-31T23:59:59.999999Z",
  "2026-01-01T00:00:00.1234567891+05:30",
];

export const HOSTILE_DATES = [
  ...EDGE_DATES,
  "0000-00-00T00:00:00Z",
  "+275760-09-13T00:00:00Z",
  "-000001-01-01T00:00:00Z",
  "2026-02-30T00:00:00Z",
  "2026-01-01T24:00:00Z",
  "2026-01-01T23:59:60Z",
  "2026-01-01",
  "infinity",
  "-infinity",
  "epoch",
  "now",
  "1e400",
];

const HOSTILE_RANKS = ["1e-400", "-1e-400", "1e400", "-1", "NaN", "Infinity", "-0", "0x10", "1e-310", "0.1000"];

/** Strings that are valid JSON and pass a length check, yet Postgres cannot store as sent. */
const STORAGE_HOSTILE = ["\u0000", "a\u0000b", "\ud800", "x\udc00", "\udfff\ud800", "bike\u0000"];

export const HOSTILE_STRINGS = [
  "",
  " ",
  "\u0000",
  "a\u0000b",
  "\ud800",
  "x\udc00",
  "\udbff\udfff",
  "İstanbul",
  "ΟΔΟΣ",
  "STRAẞE",
  "e\u0301\u0301\u0301",
  "\u202eevil",
  "\ufeff",
  "\u{1F6B2}",
  "a".repeat(70_000),
  "'; drop table entries; --",
  "%00",
  "../../etc/passwd",
  "<script>alert(1)</script>",
  "\r\nX-Injected: 1",
  "\\",
  '"',
  "${jndi:ldap://x}",
  "0000-01-01T00:00:00Z",
];

const CURSOR_TIMES = [
  "0000-01-01T00:00:00.000000Z",
  "2026-02-30T00:00:00.000000Z",
  "2026-13-01T00:00:00.000000Z",
  "2026-01-01T24:00:00.000000Z",
  "2026-01-01T00:00:60.000000Z",
  "9999-99-99T99:99:99.999999Z",
];

export function hostileCursor(r: Rng): string {
  const v = chance(r, 0.5) ? pick(r, CURSOR_TIMES) : pick(r, HOSTILE_RANKS);
  // Mostly well-formed: [value, uuid] as the API makes them, with a value SQL may choke on.
  if (chance(r, 0.6)) return b64(JSON.stringify([v, UUID]));
  return pick(r, [
    () => b64(JSON.stringify([v, UUID])),
    () => b64(JSON.stringify([v, pick(r, HOSTILE_STRINGS)])),
    () => b64(JSON.stringify([1e308, UUID])),
    () => b64(JSON.stringify([[v], { id: UUID }])),
    () => b64(JSON.stringify({ v, id: UUID })),
    () => b64(`${"[".repeat(5000)}${"]".repeat(5000)}`),
    () => b64("not json"),
    () => "!!!not-base64!!!",
    () => "A".repeat(600),
  ])();
}

export const HOSTILE_NUMBERS: unknown[] = [
  0,
  -1,
  0.5,
  2 ** 31,
  -(2 ** 31) - 1,
  2 ** 53 + 1,
  1e308,
  -1e308,
  new Raw("1e400"),
  new Raw("-1e400"),
  new Raw("1e-400"),
  new Raw("123456789012345678901234567890"),
];

const WRONG_TYPES: unknown[] = [null, true, false, [], {}, [[]], { a: 1 }, "string", 123, [null]];

export const deepJson = (r: Rng) => {
  const n = pick(r, [100, 1000, 20_000]);
  return chance(r, 0.5) ? new Raw(`${"[".repeat(n)}${"]".repeat(n)}`) : new Raw(`${'{"a":'.repeat(n)}1${"}".repeat(n)}`);
};

/** A query or path value sent exactly as written: escapes no client would make. */
export class Escaped {
  constructor(readonly wire: string) {}
}
const ESCAPES = ["%00", "a%00b", "%ED%A0%80", "%FF", "%", "%zz", "%C0%80", "a,b,,c", "%2C%2C", "..%2F..", "%F4%90%80%80"];

/** Any hostile value, mostly of the kind that a field of this schema's type and format is. */
export function hostile(r: Rng, schema?: Schema): unknown {
  const format = schema?.format;
  if (format === "date-time" && chance(r, 0.8)) return chance(r, 0.7) ? pick(r, EDGE_DATES) : pick(r, HOSTILE_DATES);
  if (schema?.description?.includes("nextCursor") && chance(r, 0.8)) return hostileCursor(r);
  const type = Array.isArray(schema?.type) ? schema?.type[0] : schema?.type;
  if ((type === "integer" || type === "number") && chance(r, 0.6))
    return pick(r, [...HOSTILE_NUMBERS, ...HOSTILE_NUMBERS.map((n) => String(n instanceof Raw ? n.text : n))]);
  if (type === "string" && chance(r, 0.7))
    return pick(r, [() => new Escaped(pick(r, ESCAPES)), () => pick(r, HOSTILE_STRINGS), () => pick(r, STORAGE_HOSTILE)])();
  return pick(r, [
    () => pick(r, HOSTILE_STRINGS),
    () => pick(r, HOSTILE_DATES),
    () => pick(r, HOSTILE_NUMBERS),
    () => pick(r, WRONG_TYPES),
    () => hostileCursor(r),
    () => deepJson(r),
  ])();
}

export interface Schema {
  $ref?: string;
  type?: string | string[];
  format?: string;
  enum?: unknown[];
  anyOf?: Schema[];
  oneOf?: Schema[];
  allOf?: Schema[];
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  minItems?: number;
  maxItems?: number;
  default?: unknown;
  description?: string;
  example?: unknown;
}

export interface Pools {
  /** Real ids of the fuzzing user's objects, by kind ("entries", "files", …, and "any"). */
  ids: Record<string, string[]>;
  emails: string[];
}

// Which kind of id a field or path segment names.
const KIND_OF: Record<string, string> = {
  entryId: "entries",
  fileId: "files",
  coverFileId: "files",
  topicId: "topics",
  into: "tags",
  itemIds: "items",
  conversationId: "conversations",
  userId: "users",
};

/** A real id for a path segment ("entries") or field ("fileId"), else any real one. */
export function realId(r: Rng, pools: Pools, kind: string | undefined): string {
  const ids = pools.ids[KIND_OF[kind ?? ""] ?? kind ?? ""] ?? pools.ids.any ?? [];
  return ids.length ? pick(r, ids) : crypto.randomUUID();
}

/**
 * A value that tries to satisfy `schema`, so that requests get past validation and reach the
 * services; `hostility` is the chance that any one field is swapped for a hostile value.
 */
export function valueFor(
  r: Rng,
  schema: Schema,
  resolve: (s: Schema) => Schema,
  pools: Pools,
  hostility: number,
  depth = 0,
  name?: string,
): unknown {
  const s = resolve(schema);
  if (depth > 0 && chance(r, hostility)) return hostile(r, s);
  const choices = s.anyOf ?? s.oneOf;
  if (choices) return valueFor(r, pick(r, choices), resolve, pools, hostility, depth + 1, name);
  if (s.allOf?.[0]) return valueFor(r, s.allOf[0], resolve, pools, hostility, depth + 1, name);
  if (s.enum) return pick(r, s.enum);
  const types = Array.isArray(s.type) ? s.type : [s.type ?? "string"];
  const type = types.length > 1 && chance(r, 0.2) ? "null" : (types.find((t) => t !== "null") ?? "null");
  switch (type) {
    case "null":
      return null;
    case "boolean":
      return chance(r, 0.5);
    case "integer":
    case "number": {
      const lo = s.minimum ?? (s.exclusiveMinimum !== undefined ? s.exclusiveMinimum + 1 : 0);
      const hi = s.maximum ?? lo + 1000;
      const n = lo + r() * (hi - lo);
      return type === "integer" ? Math.floor(n) : n;
    }
    case "array": {
      const n = Math.min(s.maxItems ?? 5, (s.minItems ?? 0) + Math.floor(r() * 4));
      return Array.from({ length: n }, () => valueFor(r, s.items ?? {}, resolve, pools, hostility, depth + 1, name));
    }
    case "object": {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(s.properties ?? {}))
        if (s.required?.includes(k) || chance(r, 0.6)) out[k] = valueFor(r, v, resolve, pools, hostility, depth + 1, k);
      if (chance(r, hostility / 2)) out[pick(r, ["__proto__", "constructor", "extra", "\u0000", "x".repeat(300)])] = hostile(r);
      return out;
    }
    default:
      return stringFor(r, s, pools, name);
  }
}

function stringFor(r: Rng, s: Schema, pools: Pools, name?: string): string {
  switch (s.format) {
    case "uuid":
      return chance(r, 0.9) ? realId(r, pools, name) : crypto.randomUUID();
    case "email":
      return chance(r, 0.5) && pools.emails.length ? pick(r, pools.emails) : `fuzz-${Math.floor(r() * 1e9)}@example.test`;
    case "date-time":
      return new Date(Date.UTC(1990 + Math.floor(r() * 40), Math.floor(r() * 12), 1 + Math.floor(r() * 28))).toISOString();
    case "uri":
      return pick(r, ["https://example.com/a", "http://127.0.0.1/x", "https://例え.jp/パス"]);
  }
  if (typeof s.example === "string") return s.example;
  const words = ["bike", "run", "Straße", "ΟΔΟΣ", "İstanbul", "café", "note", "\u{1F6B2}", "x"];
  let out = Array.from({ length: 1 + Math.floor(r() * 3) }, () => pick(r, words)).join(" ");
  if (s.minLength && out.length < s.minLength) out = out.padEnd(s.minLength, "x");
  if (s.maxLength && out.length > s.maxLength) out = out.slice(0, s.maxLength);
  return out;
}

/** A query or path value as sent on the wire: percent-encoded, or raw hostile escapes. */
export function wireValue(v: unknown): string {
  if (v instanceof Escaped) return v.wire;
  const text = typeof v === "string" ? v : v instanceof Raw ? v.text : JSON.stringify(v);
  try {
    return encodeURIComponent(text);
  } catch {
    return "%ED%A0%80"; // a lone surrogate cannot be encoded; send its CESU-8 bytes instead
  }
}
