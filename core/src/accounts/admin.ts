import { schema } from "@tcc/db";
import { and, desc, eq, ilike, isNotNull, isNull, sql } from "drizzle-orm";
import type { Call } from "../context";
import { afterTimestamp, timestampCursorValue } from "../db/keyset";
import { withTransaction } from "../db/transaction";
import { AppError, notFound } from "../errors";
import { encodeCursor } from "../lib/cursor";
import { audit, type ClientMeta } from "./audit";
import { forgetApiKeys, revokeAllSessions } from "./sessions";

// Every function here runs for an admin (`ctx.userId`), already checked by the route's guard,
// and records what it did with the admin as actor and the user concerned as subject.

export type UserStatus = "active" | "suspended" | "deleted";

export interface AdminUserView {
  id: string;
  email: string;
  displayName: string | null;
  role: "user" | "admin";
  status: UserStatus;
  mfaEnabled: boolean;
  createdAt: string;
  suspendedAt: string | null;
  deletedAt: string | null;
}

const u = schema.users;
const columns = {
  id: u.id,
  email: u.email,
  displayName: u.displayName,
  role: u.role,
  createdAt: u.createdAt,
  suspendedAt: u.suspendedAt,
  deletedAt: u.deletedAt,
  mfa: schema.userMfa.confirmedAt,
};
type Row = { [K in keyof typeof columns]: (typeof columns)[K]["_"]["data"] | null } & {
  id: string;
  email: string;
  createdAt: Date;
  role: "user" | "admin";
};

const view = (r: Row): AdminUserView => ({
  id: r.id,
  email: r.email,
  displayName: r.displayName,
  role: r.role,
  status: r.deletedAt ? "deleted" : r.suspendedAt ? "suspended" : "active",
  mfaEnabled: r.mfa !== null,
  createdAt: r.createdAt.toISOString(),
  suspendedAt: r.suspendedAt?.toISOString() ?? null,
  deletedAt: r.deletedAt?.toISOString() ?? null,
});

const statusFilter = (status?: UserStatus) =>
  status === "deleted"
    ? isNotNull(u.deletedAt)
    : status === "suspended"
      ? and(isNull(u.deletedAt), isNotNull(u.suspendedAt))
      : status === "active"
        ? and(isNull(u.deletedAt), isNull(u.suspendedAt))
        : undefined;

const escapeLike = (q: string) => q.replace(/[\\%_]/g, (m) => `\\${m}`);

export async function listUsers({
  ctx,
  input,
}: Call<{ limit: number; cursor?: string; q?: string; status?: UserStatus; client: ClientMeta }>): Promise<{
  items: AdminUserView[];
  nextCursor: string | null;
}> {
  // Checked (a real time, a uuid) before Postgres sees it, and compared at full microseconds: a
  // JS date's milliseconds would skip the users created in the same millisecond as a page's last.
  const after = afterTimestamp(input.cursor, u.createdAt, u.id, "desc");
  const rows = (await ctx.s.db.primary
    .select({ ...columns, cursorValue: timestampCursorValue(u.createdAt) })
    .from(u)
    .leftJoin(schema.userMfa, and(eq(schema.userMfa.userId, u.id), isNotNull(schema.userMfa.confirmedAt)))
    .where(and(statusFilter(input.status), input.q ? ilike(u.email, `%${escapeLike(input.q)}%`) : undefined, after))
    .orderBy(desc(u.createdAt), desc(u.id))
    .limit(input.limit + 1)) as (Row & { cursorValue: string })[];
  const page = rows.slice(0, input.limit);
  const last = page[page.length - 1];
  await audit({
    ctx,
    input: {
      actorId: ctx.userId,
      action: "admin.users_listed",
      metadata: { q: input.q ?? null, status: input.status ?? null },
      ...input.client,
    },
  });
  return {
    items: page.map(view),
    nextCursor: rows.length > input.limit && last ? encodeCursor({ v: last.cursorValue, id: last.id }) : null,
  };
}

async function load(ctx: Call["ctx"], id: string): Promise<Row> {
  const [row] = (await (ctx.tx?.db ?? ctx.s.db.primary)
    .select(columns)
    .from(u)
    .leftJoin(schema.userMfa, and(eq(schema.userMfa.userId, u.id), isNotNull(schema.userMfa.confirmedAt)))
    .where(eq(u.id, id))) as Row[];
  if (!row) throw notFound("User");
  return row;
}

export async function getUser({ ctx, input }: Call<{ id: string }>): Promise<AdminUserView> {
  return view(await load(ctx, input.id));
}

type Change = "suspend" | "unsuspend" | "delete";

/**
 * Suspends, unsuspends or deletes (soft: `deleted_at`) an account. Suspending and deleting end
 * every session (access tokens denied at once) and stop the account's API keys; an admin
 * cannot do either to themselves, so there is always one admin left to undo it.
 */
export async function changeUser({
  ctx,
  input,
}: Call<{ id: string; change: Change; reason?: string; client: ClientMeta }>): Promise<AdminUserView> {
  const { s } = ctx;
  if (input.change !== "unsuspend" && input.id === ctx.userId)
    throw new AppError("CONFLICT", `An admin cannot ${input.change} their own account`);
  const result = await withTransaction(ctx, async (ctx) => {
    const row = await load(ctx, input.id);
    if (row.deletedAt) throw new AppError("CONFLICT", "The account is deleted");
    const set =
      input.change === "suspend"
        ? { suspendedAt: s.clock() }
        : input.change === "unsuspend"
          ? { suspendedAt: null }
          : { deletedAt: s.clock() };
    if (input.change === "suspend" && row.suspendedAt) throw new AppError("CONFLICT", "The account is already suspended");
    if (input.change === "unsuspend" && !row.suspendedAt) throw new AppError("CONFLICT", "The account is not suspended");
    await ctx.tx.db
      .update(u)
      .set({ ...set, updatedAt: s.clock() })
      .where(eq(u.id, input.id));
    if (input.change !== "unsuspend") {
      await revokeAllSessions({ ctx: { ...ctx, userId: input.id }, input: { actorId: ctx.userId, quiet: true } });
    }
    const action = { suspend: "admin.user_suspended", unsuspend: "admin.user_unsuspended", delete: "admin.user_deleted" }[input.change];
    await audit({
      ctx,
      input: {
        userId: input.id,
        actorId: ctx.userId,
        action,
        targetType: "user",
        targetId: input.id,
        metadata: input.reason ? { reason: input.reason } : undefined,
        ...input.client,
      },
    });
    return load(ctx, input.id);
  });
  // After the commit, so no lookup re-caches a key in the state before it (nor, on unsuspend,
  // keeps the refusal cached while suspended).
  await forgetApiKeys({ ctx: { ...ctx, userId: input.id } });
  return view(result);
}

/** Makes a user an admin or takes it away; an admin cannot demote themselves. */
export async function setRole({ ctx, input }: Call<{ id: string; role: "user" | "admin"; client: ClientMeta }>): Promise<AdminUserView> {
  if (input.id === ctx.userId && input.role !== "admin") throw new AppError("CONFLICT", "An admin cannot demote themselves");
  return withTransaction(ctx, async (ctx) => {
    const row = await load(ctx, input.id);
    if (row.deletedAt) throw new AppError("CONFLICT", "The account is deleted");
    await ctx.tx.db.update(u).set({ role: input.role, updatedAt: ctx.s.clock() }).where(eq(u.id, input.id));
    await audit({
      ctx,
      input: {
        userId: input.id,
        actorId: ctx.userId,
        action: "admin.role_changed",
        targetType: "user",
        targetId: input.id,
        metadata: { from: row.role, to: input.role },
        ...input.client,
      },
    });
    return view(await load(ctx, input.id));
  });
}

/** What an operator looks at first: accounts by state, and the dependencies' health. */
export async function systemStatus({ ctx, input }: Call<{ client: ClientMeta }>) {
  const { s } = ctx;
  const [counts] = await s.db.primary
    .select({
      total: sql<number>`count(*)::int`,
      active: sql<number>`count(*) filter (where ${u.deletedAt} is null and ${u.suspendedAt} is null)::int`,
      suspended: sql<number>`count(*) filter (where ${u.deletedAt} is null and ${u.suspendedAt} is not null)::int`,
      deleted: sql<number>`count(*) filter (where ${u.deletedAt} is not null)::int`,
      admins: sql<number>`count(*) filter (where ${u.deletedAt} is null and ${u.role} = 'admin')::int`,
    })
    .from(u);
  const [mfa] = await s.db.primary
    .select({ n: sql<number>`count(*)::int` })
    .from(schema.userMfa)
    .where(isNotNull(schema.userMfa.confirmedAt));
  const [database, cache] = await Promise.all([s.db.ping(), s.kv.ping()]);
  await audit({ ctx, input: { actorId: ctx.userId, action: "admin.status_viewed", ...input.client } });
  return {
    users: { ...(counts as NonNullable<typeof counts>), mfaEnabled: mfa?.n ?? 0 },
    database: {
      status: database ? ("ok" as const) : ("down" as const),
      driver: s.db.driver,
      replicas: s.db.replicas(),
      inFlight: s.db.inFlight(),
    },
    cache: { status: cache ? ("ok" as const) : ("down" as const), kind: s.kv.kind },
    jobs: { kind: s.jobs.kind },
    ai: { enabled: s.ai.enabled },
    uptimeSeconds: Math.round(process.uptime()),
  };
}
