import { schema } from "@tcc/db";
import { and, eq, inArray } from "drizzle-orm";
import type { Call, SystemCtx } from "../context";
import { derivativeKeys } from "./images/derivatives";
import { deleteUnreferencedObjects } from "./unreferenced";

const f = schema.files;
const x = schema.dataExports;
/** Objects of one user looked up together; a user's keys come one after the other in a listing. */
const GROUP = 500;

const UUID = "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}";
/**
 * The keys core writes, all under `users/<user>/`: originals (files.ts storageKey), upload staging
 * (files.ts store), image derivatives (newDerivativeKey) and export archives (privacy exportKey).
 * Anything else under the prefix is not core's to judge and is left alone.
 */
const KINDS = [
  ["original", new RegExp(`^users/(${UUID})/([0-9a-f]{64})$`)],
  ["staging", new RegExp(`^users/(${UUID})/uploads/[^/]+$`)],
  ["derivative", new RegExp(`^users/(${UUID})/derivatives/(${UUID})/[^/]+$`)],
  ["export", new RegExp(`^users/(${UUID})/exports/(${UUID})\\.zip$`)],
] as const;
type Kind = (typeof KINDS)[number][0];
interface Candidate {
  key: string;
  kind: Kind;
  /** sha256 of an original, file id of a derivative, export id of an archive. */
  ref: string;
}

function classify(key: string): { userId: string; candidate: Candidate } | null {
  for (const [kind, pattern] of KINDS) {
    const m = pattern.exec(key);
    if (m) return { userId: m[1] as string, candidate: { key, kind, ref: m[2] ?? "" } };
  }
  return null;
}

export interface OrphanSweep {
  /** Objects listed (everything under `users/`). */
  listed: number;
  removed: number;
}

/**
 * Removes stored objects no row refers to, older than ORPHAN_GRACE_S: bytes of an upload whose
 * process died before the row committed, or of a purge that died before deleting them; staging
 * uploads left behind; derivatives a job wrote but never recorded; archives of exports whose row
 * is gone. Young objects are never touched: an upload or an image job writes bytes before the
 * row that names them. Derivative and archive keys are never reused, so an old one without its
 * row stays without it; an original's key is claimed again by any upload of the same bytes, so
 * originals and staging objects go through deleteUnreferencedObjects, which excludes uploads in
 * flight. Export archives count as live while their export row exists, whatever its state.
 *
 * Files of uploads that died mid-write (the local driver's `.tmp`) go once as old.
 *
 * Several processes may run it at once: every delete is idempotent.
 */
export async function sweepOrphans({ ctx }: Call<undefined, SystemCtx>): Promise<OrphanSweep> {
  const { s } = ctx;
  const olderThan = new Date(s.clock().getTime() - s.env.ORPHAN_GRACE_S * 1000);
  const result: OrphanSweep = { listed: 0, removed: 0 };
  // A database with no users beside a bucket full of objects is the wrong database, not a world
  // of orphans: delete nothing.
  const [anyone] = await s.db.primary.select({ id: schema.users.id }).from(schema.users).limit(1);
  let group: { userId: string; candidates: Candidate[] } | undefined;
  const settle = async () => {
    if (group && anyone) result.removed += await settleGroup(s, group.userId, group.candidates, olderThan);
    group = undefined;
  };
  for await (const o of s.storage.list("users/")) {
    result.listed++;
    const found = o.lastModified <= olderThan ? classify(o.key) : null;
    if (!found) continue;
    if (group && (group.userId !== found.userId || group.candidates.length >= GROUP)) await settle();
    group ??= { userId: found.userId, candidates: [] };
    group.candidates.push(found.candidate);
  }
  await settle();
  // Half-written uploads (local driver) belong to no key and no row: only their age matters.
  result.removed += await s.storage.dropIncomplete(olderThan);
  if (!anyone && result.listed > 0) {
    s.logger.error({ objects: result.listed }, "orphan sweep: the database has no users but storage has objects; nothing removed");
  }
  return result;
}

/** Deletes each object (idempotent: another sweep may have got there first); returns how many. */
async function deleteObjects(s: SystemCtx["s"], objects: Candidate[]): Promise<number> {
  for (const o of objects) await s.storage.delete(o.key);
  return objects.length;
}

async function settleGroup(s: SystemCtx["s"], userId: string, candidates: Candidate[], olderThan: Date): Promise<number> {
  const db = s.db.primary;
  const of = (kind: Kind) => candidates.filter((c) => c.kind === kind);
  let removed = 0;

  const derivatives = of("derivative");
  if (derivatives.length) {
    const rows = await db
      .select({ metadata: f.metadata })
      .from(f)
      .where(and(eq(f.userId, userId), inArray(f.id, [...new Set(derivatives.map((d) => d.ref))])));
    const recorded = new Set(rows.flatMap((r) => derivativeKeys(r.metadata)));
    removed += await deleteObjects(
      s,
      derivatives.filter((d) => !recorded.has(d.key)),
    );
  }

  const archives = of("export");
  if (archives.length) {
    const rows = await db
      .select({ id: x.id })
      .from(x)
      .where(and(eq(x.userId, userId), inArray(x.id, [...new Set(archives.map((a) => a.ref))])));
    const live = new Set(rows.map((r) => r.id));
    removed += await deleteObjects(
      s,
      archives.filter((a) => !live.has(a.ref)),
    );
  }

  const gone = await deleteUnreferencedObjects({
    ctx: { s, userId },
    input: {
      originals: of("original").map((o) => ({ key: o.key, sha256: o.ref })),
      staging: of("staging").map((o) => o.key),
      olderThan,
    },
  });
  return removed + gone.length;
}
