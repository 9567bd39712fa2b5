import { rowsOf, schema } from "@tcc/db";
import { and, desc, eq, isNull, sql } from "drizzle-orm";
import { normaliseEmail } from "../accounts/accounts";
import { audit, type ClientMeta } from "../accounts/audit";
import type { Call, Ctx } from "../context";
import { afterTimestamp, timestampCursorValue } from "../db/keyset";
import { wrote } from "../db/wrote";
import { AppError, notFound } from "../errors";
import { encodeCursor } from "../lib/cursor";
import type { SharePermission, ShareResource } from "./grants";

const sh = schema.shares;
const u = schema.users;

export interface ShareView {
  id: string;
  resourceType: ShareResource;
  resourceId: string;
  permission: SharePermission;
  grantee: { id: string; email: string; displayName: string | null };
  createdAt: string;
  updatedAt: string;
}

export interface ShareInput {
  resourceType: ShareResource;
  resourceId: string;
  permission: SharePermission;
  grantee: { email?: string; userId?: string };
  client?: ClientMeta;
}

const OWNED: Record<ShareResource, { table: string; what: string; live: string }> = {
  entry: { table: "entries", what: "Entry", live: "and deleted_at is null" },
  topic: { table: "topics", what: "Topic", live: "" },
  gallery: { table: "galleries", what: "Gallery", live: "and deleted_at is null" },
};

/** Only the owner shares: someone else's object (a grantee's included, so nothing is re-shared) is 404. */
async function assertOwned(ctx: Ctx, type: ShareResource, id: string) {
  const o = OWNED[type];
  const rows = rowsOf(
    await ctx.s.db.primary.execute(sql`select 1 from ${sql.raw(o.table)} where id = ${id} and user_id = ${ctx.userId} ${sql.raw(o.live)}`),
  );
  if (rows.length === 0) throw notFound(o.what);
}

async function findGrantee(ctx: Ctx, grantee: ShareInput["grantee"]) {
  const where = grantee.userId ? eq(u.id, grantee.userId) : sql`lower(${u.email}) = ${normaliseEmail(grantee.email ?? "")}`;
  const [row] = await ctx.s.db.primary
    .select({ id: u.id, email: u.email, displayName: u.displayName })
    .from(u)
    .where(and(where, isNull(u.deletedAt)));
  if (!row) throw notFound("User");
  if (row.id === ctx.userId) {
    throw new AppError("VALIDATION_FAILED", "You cannot share with yourself", [{ path: "grantee", message: "is you" }]);
  }
  return row;
}

/**
 * One event for each side: the owner's, and the grantee's (they are its subject, the owner its
 * actor). Neither names the other in its metadata, so erasing either account anonymises all of it.
 */
async function auditShare(
  ctx: Ctx,
  e: {
    verb: "grant" | "update" | "revoke";
    granteeId: string;
    resourceType: string;
    resourceId: string;
    shareId: string;
    permission?: string;
  },
  client?: ClientMeta,
) {
  const common = { targetType: e.resourceType, targetId: e.resourceId, metadata: { shareId: e.shareId, permission: e.permission } };
  await audit({ ctx, input: { userId: ctx.userId, action: `share.${e.verb}`, ...client, ...common } });
  await audit({ ctx, input: { userId: e.granteeId, actorId: ctx.userId, action: `share.${e.verb}_received`, ...common } });
}

/** Both sides' cached reads are void and their next reads go to the primary: a grant's change shows at once. */
async function announce(ctx: Ctx, granteeId: string) {
  await Promise.all([wrote(ctx), wrote({ ...ctx, userId: granteeId })]);
}

const columns = {
  id: sh.id,
  resourceType: sh.resourceType,
  resourceId: sh.resourceId,
  permission: sh.permission,
  createdAt: sh.createdAt,
  updatedAt: sh.updatedAt,
  granteeId: u.id,
  email: u.email,
  displayName: u.displayName,
};
type Row = Omit<ShareView, "grantee" | "createdAt" | "updatedAt"> & {
  createdAt: Date;
  updatedAt: Date;
  granteeId: string;
  email: string;
  displayName: string | null;
};

const toView = (r: Row): ShareView => ({
  id: r.id,
  resourceType: r.resourceType,
  resourceId: r.resourceId,
  permission: r.permission,
  grantee: { id: r.granteeId, email: r.email, displayName: r.displayName ?? null },
  createdAt: new Date(r.createdAt).toISOString(),
  updatedAt: new Date(r.updatedAt).toISOString(),
});

async function readShare(ctx: Ctx, id: string): Promise<ShareView | null> {
  const [row] = await ctx.s.db.primary
    .select(columns)
    .from(sh)
    .innerJoin(u, eq(u.id, sh.granteeId))
    .where(and(eq(sh.userId, ctx.userId), eq(sh.id, id)));
  return row ? toView(row) : null;
}

/** Grants (or changes) one user's permission on one of the caller's objects; sharing again with the same user updates it. */
export async function createShare({ ctx, input }: Call<ShareInput>): Promise<ShareView> {
  await assertOwned(ctx, input.resourceType, input.resourceId);
  const grantee = await findGrantee(ctx, input.grantee);
  const now = ctx.s.clock();
  const [row] = await ctx.s.db.primary
    .insert(sh)
    .values({
      userId: ctx.userId,
      granteeId: grantee.id,
      resourceType: input.resourceType,
      resourceId: input.resourceId,
      permission: input.permission,
    })
    .onConflictDoUpdate({
      target: [sh.userId, sh.resourceType, sh.resourceId, sh.granteeId],
      set: { permission: input.permission, updatedAt: now },
    })
    .returning({ id: sh.id });
  await announce(ctx, grantee.id);
  await auditShare(
    ctx,
    {
      verb: "grant",
      granteeId: grantee.id,
      resourceType: input.resourceType,
      resourceId: input.resourceId,
      shareId: row!.id,
      permission: input.permission,
    },
    input.client,
  );
  return (await readShare(ctx, row!.id)) as ShareView;
}

/** The grants the caller has made, newest first; `resourceType`/`resourceId` narrow it to one object. */
export async function listShares({
  ctx,
  input: q,
}: Call<{ limit: number; cursor?: string; resourceType?: ShareResource; resourceId?: string }>) {
  const rows = await ctx.s.db.primary
    .select({ ...columns, cursorValue: timestampCursorValue(sh.createdAt) })
    .from(sh)
    .innerJoin(u, eq(u.id, sh.granteeId))
    .where(
      and(
        eq(sh.userId, ctx.userId),
        q.resourceType ? eq(sh.resourceType, q.resourceType) : undefined,
        q.resourceId ? eq(sh.resourceId, q.resourceId) : undefined,
        afterTimestamp(q.cursor, sh.createdAt, sh.id, "desc"),
      ),
    )
    .orderBy(desc(sh.createdAt), desc(sh.id))
    .limit(q.limit + 1);
  const items = rows.slice(0, q.limit);
  const last = rows.length > q.limit ? items[items.length - 1] : undefined;
  return { items: items.map(toView), nextCursor: last ? encodeCursor({ v: last.cursorValue, id: last.id }) : null };
}

export async function getShare({ ctx, input: { id } }: Call<{ id: string }>): Promise<ShareView> {
  const view = await readShare(ctx, id);
  if (!view) throw notFound("Share");
  return view;
}

export async function updateShare({
  ctx,
  input: { id, permission, client },
}: Call<{ id: string; permission: SharePermission; client?: ClientMeta }>): Promise<ShareView> {
  const [row] = await ctx.s.db.primary
    .update(sh)
    .set({ permission, updatedAt: ctx.s.clock() })
    .where(and(eq(sh.userId, ctx.userId), eq(sh.id, id)))
    .returning({ granteeId: sh.granteeId, resourceType: sh.resourceType, resourceId: sh.resourceId });
  if (!row) throw notFound("Share");
  await announce(ctx, row.granteeId);
  await auditShare(ctx, { verb: "update", ...row, shareId: id, permission }, client);
  return (await readShare(ctx, id)) as ShareView;
}

/** Revokes a grant; the grantee's next request no longer sees the object. */
export async function revokeShare({ ctx, input: { id, client } }: Call<{ id: string; client?: ClientMeta }>): Promise<void> {
  const [row] = await ctx.s.db.primary
    .delete(sh)
    .where(and(eq(sh.userId, ctx.userId), eq(sh.id, id)))
    .returning({ granteeId: sh.granteeId, resourceType: sh.resourceType, resourceId: sh.resourceId });
  if (!row) throw notFound("Share");
  await announce(ctx, row.granteeId);
  await auditShare(ctx, { verb: "revoke", ...row, shareId: id }, client);
}
