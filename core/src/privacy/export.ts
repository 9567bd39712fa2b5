import { createHmac, timingSafeEqual } from "node:crypto";
import { schema } from "@tcc/db";
import { and, eq, inArray, lt, sql } from "drizzle-orm";
import { audit, type ClientMeta } from "../accounts/audit";
import type { Call, Ctx, SystemCtx } from "../context";
import { onCommit, withTransaction } from "../db/transaction";
import { AppError, notFound } from "../errors";
import type { JobInfo } from "../jobs";
import { writeArchive } from "./archive";
import { collectUserData } from "./collect";

export const EXPORTS_QUEUE = "exports";
export const EXPORT_ATTEMPTS = 3;
/** A download link works this long; asking for the export's status again gives a fresh one. */
export const EXPORT_URL_TTL_S = 3600;
/**
 * An export still queued or running after this long lost its job (a restart of the embedded
 * default's in-memory queue, a crash mid-run): it is marked failed and no longer blocks a new one.
 */
export const EXPORT_STALE_S = 30 * 60;
/** A finished archive is kept this long, then refused (and its bytes removed at the user's next export). */
export const EXPORT_RETENTION_S = 7 * 24 * 3600;

export interface ExportJob {
  exportId: string;
  userId: string;
}

type Status = "queued" | "running" | "ready" | "failed";
export interface ExportView {
  id: string;
  status: Status;
  size: number | null;
  sha256: string | null;
  createdAt: string;
  finishedAt: string | null;
  expiresAt: string | null;
  /** Present while ready: a link that downloads the archive without a token, until `downloadExpiresAt`. */
  downloadUrl?: string;
  downloadExpiresAt?: string;
}

const x = schema.dataExports;
export const exportKey = (userId: string, id: string) => `users/${userId}/exports/${id}.zip`;

const sign = (secret: string, id: string, exp: number) => createHmac("sha256", secret).update(`export:${id}:${exp}`).digest("base64url");

function toView(s: SystemCtx["s"], r: typeof x.$inferSelect): ExportView {
  const view: ExportView = {
    id: r.id,
    status: r.status,
    size: r.size ?? null,
    sha256: r.sha256 ?? null,
    createdAt: r.createdAt.toISOString(),
    finishedAt: r.finishedAt?.toISOString() ?? null,
    expiresAt: r.expiresAt?.toISOString() ?? null,
  };
  if (r.status === "ready" && r.expiresAt && r.expiresAt > s.clock()) {
    const exp = Math.min(Math.floor(s.clock().getTime() / 1000) + EXPORT_URL_TTL_S, Math.floor(r.expiresAt.getTime() / 1000));
    view.downloadUrl = `${s.env.PUBLIC_URL?.replace(/\/$/, "") ?? ""}/v1/public/exports/${r.id}?exp=${exp}&sig=${sign(s.fileUrlSecret, r.id, exp)}`;
    view.downloadExpiresAt = new Date(exp * 1000).toISOString();
  }
  return view;
}

/**
 * Queues an export. One at a time per user: while one is queued or running, asking again returns
 * it (serialised by a per-user advisory lock, so parallel requests cannot queue two).
 */
export async function requestExport({ ctx, input }: Call<{ client?: ClientMeta }>): Promise<{ view: ExportView; created: boolean }> {
  await dropExpired(ctx);
  const result = await withTransaction(ctx, async (ctx) => {
    const tx = ctx.tx.db;
    await tx.execute(sql`select pg_advisory_xact_lock(hashtext('tcc:export:' || ${ctx.userId}))`);
    const [pending] = await tx
      .select()
      .from(x)
      .where(and(eq(x.userId, ctx.userId), inArray(x.status, ["queued", "running"])))
      .limit(1);
    const staleBefore = new Date(ctx.s.clock().getTime() - EXPORT_STALE_S * 1000);
    if (pending && pending.createdAt > staleBefore) return { row: pending, created: false };
    if (pending) {
      await tx
        .update(x)
        .set({ status: "failed", error: "The export was interrupted; ask for a new one", finishedAt: ctx.s.clock() })
        .where(eq(x.id, pending.id));
    }
    const [row] = await tx.insert(x).values({ userId: ctx.userId, createdAt: ctx.s.clock() }).returning();
    const job: ExportJob = { exportId: (row as typeof x.$inferSelect).id, userId: ctx.userId };
    await onCommit(ctx, () => ctx.s.jobs.enqueue(EXPORTS_QUEUE, job, { jobId: job.exportId }));
    await audit({
      ctx,
      input: { userId: ctx.userId, action: "privacy.export_requested", targetType: "export", targetId: job.exportId, ...input?.client },
    });
    return { row: row as typeof x.$inferSelect, created: true };
  });
  return { view: toView(ctx.s, result.row), created: result.created };
}

export async function getExport({ ctx, input: { id } }: Call<{ id: string }>): Promise<ExportView> {
  const [row] = await ctx.s.db.primary
    .select()
    .from(x)
    .where(and(eq(x.userId, ctx.userId), eq(x.id, id)));
  if (!row) throw notFound("Export");
  return toView(ctx.s, row);
}

/** A user's archives past their retention, rows and bytes, before they ask for a new one. */
const dropExpired = (ctx: Ctx) => dropExpiredExports({ ctx, input: { userId: ctx.userId } });

/**
 * Archives past their retention (already refused for download): rows first, then bytes, so a
 * crash in between leaves an orphan object, never a row without bytes. Every user's when no
 * `userId` (the periodic storage sweep); returns how many went. The delete is the claim:
 * parallel runs remove each archive once.
 */
export async function dropExpiredExports({ ctx: { s }, input }: Call<{ userId?: string } | undefined, SystemCtx>): Promise<number> {
  const gone = await s.db.primary
    .delete(x)
    .where(and(input?.userId ? eq(x.userId, input.userId) : undefined, lt(x.expiresAt, s.clock())))
    .returning({ key: x.storageKey });
  await Promise.all(gone.flatMap((g) => (g.key ? [s.storage.delete(g.key)] : [])));
  return gone.length;
}

/** The job: builds the archive, records where it is. Runs again harmlessly (a ready export is left alone). */
export async function runExport({ ctx: { s }, input: job, info }: Call<ExportJob, SystemCtx> & { info?: JobInfo }): Promise<void> {
  const [row] = await s.db.primary
    .select()
    .from(x)
    .where(and(eq(x.id, job.exportId), eq(x.userId, job.userId)));
  if (!row || row.status === "ready") return; // erased meanwhile, or done already
  await s.db.primary.update(x).set({ status: "running" }).where(eq(x.id, row.id));
  const key = exportKey(job.userId, row.id);
  try {
    const data = await collectUserData({ s, userId: job.userId });
    const put = await writeArchive(s.storage, key, data, s.clock());
    const now = s.clock();
    const [done] = await s.db.primary
      .update(x)
      .set({
        status: "ready",
        storageKey: key,
        size: put.size,
        sha256: put.sha256,
        finishedAt: now,
        expiresAt: new Date(now.getTime() + EXPORT_RETENTION_S * 1000),
        error: null,
      })
      .where(eq(x.id, row.id))
      .returning({ id: x.id });
    // Erased while the archive was written: its bytes must not outlive the account.
    if (!done) await s.storage.delete(key);
  } catch (err) {
    const last = (info?.attempt ?? EXPORT_ATTEMPTS) >= EXPORT_ATTEMPTS;
    await s.db.primary
      .update(x)
      .set(last ? { status: "failed", error: "The archive could not be written", finishedAt: s.clock() } : { status: "queued" })
      .where(eq(x.id, row.id));
    if (!last) throw err;
    s.logger.error({ err, exportId: row.id }, "export failed");
  }
}

/** The archive behind a signed link; a bad signature and an expired link are 403, a missing export 404. */
export async function openExportDownload({
  ctx: { s },
  input: { id, exp, sig },
}: Call<{ id: string; exp: number; sig: string }, SystemCtx>) {
  const expected = Buffer.from(sign(s.fileUrlSecret, id, exp));
  const given = Buffer.from(sig);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw new AppError("FORBIDDEN", "Invalid link signature");
  if (exp * 1000 <= s.clock().getTime()) throw new AppError("FORBIDDEN", "This link has expired");
  const [row] = await s.db.primary.select().from(x).where(eq(x.id, id));
  if (row?.status !== "ready" || !row.storageKey || (row.expiresAt && row.expiresAt <= s.clock())) throw notFound("Export");
  const got = await s.storage.get(row.storageKey);
  if (!got) throw notFound("Export");
  return { body: got.body, size: got.size, sha256: row.sha256, createdAt: row.createdAt };
}
