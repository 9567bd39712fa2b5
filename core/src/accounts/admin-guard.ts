import { schema } from "@tcc/db";
import { and, eq, isNull } from "drizzle-orm";
import type { MiddlewareHandler } from "hono";
import { every } from "hono/combine";
import { requireSession } from "../auth/identify";
import { AppError } from "../errors";
import { signedInGuard } from "../http/policy";
import { clientMeta } from "../http/route-kit";
import type { AppEnv, SignedInEnv } from "../http/types";
import { audit } from "./audit";

/**
 * Function-level authorisation for /v1/admin: a signed-in session (never an API key) of an
 * active account whose role is `admin`, read from the primary on every request so a demotion
 * or suspension takes effect at once. Refusals are audited.
 */
const adminOnly: MiddlewareHandler<AppEnv & SignedInEnv> = async (c, next) => {
  const s = c.get("services");
  const auth = requireSession(c.var.auth);
  const [row] = await s.db.primary
    .select({ role: schema.users.role })
    .from(schema.users)
    .where(and(eq(schema.users.id, auth.userId), isNull(schema.users.suspendedAt), isNull(schema.users.deletedAt)));
  if (row?.role !== "admin") {
    await audit({
      ctx: { s },
      input: { userId: auth.userId, action: "admin.access_denied", metadata: { method: c.req.method, path: c.req.path }, ...clientMeta(c) },
    });
    throw new AppError("FORBIDDEN", "This needs an admin");
  }
  await next();
};

/** Spread into createRoute, like `policy.signedIn`. */
export const adminPolicy = { security: [{ bearer: [] as string[] }], middleware: every(signedInGuard, adminOnly) };
