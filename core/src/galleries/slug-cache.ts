import type { Tx } from "@tcc/db";
import type { Services } from "../context";

/**
 * Short-lived Redis cache of a shared gallery's slug → (id, version, visibility, expiry, password
 * hash), so a warm public read needs no database query.
 *
 * Staying correct: every version bump runs in galleryTx, which, once the transaction has
 * committed, gives each bumped slug a fresh random generation. A cached entry records the
 * generation that was current before its database read, and is only used while that is still
 * the current one; so an entry read before a commit can never be served after it, however the
 * reads and writes interleave (a version never goes backwards). When Redis is unhealthy the
 * cache is skipped, since invalidations may not have reached it; the TTL bounds what a
 * transient fault could leave behind.
 */
const TTL_S = 15;
const GEN_TTL_S = 2 * 86_400; // far longer than an entry lives: an expired generation reads as "-", never as an old value
const metaKey = (slug: string) => `gallery-slug:${slug}`;
const genKey = (slug: string) => `gallery-slug-gen:${slug}`;

export interface SlugMeta {
  id: string;
  version: number;
  visibility: string;
  expiresAt: Date | string | null;
  passwordHash: string | null;
}

export async function lookupSlug(s: Services, slug: string, load: () => Promise<SlugMeta | undefined>): Promise<SlugMeta | undefined> {
  if (!s.kv.healthy) return load();
  const [cached, gen] = await s.kv.mget([metaKey(slug), genKey(slug)]);
  const current = gen ?? "-";
  if (cached) {
    const entry = JSON.parse(cached) as { gen: string; meta: SlugMeta };
    if (entry.gen === current) {
      s.metrics.cache.inc({ cache: "gallery-slug", result: "hit" });
      return entry.meta;
    }
  }
  s.metrics.cache.inc({ cache: "gallery-slug", result: "miss" });
  const meta = await load();
  // Missing slugs are not cached: a gallery created a moment later must answer at once.
  if (meta) await s.kv.set(metaKey(slug), JSON.stringify({ gen: current, meta }), TTL_S);
  return meta;
}

const bumpedIn = new WeakMap<object, Set<string>>();

/** Records slugs whose gallery this transaction bumped; only inside galleryTx, so none is forgotten. */
export function noteBumped(tx: Tx, slugs: string[]): void {
  const set = bumpedIn.get(tx);
  if (!set) throw new Error("a gallery version was bumped outside galleryTx: its cached slug lookup would go stale");
  for (const slug of slugs) set.add(slug);
}

/** A primary transaction that may bump galleries; their cached slug lookups are voided after it commits. */
export async function galleryTx<T>(s: Services, fn: (tx: Tx) => Promise<T>): Promise<T> {
  const slugs = new Set<string>();
  const result = await s.db.primary.transaction(async (tx) => {
    bumpedIn.set(tx, slugs);
    return fn(tx);
  });
  // After the commit, not inside: a reader between the two would re-cache the old row.
  await Promise.all([...slugs].map((slug) => s.kv.set(genKey(slug), Bun.randomUUIDv7(), GEN_TTL_S)));
  return result;
}
