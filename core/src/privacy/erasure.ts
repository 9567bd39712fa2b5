import { rowsOf, schema } from "@tcc/db";
import { eq, sql } from "drizzle-orm";
import { anonymiseAuditForUser, audit, type ClientMeta } from "../accounts/audit";
import { reauthenticationFacts, type SecondFactor, spendAttempt, verifySecondFactor } from "../accounts/mfa-factors";
import { forgetApiKeys, revokeAllSessions } from "../accounts/sessions";
import { verifyPassword } from "../auth/passwords";
import type { Call } from "../context";
import { withTransaction } from "../db/transaction";
import { AppError } from "../errors";
import { derivativeKeys } from "../files/images/derivatives";

/** Tables a user's rows are found in by another column than user_id (they cascade too; listed so the sweep is explicit). */
const OTHER_USER_COLUMNS: [table: string, column: string][] = [["shares", "grantee_id"]];

export interface ErasureReport {
  rows: number;
  objects: number;
  cacheKeys: number;
  jobs: number;
  auditAnonymised: number;
}

/**
 * GDPR erasure, after re-authentication (password, and a second factor when MFA is on): every
 * row of the user in every table, their file bytes, derivatives and export archives, their cache
 * and security keys and their queued jobs are removed; their logins stop at once. The audit log
 * keeps its events with the user's identity stripped, plus one anonymous `account.erased` event.
 */
export async function eraseAccount({ ctx, input }: Call<SecondFactor & { password?: string; client: ClientMeta }>): Promise<ErasureReport> {
  const { s, userId } = ctx;
  const user = await reauthenticationFacts(s, userId);
  if (!user) throw new AppError("NOT_FOUND", "User not found");
  if (!user.passwordHash) {
    throw new AppError("FORBIDDEN", "This account has no password to confirm erasure with; set one first");
  }
  // One throttled attempt for the password and the code together (as disabling MFA does).
  await spendAttempt(ctx, userId);
  if (!input.password || !(await verifyPassword(input.password, user.passwordHash))) {
    await audit({ ctx, input: { userId, action: "privacy.erase_failed", metadata: { reason: "password" }, ...input.client } });
    throw new AppError("UNAUTHORIZED", "Password is incorrect");
  }
  if (user.mfa)
    await verifySecondFactor({
      ctx,
      input: { userId, code: input.code, recoveryCode: input.recoveryCode, client: input.client, attemptSpent: true },
    });

  // Logins end first: a request already past its token check finds no user once the rows go.
  await forgetApiKeys({ ctx });
  await revokeAllSessions({ ctx, input: { quiet: true } });

  const { keys, rows, auditAnonymised } = await withTransaction(ctx, async (ctx) => {
    const tx = ctx.tx.db;
    // Storage keys while the rows still say where the bytes are.
    const files = await tx
      .select({ key: schema.files.storageKey, metadata: schema.files.metadata })
      .from(schema.files)
      .where(eq(schema.files.userId, userId));
    const exports = await tx
      .select({ key: schema.dataExports.storageKey })
      .from(schema.dataExports)
      .where(eq(schema.dataExports.userId, userId));
    const keys = [...files.flatMap((f) => [f.key, ...derivativeKeys(f.metadata)]), ...exports.flatMap((e) => (e.key ? [e.key] : []))];

    const auditAnonymised = await anonymiseAuditForUser(tx, userId);
    // Every table with a user_id column, whoever added it: nothing is left for want of a list.
    const tables = rowsOf<{ table_name: string }>(
      await tx.execute(sql`select c.table_name from information_schema.columns c
        join information_schema.tables t on t.table_schema = c.table_schema and t.table_name = c.table_name and t.table_type = 'BASE TABLE'
        where c.table_schema = current_schema() and c.column_name = 'user_id' and c.table_name not in ('audit_log', 'users')
        order by c.table_name`),
    ).map((r) => r.table_name);
    let rows = 0;
    for (const [table, column] of [...tables.map((t) => [t, "user_id"] as [string, string]), ...OTHER_USER_COLUMNS]) {
      const deleted = await tx.execute(sql`delete from ${sql.identifier(table)} where ${sql.identifier(column)} = ${userId}`);
      rows += Number(
        (deleted as unknown as { count?: number; affectedRows?: number }).count ?? (deleted as { affectedRows?: number }).affectedRows ?? 0,
      );
    }
    await tx.delete(schema.users).where(eq(schema.users.id, userId));
    rows++;
    // The one record kept: that an account was erased, and when; nothing that says whose.
    await audit({ ctx, input: { userId: null, action: "account.erased", metadata: { rows } } });
    return { keys, rows, auditAnonymised };
  });

  // After the commit: bytes, keys and jobs. Each is idempotent, so a crash here leaves only
  // orphans no row points at (and the user's id in storage paths, which a rerun would find).
  await Promise.all(keys.map((k) => s.storage.delete(k)));
  const cacheKeys = (await s.kv.delMatching(userId)) + (s.security === s.kv ? 0 : await s.security.delMatching(userId));
  const jobs = await s.jobs.removeWhere(
    (data) => typeof data === "object" && data !== null && (data as { userId?: unknown }).userId === userId,
  );
  return { rows, objects: keys.length, cacheKeys, jobs, auditAnonymised };
}
