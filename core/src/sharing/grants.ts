import { rowsOf } from "@tcc/db";
import { type SQL, sql } from "drizzle-orm";
import type { Ctx } from "../context";
import { AppError, notFound } from "../errors";

export type ShareResource = "entry" | "topic" | "gallery";
export type SharePermission = "read" | "edit";

/** What a grantee holds on one object: whose it is and the strongest permission granted. */
export interface Grant {
  ownerId: string;
  permission: SharePermission;
}

// Grants are read from the primary, never a replica or a cache: a revoked grant must stop
// working on the very next request, whichever core process serves it.
async function strongest(ctx: Ctx, query: SQL): Promise<Grant | null> {
  const rows = rowsOf<{ owner_id: string; permission: SharePermission }>(await ctx.s.db.primary.execute(query));
  if (rows.length === 0) return null;
  const edit = rows.find((r) => r.permission === "edit");
  return { ownerId: (edit ?? rows[0])!.owner_id, permission: edit ? "edit" : "read" };
}

/** A live entry shared with the caller directly or through its topic. */
export const entryGrant = (ctx: Ctx, entryId: string) =>
  strongest(
    ctx,
    sql`select s.user_id as owner_id, s.permission from shares s
      join entries e on e.id = ${entryId} and e.user_id = s.user_id and e.deleted_at is null
      where s.grantee_id = ${ctx.userId}
        and ((s.resource_type = 'entry' and s.resource_id = e.id) or (s.resource_type = 'topic' and s.resource_id = e.topic_id))`,
  );

export const topicGrant = (ctx: Ctx, topicId: string) =>
  strongest(
    ctx,
    sql`select s.user_id as owner_id, s.permission from shares s
      join topics t on t.id = s.resource_id and t.user_id = s.user_id
      where s.grantee_id = ${ctx.userId} and s.resource_type = 'topic' and s.resource_id = ${topicId}`,
  );

export const galleryGrant = (ctx: Ctx, galleryId: string) =>
  strongest(
    ctx,
    sql`select s.user_id as owner_id, s.permission from shares s
      join galleries g on g.id = s.resource_id and g.user_id = s.user_id and g.deleted_at is null
      where s.grantee_id = ${ctx.userId} and s.resource_type = 'gallery' and s.resource_id = ${galleryId}`,
  );

/** A live file in a gallery shared with the caller, or attached to an entry shared with them (read only: files are not edited through shares). */
export const fileGrant = (ctx: Ctx, fileId: string) =>
  strongest(
    ctx,
    sql`select f.user_id as owner_id, 'read'::share_permission as permission from files f
      where f.id = ${fileId} and f.deleted_at is null and (
        exists (select 1 from gallery_items gi
          join galleries g on g.id = gi.gallery_id and g.user_id = f.user_id and g.deleted_at is null
          join shares s on s.resource_type = 'gallery' and s.resource_id = g.id and s.user_id = g.user_id
          where gi.file_id = f.id and s.grantee_id = ${ctx.userId})
        or exists (select 1 from entry_files ef
          join entries e on e.id = ef.entry_id and e.user_id = f.user_id and e.deleted_at is null
          join shares s on s.user_id = e.user_id and s.grantee_id = ${ctx.userId}
            and ((s.resource_type = 'entry' and s.resource_id = e.id) or (s.resource_type = 'topic' and s.resource_id = e.topic_id))
          where ef.file_id = f.id))`,
  );

/** Ids of the entries shared with `userId` (directly or through a topic), as a subquery for `entries.id in (…)`. */
export const sharedEntryIds = (userId: string): SQL =>
  sql`(select se.id from shares s join entries se on se.user_id = s.user_id
    and ((s.resource_type = 'entry' and se.id = s.resource_id) or (s.resource_type = 'topic' and se.topic_id = s.resource_id))
    where s.grantee_id = ${userId})`;

/** The grant, or 404 when there is none (exactly like a missing object); 403 when `edit` is needed and only `read` was granted. */
export function requireGrant(grant: Grant | null, what: string, need: SharePermission): Grant {
  if (!grant) throw notFound(what);
  if (need === "edit" && grant.permission !== "edit")
    throw new AppError("FORBIDDEN", `This ${what.toLowerCase()} is shared with you read-only`);
  return grant;
}

/** The owner's ctx for a grantee's permitted call: the owner's services then scope, cache and invalidate as for the owner. */
export const asOwner = (ctx: Ctx, grant: Grant): Ctx => ({ ...ctx, userId: grant.ownerId });
