import type { Call, SystemCtx, Transaction } from "../context";
import type { InTransaction } from "../db/transaction";

/**
 * Short-lived Redis cache of a shared gallery's slug → (id, version, visibility, expiry, password
 * hash), so a warm public read needs no database query.
 *
 * Staying correct: a version bump happens in a transaction (bump and bumpGalleriesShowing take
 * one), and slugsBumped gives each bumped slug a fresh random generation once it has committed. A cached entry records the
 * generation that was current before its database read, and is only used while that is still
 * the current one; so an entry read before a commit can never be served after it, however the
 * reads and writes interleave (a version never goes backwards). When Redis is unhealthy the
 * cache is skipped, since invalidations may not have reached it; the TTL bounds what a
 * transient fault could leave behind.
 */
const TTL_S = 15;
const GEN_TTL_S = 2 * 86_400; // far longer than an entry lives: an expired generation reads as "-", never as an old value
const metaKey = (slug: string) => `tcc:gallery-slug:${slug}`;
const genKey = (slug: string) => `tcc:gallery-slug-gen:${slug}`;

export interface SlugMeta {
  id: string;
  version: number;
  visibility: string;
  expiresAt: Date | string | null;
  passwordHash: string | null;
}

export async function lookupSlug(
  { ctx: { s }, input: { slug } }: Call<{ slug: string }, SystemCtx>,
  load: () => Promise<SlugMeta | undefined>,
): Promise<SlugMeta | undefined> {
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

const bumpedIn = new WeakMap<Transaction, Set<string>>();

/** Voids the cached lookups of these slugs once the transaction that bumped their galleries commits. */
export function slugsBumped({ ctx, input: { slugs } }: Call<{ slugs: string[] }, InTransaction<SystemCtx>>): void {
  let set = bumpedIn.get(ctx.tx);
  if (!set) {
    const pending = new Set<string>();
    bumpedIn.set(ctx.tx, pending);
    // After the commit, not inside: a reader between the two would re-cache the old row.
    ctx.tx.afterCommit(() => Promise.all([...pending].map((slug) => ctx.s.kv.set(genKey(slug), Bun.randomUUIDv7(), GEN_TTL_S))));
    set = pending;
  }
  for (const slug of slugs) set.add(slug);
}
