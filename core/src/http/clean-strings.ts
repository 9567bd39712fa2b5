export interface StringIssue {
  path: string;
  message: string;
}

// A UTF-16 surrogate without its other half: no UTF-8 spelling, so the driver would store U+FFFD.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function issueOf(s: string): string | null {
  if (s.includes("\u0000")) return "must not contain NUL characters";
  if (LONE_SURROGATE.test(s)) return "must not contain unpaired UTF-16 surrogates";
  return null;
}

/**
 * The first string (or object key) in validated input that Postgres cannot store as sent: NUL
 * (text cannot hold it: a 500) or a lone surrogate (silently replaced: data loss). Checked once
 * for every route's params, query, headers and body, after its zod schema passed.
 */
export function findBadString(value: unknown, path: (string | number)[] = []): StringIssue | null {
  if (typeof value === "string") {
    const message = issueOf(value);
    return message ? { path: path.join("."), message } : null;
  }
  if (path.length > 64 || value === null || typeof value !== "object") return null;
  const entries: [string | number, unknown][] = Array.isArray(value) ? value.map((v, i) => [i, v]) : Object.entries(value);
  for (const [k, v] of entries) {
    if (typeof k === "string") {
      const message = issueOf(k);
      if (message) return { path: [...path, k].join("."), message: `key ${message}` };
    }
    const found = findBadString(v, [...path, k]);
    if (found) return found;
  }
  return null;
}
